"""The edits beside a registration, over a `Backend`: tags and descriptions, of a version or
of the model itself.

Every edit follows one path (`_edit`): under the writers' lock, read the record (a version's
metadata, or the model's own record), change one key, write it back, and log one event naming
who, when, why and what changed; a failure writes the old record back. What registration
recorded is never touched. An edit that changes nothing logs nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..audit import ChangeRecord
from ..backends.base import Backend
from ..descriptions import DESCRIPTION_KEY, description_of, validate_description_text
from ..errors import VersionNotFoundError
from ..events import Event
from ..metadata import current_user, iso_utc, utc_now
from ..tags import TAGS_KEY, tags_of, validate_tags
from ._writes import all_or_nothing

__all__ = ["StoreEdits"]

log = logging.getLogger("modelreg")

#: one edit: the record before -> (the record after, the event's details)
_Change = Callable[[dict[str, Any]], tuple[dict[str, Any], dict[str, Any]]]


class StoreEdits:
    """`edit_tags`, `describe` and `model_record` of `StoreOperations`."""

    backend: Backend
    location: str
    model: str

    def edit_tags(
        self,
        name: str | None,
        *,
        set_tags: Mapping[str, str],
        remove: Sequence[str] = (),
        reason: str | None = None,
    ) -> dict[str, str]:
        def change(record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
            before = tags_of(record)
            kept = {k: v for k, v in before.items() if k not in set(remove)}
            after = validate_tags({**kept, **set_tags})
            details = {
                "set": {k: v for k, v in after.items() if before.get(k) != v},
                "removed": sorted(set(before) - set(after)),
            }
            return _replaced(record, TAGS_KEY, after or None), details

        return tags_of(self._edit(name, "tag", change, reason))

    def describe(
        self, name: str | None, text: str | None, *, reason: str | None = None
    ) -> str | None:
        checked = validate_description_text(text)

        def change(record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
            # the text replaced travels in the event, so the log alone versions descriptions
            details = {"description": checked, "previous": record.get(DESCRIPTION_KEY)}
            return _replaced(record, DESCRIPTION_KEY, checked), details

        return description_of(self._edit(name, "describe", change, reason))

    def model_record(self) -> dict[str, Any]:
        record = self.backend.read_metadata(None) or {}
        return {"description": description_of(record), "tags": tags_of(record)}

    # --- the one path every edit takes ----------------------------------------------------

    def _edit(self, name: str | None, action: str, change: _Change, reason: str | None) -> dict:
        """Apply `change` to version `name`'s metadata (None: the model's record), logged."""
        backend = self.backend
        target = f"version {name}" if name else f"model {self.model}"
        record = ChangeRecord(action, self.location)
        with record.told(), backend.transaction():
            before = self._record(name, action)
            after, details = change(before)
            if after == before:
                return after
            with all_or_nothing(action) as undo:
                undo.append(lambda: backend.write_metadata(name, before))
                backend.write_metadata(name, after)
                record.made(f"the {action} edit of {target}", lambda: self._record(name) == after)
                backend.append_event(
                    Event(
                        iso_utc(utc_now()),
                        action,
                        version=name,
                        user=current_user(),
                        reason=reason,
                        details=details,
                    )
                )
                record.logged()
        log.info("%s of %s in %s", action, target, self.location)
        return after

    def _record(self, name: str | None, action: str = "edit") -> dict[str, Any]:
        meta = self.backend.read_metadata(name)
        if name is None:  # the model's own record: empty until first written
            return meta or {}
        if meta is None:
            raise VersionNotFoundError(
                f"cannot {action} {name}: it does not exist in {self.location}", version=name
            )
        return meta


def _replaced(record: Mapping[str, Any], key: str, value: Any) -> dict[str, Any]:
    """`record` with `key` set to `value`, or without it when `value` is None (or empty)."""
    edited = {k: v for k, v in record.items() if k != key}
    if value:
        edited[key] = value
    return edited
