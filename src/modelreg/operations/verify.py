"""`verify()`: check a stored registry end to end, and mend what is safe to mend.

Part of `StoreOperations`, kept apart because it walks every version; the checks are policy
(what counts as a problem, what repair may touch) and so live above the backends.
"""

from __future__ import annotations

import contextlib
import logging
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, NamedTuple

from .._bulk import gc_paused
from ..audit import Gap, find_gaps
from ..backends.base import Backend, Debris, effective_status
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
        walk = _Walk(backend, {t for t in pointers.values() if t is not None}, production)
        for done, (name, seen) in enumerate(_inspected(backend, names), 1):
            walk.record(name, seen, found)
            if progress is not None:
                progress(done, len(names))
        events: list[Event] = []  # read only when a pointer needs a fallback
        for channel, target in pointers.items():
            if target is not None and target not in walk.healthy_targets:
                events = events or backend.read_events()
                _repoint(backend, channel, target, walk.healthy_now, events, found)
        del events
        if repair:  # a repaired pointer changes which status is right
            walk.production_moved(backend.get_pointer(PRODUCTION))
        for name, stored, wanted in walk.stale():
            found(
                "stale-status",
                name,
                f"metadata says {stored!r}, the production pointer says {wanted!r}",
                lambda name=name, wanted=wanted: _set_status(backend, name, wanted),
            )
        with gc_paused():  # every event of the log decoded at once: none in a cycle
            gaps = _audit_gaps(backend, settled=repair)
        for gap in gaps:
            record = gap.recovered
            found(gap.kind, gap.where, gap.detail, lambda e=record: backend.append_event(e))
        for item in backend.debris_walked(walk.listed):
            found(item.kind, item.path, item.detail, lambda item=item: backend.remove_debris(item))
    return VerifyReport(checked=len(names), problems=problems, repaired=repaired)


class _Walk:
    """What the walk over every version keeps: only what a later check needs.

    At 100,000 versions a status per healthy version, then the whole metadata before it, was
    most of verify's memory. A stored status is judged against the production pointer as its
    version is walked; only the contradicted ones, the production version's and the health of
    the pointers' targets are kept. What interrupted writes left inside each version folder is
    listed in the same walk (`Backend.version_debris`), so the leftovers need no second walk
    (a shared empty tuple for each clean folder).
    """

    def __init__(self, backend: Backend, targets: set[str], production: str | None) -> None:
        self.backend = backend
        self.targets = targets
        self.production = production
        self.healthy_targets: set[str] = set()
        self.unhealthy: set[str] = set()
        #: {name: stored status} of the versions whose status may need mending
        self.watched: dict[str, str | None] = {}
        #: {name: leftovers inside its folder} of each version whose folder the walk listed
        self.listed: dict[str, Sequence[Debris]] = {}

    def record(self, name: str, seen: _Seen, found: Any) -> None:
        """What `_walked` saw of `name`, in the walk's order."""
        if seen.debris is not None:
            self.listed[name] = seen.debris or ()
        if seen.problem is not None:
            found(*seen.problem)
        if not seen.healthy:
            self.unhealthy.add(name)
            return
        if name in self.targets:
            self.healthy_targets.add(name)
        stored = seen.status
        if name == self.production or stored != effective_status(stored, name, self.production):
            self.watched[name] = stored

    def healthy_now(self, name: str) -> bool:
        """For a pointer's fallback (a name from the log): whole and intact right now."""
        if name in self.healthy_targets:
            return True
        return name not in self.unhealthy and _inspect(self.backend, name).healthy

    def production_moved(self, production: str | None) -> None:
        """A repair moved production: the new holder's stored status is judged again too."""
        if production is not None and production != self.production:
            meta = self.backend.read_metadata(production)
            if meta is not None:
                self.watched[production] = meta.get("deployment_status")
        self.production = production

    def stale(self) -> list[tuple[str, str | None, str]]:
        """(name, stored, wanted) for each status the production pointer contradicts."""
        found = []
        for name, stored in self.watched.items():
            wanted = effective_status(stored, name, self.production)
            if stored != wanted:
                found.append((name, stored, wanted))
        return found


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


class _Seen(NamedTuple):
    """One version as the walk saw it: healthy or not, its stored status, its problem, and
    the leftovers inside its folder (None: not listed)."""

    healthy: bool
    status: str | None = None
    problem: tuple[str, str, str] | None = None
    debris: Sequence[Debris] | None = None


def _inspect(backend: Backend, name: str, debris: Sequence[Debris] | None = None) -> _Seen:
    """Read and hash one version (any thread); None of its metadata is kept but the status."""
    try:
        meta = backend.read_metadata(name)
    except CorruptVersionError as exc:
        return _Seen(False, None, ("corrupt", name, str(exc)), debris)
    if meta is None:
        return _Seen(False, None, None, debris)
    try:
        backend.check_artifacts(name, meta.get("files") or {})
    except CorruptVersionError as exc:
        return _Seen(False, None, ("integrity", name, str(exc)), debris)
    return _Seen(True, meta.get("deployment_status"), None, debris)


def _walked(backend: Backend, name: str) -> _Seen:
    """`_inspect`, and what interrupted writes left in the version's folder (any thread)."""
    return _inspect(backend, name, backend.version_debris(name))


#: versions one task of the pool inspects: few enough to keep every thread busy, enough that
#: a task's own cost (a future, a wake-up) is spread over many versions
_BATCH = 32


def _inspected(backend: Backend, names: list[str]) -> Iterator[tuple[str, _Seen]]:
    """(name, what `_walked` saw) for each of `names`, in order.

    Where the backend allows it (`Backend.verify_threads`), a few threads inspect batches
    ahead of the walk: file reads and sha256 release the GIL, so one version's hashing runs
    while the next one's metadata is parsed. At most two batches a thread are in flight, so
    memory stays bounded whatever the registry's size.
    """
    threads = backend.verify_threads
    if threads <= 1 or len(names) <= _BATCH:
        for name in names:
            yield name, _walked(backend, name)
        return

    def batch(chunk: list[str]) -> list[_Seen]:
        return [_walked(backend, name) for name in chunk]

    with ThreadPoolExecutor(threads, thread_name_prefix="modelreg-verify") as pool:
        pending: deque[tuple[list[str], Future[list[_Seen]]]] = deque()
        chunks = (names[i : i + _BATCH] for i in range(0, len(names), _BATCH))
        for chunk in chunks:
            pending.append((chunk, pool.submit(batch, chunk)))
            if len(pending) >= 2 * threads:
                done, future = pending.popleft()
                yield from zip(done, future.result(), strict=True)
        while pending:
            done, future = pending.popleft()
            yield from zip(done, future.result(), strict=True)


def _repoint(
    backend: Backend,
    channel: str,
    target: str,
    healthy: Callable[[str], bool],
    events: list[Event],
    found: Any,
) -> None:
    """A pointer whose target is missing or damaged: back to the last healthy one it held."""
    fallback = previous_target(events, channel, target, exists=healthy)

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
