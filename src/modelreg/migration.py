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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import VersionExistsError
from .events import Event
from .metadata import LOCAL_STATE, same_version
from .operations import HistoryMerge, Operations
from .registry import ModelRegistry
from .versions import sort_newest_first

__all__ = ["MigrationReport", "migrate", "migrate_model"]

log = logging.getLogger("modelreg")

#: events (and statuses) per merge request: a server takes at most 1 MiB of JSON at once
_BATCH = 2000
_BATCH_BYTES = 512 << 10


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
    src, dst = source.operations, dest.operations
    copied, skipped = [], []
    for name in reversed(sort_newest_first(src.version_names())):
        meta = src.read_metadata(name)
        if meta is None:  # deleted while we were copying
            continue
        if _already_there(dst, name, meta):
            skipped.append(name)
            continue
        with src.checked_folder(meta) as folder:
            dst.adopt(folder, meta)
        copied.append(name)
        log.info("migrated version %s of %s to %s", name, source.model, dest.location)
    events, pointers = _copy_history(src, dst)
    record = source.model_info()
    if record["description"] is not None or record["tags"]:
        dest.replace_model_record(record["description"], record["tags"], reason="migrated")
    return MigrationReport(source.model, copied, skipped, events, pointers)


def _already_there(dest: Operations, name: str, meta: Mapping[str, Any]) -> bool:
    existing = dest.read_metadata(name)
    if existing is None:
        return False
    if not same_version(existing, meta):
        raise VersionExistsError(
            f"cannot migrate {name}: {dest.location} already has a different "
            f"version with that name",
            version=name,
        )
    return True


def _copy_history(src: Operations, dst: Operations) -> tuple[int, dict[str, str]]:
    """Events missing at `dst` (as a multiset, in source order), then pointers and statuses.

    Sent in batches small enough for one request each when `dst` is a server.
    """
    have = Counter(_event_key(e) for e in dst.read_events())
    missing = []
    for event in src.read_events():
        key = _event_key(event)
        if have[key]:
            have[key] -= 1
            continue
        missing.append(event)
    present = set(dst.version_names())
    pointers = {c: t for c, t in src.pointers().items() if t is not None and t in present}
    statuses = {}
    for name in sorted(present):
        theirs = src.read_metadata(name)
        if theirs is not None:
            statuses[name] = {k: theirs.get(k) for k in LOCAL_STATE}
    moved: dict[str, str] = {}
    for events in _batches(missing):
        dst.merge_history(HistoryMerge(events=events))
    names = sorted(statuses)
    for start in range(0, len(names), _BATCH):
        chunk = {n: statuses[n] for n in names[start : start + _BATCH]}
        dst.merge_history(HistoryMerge(statuses=chunk))
    moved.update(dst.merge_history(HistoryMerge(pointers=pointers)))
    return len(missing), moved


def _batches(events: list[Event]) -> Iterator[list[Event]]:
    """Consecutive runs of events, each at most _BATCH long and about _BATCH_BYTES of JSON."""
    chunk: list[Event] = []
    size = 0
    for event in events:
        weight = len(_event_key(event))
        if chunk and (len(chunk) >= _BATCH or size + weight > _BATCH_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(event)
        size += weight
    if chunk:
        yield chunk


def _event_key(event: Event) -> str:
    return json.dumps(event.to_dict(), sort_keys=True)
