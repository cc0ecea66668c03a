"""`verify()`: check a stored registry end to end, and mend what is safe to mend.

Part of `StoreOperations`, kept apart because it walks every version; the checks are policy
(what counts as a problem, what repair may touch) and so live above the backends.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

from ..audit import Gap, find_gaps
from ..backends.base import Backend, effective_status
from ..errors import CorruptVersionError
from ..events import Event, previous_target
from ..metadata import current_user, iso_utc, utc_now
from ..versions import PRODUCTION, sort_newest_first
from .base import VerifyReport

__all__ = ["run_verify"]

log = logging.getLogger("modelreg")


def run_verify(
    backend: Backend,
    *,
    repair: bool,
    progress: Callable[[int, int], None] | None = None,
) -> VerifyReport:
    """Check everything; with `repair`, under the writers' lock, mend what is safe to mend."""
    problems: list[dict[str, Any]] = []
    repaired: list[dict[str, Any]] = []

    def found(kind: str, where: str, detail: str, fix: Any = None) -> None:
        problem = {"kind": kind, "where": where, "detail": detail}
        problems.append(problem)
        if repair and fix is not None:
            fix()
            repaired.append(problem)
            log.info("repaired %s at %s", kind, where)

    with backend.transaction() if repair else contextlib.nullcontext():
        names = sort_newest_first(backend.version_names())
        pointers = backend.pointers()
        production = pointers.get(PRODUCTION)
        #: each healthy version's stored status: at 100,000 versions their whole metadata
        #: was 90% of verify's memory, and only a stale status is ever needed again
        healthy: dict[str, str | None] = {}
        for done, name in enumerate(names, 1):
            meta = _check_version(backend, name, found)
            if progress is not None:
                progress(done, len(names))
            if meta is not None:
                healthy[name] = meta.get("deployment_status")
        events = backend.read_events()
        for channel, target in pointers.items():
            _check_pointer(backend, channel, target, set(healthy), events, found)
        if repair:  # a repaired pointer changes which status is right
            production = backend.get_pointer(PRODUCTION)
        for name, stored in healthy.items():
            wanted = effective_status(stored, name, production)
            if stored != wanted:
                found(
                    "stale-status",
                    name,
                    f"metadata says {stored!r}, the production pointer says {wanted!r}",
                    lambda name=name, wanted=wanted: _set_status(backend, name, wanted),
                )
        for gap in _audit_gaps(backend, settled=repair):
            record = gap.recovered
            found(gap.kind, gap.where, gap.detail, lambda e=record: backend.append_event(e))
        for item in backend.debris():
            found(item.kind, item.path, item.detail, lambda item=item: backend.remove_debris(item))
    return VerifyReport(checked=len(names), problems=problems, repaired=repaired)


def _set_status(backend: Backend, name: str, status: str) -> None:
    """Mend one stale status, from the metadata as it is now (read again under the lock)."""
    meta = backend.read_metadata(name)
    if meta is not None:
        backend.write_metadata(name, {**meta, "deployment_status": status})


def _audit_gaps(backend: Backend, *, settled: bool) -> list[Gap]:
    """Changes the log does not record. Without the writers' lock (`settled` False) a writer may
    be between its change and its event, so only gaps seen on two reads in a row count."""

    def read() -> list[Gap]:
        versions = backend.version_names()
        pointers = backend.pointers()
        now = iso_utc(utc_now())
        return find_gaps(backend.read_events(), versions, pointers, now=now, user=current_user())

    gaps = read()
    if gaps and not settled:
        again = {(g.kind, g.where, g.detail) for g in read()}
        gaps = [g for g in gaps if (g.kind, g.where, g.detail) in again]
    return gaps


def _check_version(backend: Backend, name: str, found: Any) -> dict[str, Any] | None:
    try:
        meta = backend.read_metadata(name)
    except CorruptVersionError as exc:
        found("corrupt", name, str(exc))
        return None
    if meta is None:
        return None
    try:
        backend.check_artifacts(name, meta.get("files") or {})
    except CorruptVersionError as exc:
        found("integrity", name, str(exc))
        return None
    return meta


def _check_pointer(
    backend: Backend,
    channel: str,
    target: str | None,
    healthy: set[str],
    events: list[Event],
    found: Any,
) -> None:
    if target is not None and target not in healthy:
        fallback = previous_target(events, channel, target, exists=healthy.__contains__)

        def repoint() -> None:
            backend.set_pointer(channel, fallback)
            backend.append_event(
                Event(
                    iso_utc(utc_now()),
                    "repair",
                    version=fallback,
                    channel=channel,
                    previous=target,
                    user=current_user(),
                    reason=f"{target} was missing or corrupt",
                )
            )

        found(
            "broken-pointer",
            channel,
            f"{channel} points to {target}, which is missing or corrupt"
            + (f"; repair moves it to {fallback}" if fallback else "; repair removes it"),
            repoint,
        )
