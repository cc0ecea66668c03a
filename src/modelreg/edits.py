"""The edits of `ModelRegistry` beside the registration: tags and descriptions, of a version
(`set_tags`, `remove_tags`, `edit_tags`, `describe_version`) and of the model itself
(`set_model_tags`, `remove_model_tags`, `edit_model_tags`, `describe_model`, `model_info`).

What registration recorded stays as it was; an edit changes only its own key and is one event
in the audit log (who, when, why, what changed), so the log versions every edit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .descriptions import validate_description_text
from .operations import Operations
from .tags import validate_tag_keys, validate_tags

__all__ = ["EditMethods"]


class EditMethods:
    """The metadata edits of `ModelRegistry`."""

    _ops: Operations

    if TYPE_CHECKING:  # ModelRegistry's own

        def _existing(self, version: str, action: str) -> str: ...

    def set_tags(
        self, version: str, tags: Mapping[str, str], *, reason: str | None = None
    ) -> dict[str, str]:
        """Set key=value tags on a version (or an alias's); returns all its tags now.

        Registration's record is untouched; the edit, who and why, is a `tag` event.
        """
        return self.edit_tags(version, set_tags=tags, reason=reason)

    def remove_tags(
        self, version: str, keys: Sequence[str], *, reason: str | None = None
    ) -> dict[str, str]:
        """Remove tags by key (absent keys are no error); returns the tags left."""
        return self.edit_tags(version, remove=keys, reason=reason)

    def edit_tags(
        self,
        version: str,
        *,
        set_tags: Mapping[str, str] | None = None,
        remove: Sequence[str] = (),
        reason: str | None = None,
    ) -> dict[str, str]:
        """Set and remove tags in one audited edit (the CLI and the server's one call)."""
        edit = _tag_edit(set_tags, remove, reason)
        return self._ops.edit_tags(self._existing(version, "tag"), **edit)

    def describe_version(
        self, version: str, text: str | None, *, reason: str | None = None
    ) -> str | None:
        """Set a version's Markdown description (None or "" clears it); returns it now.

        What registration recorded is untouched; the edit, with the text it replaced, who and
        why, is a `describe` event, so `events()` versions descriptions. Text past
        `MAX_DESCRIPTION` characters is a TextTooLongError; control characters are refused.
        """
        checked = validate_description_text(text)
        return self._ops.describe(self._existing(version, "describe"), checked, reason=reason)

    # --- the model's own record ------------------------------------------------------------

    def model_info(self) -> dict[str, Any]:
        """The model's own record: `{"model", "description", "tags"}` (none set: None, {})."""
        return {"model": self._ops.model, **self._ops.model_record()}

    def describe_model(self, text: str | None, *, reason: str | None = None) -> str | None:
        """Set the model's Markdown description (None or "" clears it), audited like a version's."""
        return self._ops.describe(None, validate_description_text(text), reason=reason)

    def set_model_tags(
        self, tags: Mapping[str, str], *, reason: str | None = None
    ) -> dict[str, str]:
        """Set key=value tags on the model itself (the tag rule of versions); returns them all."""
        return self.edit_model_tags(set_tags=tags, reason=reason)

    def remove_model_tags(
        self, keys: Sequence[str], *, reason: str | None = None
    ) -> dict[str, str]:
        """Remove the model's tags by key (absent keys are no error); returns the tags left."""
        return self.edit_model_tags(remove=keys, reason=reason)

    def edit_model_tags(
        self,
        *,
        set_tags: Mapping[str, str] | None = None,
        remove: Sequence[str] = (),
        reason: str | None = None,
    ) -> dict[str, str]:
        """Set and remove the model's tags in one audited `tag` event (its `version` is None)."""
        return self._ops.edit_tags(None, **_tag_edit(set_tags, remove, reason))

    def replace_model_record(
        self, description: str | None, tags: Mapping[str, str], *, reason: str | None = None
    ) -> None:
        """Make the model's description and tags these (a migration's or an import's copy).

        Each change is its own audited edit; one already in place logs nothing, so copying
        the same record again is a no-op.
        """
        self.describe_model(description, reason=reason)
        stale = [key for key in self.model_info()["tags"] if key not in tags]
        self.edit_model_tags(set_tags=tags, remove=stale, reason=reason)


def _tag_edit(
    set_tags: Mapping[str, str] | None, remove: Sequence[str], reason: str | None
) -> dict[str, Any]:
    """A tag edit's arguments, checked by the one tag rule before anything is sent or read."""
    keys = [remove] if isinstance(remove, str) else remove
    return {
        "set_tags": validate_tags(set_tags),
        "remove": validate_tag_keys(keys),
        "reason": reason,
    }
