"""`modelreg migrate`: copy a registry to another location, any backend to any backend.

Every version keeps its name, metadata and hashes (the files are checked against them on
arrival), then the audit log and the channel pointers follow, so history, rollback and
`production_at` answer the same at the destination. Re-running copies only what is missing:
versions by name, events by content, pointers where they differ. The reverse direction is the
same call with the locations swapped.
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .archive import same_version
from .errors import VersionExistsError
from .events import Event
from .registry import ModelRegistry
from .versions import sort_newest_first

__all__ = ["MigrationReport", "migrate", "migrate_model"]

log = logging.getLogger("modelreg")


@dataclass(frozen=True)
class MigrationReport:
    """What one model's migration copied and what it found already there."""

    model: str
    copied: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    events: int = 0
    pointers: dict[str, str] = field(default_factory=dict)


def migrate(
    source: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    *,
    models: list[str] | None = None,
    source_options: Mapping[str, Any] | None = None,
    dest_options: Mapping[str, Any] | None = None,
) -> list[MigrationReport]:
    """Copy every model (or those named) from `source` to `dest`; safe to run again."""
    if models is None:
        probe = ModelRegistry(source, **dict(source_options or {}))
        try:
            models = probe.models()
        finally:
            probe.close()
    reports = []
    for model in models:
        src = ModelRegistry(source, model=model, **dict(source_options or {}))
        try:
            dst = ModelRegistry(dest, model=model, **dict(dest_options or {}))
            try:
                reports.append(migrate_model(src, dst))
            finally:
                dst.close()
        finally:
            src.close()
    return reports


def migrate_model(source: ModelRegistry, dest: ModelRegistry) -> MigrationReport:
    """Copy one model's versions, then its audit log, then its pointers."""
    copied, skipped = [], []
    for name in reversed(sort_newest_first(source.backend.version_names())):
        meta = source.backend.read_metadata(name)
        if meta is None:  # deleted while we were copying
            continue
        if _already_there(dest, name, meta, source.location):
            skipped.append(name)
            continue
        with source.backend.local_folder(name) as folder:
            dest.adopt_version(folder, meta)
        copied.append(name)
        log.info("migrated version %s of %s to %s", name, source.model, dest.location)
    events, pointers = _copy_history(source, dest)
    return MigrationReport(source.model, copied, skipped, events, pointers)


def _already_there(dest: ModelRegistry, name: str, meta: Mapping[str, Any], src: str) -> bool:
    existing = dest.backend.read_metadata(name)
    if existing is None:
        return False
    if not same_version(existing, meta):
        raise VersionExistsError(
            f"cannot migrate {name} from {src}: {dest.location} already has a different "
            f"version with that name",
            version=name,
        )
    return True


def _copy_history(source: ModelRegistry, dest: ModelRegistry) -> tuple[int, dict[str, str]]:
    """Events missing at `dest` (as a multiset, in source order), then pointers and statuses."""
    src, dst = source.backend, dest.backend
    appended, moved = 0, {}
    with dst.transaction():
        have = Counter(_event_key(e) for e in dst.read_events())
        for event in src.read_events():
            key = _event_key(event)
            if have[key]:
                have[key] -= 1
                continue
            dst.append_event(event)
            appended += 1
        present = set(dst.version_names())
        for channel in src.channel_names():
            target = src.get_pointer(channel)
            if target in present and dst.get_pointer(channel) != target:
                dst.set_pointer(channel, target)
                moved[channel] = target
        for name in present:
            _sync_status(source, dest, name)
    return appended, moved


def _sync_status(source: ModelRegistry, dest: ModelRegistry, name: str) -> None:
    """Statuses follow pointers; a re-run after a promotion at the source mends them here."""
    theirs = source.backend.read_metadata(name)
    ours = dest.backend.read_metadata(name)
    if theirs is None or ours is None:
        return
    wanted = {k: theirs.get(k) for k in ("deployment_status", "promoted_at")}
    if any(ours.get(k) != v for k, v in wanted.items()):
        dest.backend.write_metadata(name, {**ours, **wanted})


def _event_key(event: Event) -> str:
    return json.dumps(event.to_dict(), sort_keys=True)
