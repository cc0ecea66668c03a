"""Versions arriving from elsewhere: an imported archive, a migrated copy, its history.

Store-side policy for `StoreOperations`: files are checked against their hashes before
anything is published, a version keeps its own name, the same version arriving twice is a
no-op and a different one under a taken name a VersionExistsError.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..archive import read_archive, read_folder
from ..audit import ChangeRecord
from ..backends.base import Backend
from ..errors import InvalidInputError, VersionExistsError
from ..events import Event
from ..integrity import copy_hashed, verify_files
from ..metadata import STATUSES, current_user, iso_utc, parse_timestamp, same_version, utc_now
from ..versions import validate_version
from ._writes import log_or_undo
from .base import HistoryMerge, Imported

__all__ = ["adopt", "import_version", "merge_history"]

log = logging.getLogger("modelreg")


def import_version(
    backend: Backend,
    src: Path,
    *,
    progress: Callable[[int], None] | None = None,
    max_bytes: int | None = None,
    record: bool = True,
) -> Imported:
    """Unpack and check `src` (an archive, or one unpacked), publish it, log an import event."""
    reader = read_folder if src.is_dir() else read_archive
    with backend.staging() as staged:
        meta = reader(src, staged, progress=progress, max_bytes=max_bytes)
        name = str(meta["version"])
        details: dict[str, Any] = {"folder" if src.is_dir() else "archive": src.name}
        origin = (meta.get("lineage") or {}).get("source")
        if isinstance(origin, dict):
            details["source"] = origin
        event = Event(
            iso_utc(utc_now()), "import", version=name, user=current_user(), details=details
        )
        added = _publish_once(backend, staged, meta, str(src), event if record else None)
    if added:
        log.info("imported version %s into %s", name, backend.location)
    return Imported(name, added)


def adopt(backend: Backend, folder: Path, metadata: Mapping[str, Any]) -> bool:
    """Publish a copy of another registry's version, metadata as it is, no event (migrate)."""
    meta = dict(metadata)
    name = validate_version(meta.get("version"), allow_latest=False)
    with backend.staging() as staged:
        copy_hashed(Path(folder), staged)
        verify_files(staged, meta.get("files") or {}, version=name)
        return _publish_once(backend, staged, meta, f"version {name} from {folder}", None)


def _publish_once(
    backend: Backend, staged: Path, meta: dict[str, Any], source: str, event: Event | None
) -> bool:
    """Publish `staged` as `meta["version"]` unless that version is here already."""
    name = meta["version"]
    backend.prepare_publish(staged, meta.get("files") or {})
    change = ChangeRecord("import", backend.location)
    with change.told(), backend.transaction():
        existing = backend.read_metadata(name)
        if existing is not None:
            if not same_version(existing, meta):
                raise VersionExistsError(
                    f"cannot import {source}: {backend.location} already has a different "
                    f"version named {name}",
                    version=name,
                )
            log.info("version %s is already in %s", name, backend.location)
            return False
        backend.publish(staged, name, meta)
        if event is not None:
            log_or_undo(
                backend,
                event,
                change,
                f"imported version {name}",
                undo=lambda: backend.delete_version(name),
            )
    return True


def merge_history(backend: Backend, merge: HistoryMerge) -> dict[str, str]:
    """Append the events, then move pointers and mend statuses where they differ."""
    moved: dict[str, str] = {}
    for event in merge.events:  # another registry's log: readable before any is appended
        if not isinstance(event.action, str) or not event.action:
            raise InvalidInputError(f"an event to merge has no action: {event.to_dict()}")
        parse_timestamp(event.timestamp, what="event timestamp")
    with backend.transaction():
        for event in merge.events:
            backend.append_event(event)
        for channel, target in merge.pointers.items():
            if backend.get_pointer(channel) != target and backend.read_metadata(target):
                backend.set_pointer(channel, target)
                moved[channel] = target
        for name, given in merge.statuses.items():
            wanted = _status_fields(given)
            ours = backend.read_metadata(name)
            if ours is not None and any(ours.get(k) != v for k, v in wanted.items()):
                backend.write_metadata(name, {**ours, **wanted})
    return moved


def _status_fields(given: Mapping[str, Any]) -> dict[str, Any]:
    """Only the status bookkeeping may be merged over a version's metadata, and only valid."""
    status = given.get("deployment_status")
    if status not in STATUSES:
        raise InvalidInputError(f"deployment_status must be one of {STATUSES}, got {status!r}")
    promoted = given.get("promoted_at")
    if promoted is not None:
        promoted = iso_utc(parse_timestamp(promoted, what="promoted_at"))
    return {"deployment_status": status, "promoted_at": promoted}
