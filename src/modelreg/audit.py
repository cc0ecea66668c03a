"""The audit log against the state: every disagreement found, and every unlogged change told.

A change and its event are two writes. A writer killed between them, or a log that cannot be
appended to (a full disk), leaves a version without its register event, a removed version
without its delete event, or a pointer whose move the log does not show. `find_gaps` finds each
of them from the whole log, however many operations came after, as pure functions of the log,
the versions present and the pointers; `verify --repair` appends each gap's `recovered` event.
`ChangeRecord` is the writer's side: when an operation fails after a change that stands and is
not logged, the caller is told exactly what changed, never that nothing did.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import UnloggedChangeError
from .events import RECOVER, Event, event_key, in_effect_order, moves_of

__all__ = ["ChangeRecord", "Gap", "find_gaps"]

#: events that bring a version into the registry, and those that take it out
_ARRIVALS = frozenset({"register", "import"})
_REMOVALS = frozenset({"delete"})


@dataclass(frozen=True)
class Gap:
    """One disagreement between the log and the state, and the event that records it."""

    kind: str
    where: str
    detail: str
    recovered: Event = field(compare=False)

    def problem(self) -> dict[str, str]:
        return {"kind": self.kind, "where": self.where, "detail": self.detail}


def find_gaps(
    events: Iterable[Event],
    versions: Iterable[str],
    pointers: Mapping[str, str | None],
    *,
    now: str,
    user: str,
) -> list[Gap]:
    """Every change the state shows and the log does not (recovered events count as logged)."""
    log = list(events)
    gaps = list(_version_gaps(log, set(versions), now, user))
    ordered = in_effect_order(log)  # once for every channel
    for channel in _channels(log, pointers):
        gaps.extend(
            _move_gaps(moves_of(ordered, channel), channel, pointers.get(channel), now, user)
        )
    return gaps


def _channels(log: list[Event], pointers: Mapping[str, str | None]) -> list[str]:
    logged = {e.channel for e in log if e.channel}
    return sorted(logged | {c for c, target in pointers.items() if target is not None})


def _lifecycle(event: Event) -> str | None:
    """ "in", "out" or None: what an event says about its version being in the registry."""
    action = _recovered_action(event) if event.action == RECOVER else event.action
    if action in _ARRIVALS:
        return "in"
    if action in _REMOVALS:
        return "out"
    return None


def _recovered_action(event: Event) -> str | None:
    recovers = (event.details or {}).get("recovers")
    return recovers if isinstance(recovers, str) else None


def _version_gaps(log: list[Event], present: set[str], now: str, user: str) -> Iterator[Gap]:
    state: dict[str, str] = {}
    for event in log:
        said = _lifecycle(event) if event.version else None
        if said is not None and event.version is not None:
            state[event.version] = said
    for name in sorted(present):
        if state.get(name) != "in":
            yield Gap(
                "unlogged-register",
                name,
                "in the registry, but its registration is not in the audit log",
                _recovery(now, user, "register", version=name),
            )
    for name in sorted(n for n, said in state.items() if said == "in" and n not in present):
        yield Gap(
            "unlogged-delete",
            name,
            "gone, but its deletion is not in the audit log",
            _recovery(now, user, "delete", version=name),
        )


def _move_gaps(
    moves: list[Event], channel: str, pointer: str | None, now: str, user: str
) -> Iterator[Gap]:
    """Walk the channel's moves (`pointer_history`): each says where it moved from, which must
    be where the last logged move left it; a mismatch is a move the log lost, placed just
    before the one that shows it. The last move must leave the channel where its pointer is."""
    target: str | None = None
    for move in moves:
        if move.previous != target:
            yield _lost_move(channel, target, move.previous, now, user, before=move)
        target = move.version
    if pointer != target:
        yield _lost_move(channel, target, pointer, now, user, before=None)


def _lost_move(
    channel: str,
    source: str | None,
    dest: str | None,
    now: str,
    user: str,
    *,
    before: Event | None,
) -> Gap:
    then = f" (before the {before.action} at {before.timestamp})" if before is not None else ""
    recovered = _recovery(
        before.timestamp if before is not None else now,
        user,
        "promote",
        version=dest,
        channel=channel,
        previous=source,
        recorded_at=now,
        before=event_key(before) if before is not None else None,
    )
    return Gap(
        "unlogged-move",
        channel,
        f"moved from {source or 'nothing'} to {dest or 'nothing'}{then}; the audit log "
        "lacks that move",
        recovered,
    )


def _recovery(
    when: str,
    user: str,
    recovers: str,
    *,
    version: str | None,
    channel: str | None = None,
    previous: str | None = None,
    recorded_at: str | None = None,
    before: dict[str, Any] | None = None,
) -> Event:
    """The event `verify --repair` appends for a gap: the change, marked as recovered."""
    details: dict[str, Any] = {"recovers": recovers}
    if recorded_at is not None:
        details["recorded_at"] = recorded_at
    if before is not None:
        details["before"] = before
    return Event(
        when,
        RECOVER,
        version=version,
        channel=channel,
        previous=previous,
        user=user,
        reason="recorded by verify --repair: the change was made but never logged",
        details=details,
    )


class ChangeRecord:
    """What an operation changed and has not logged yet, to tell the caller if it fails.

    `made(what, stands)` after each change, `logged()` after its event is appended. If the
    operation fails (even after a rollback elsewhere), `stands()` says which changes are really
    still there: those, and only those, are reported as made and unlogged.
    """

    def __init__(self, action: str, where: str) -> None:
        self.action, self.where = action, where
        self._pending: list[tuple[str, Callable[[], bool]]] = []

    def made(self, what: str, stands: Callable[[], bool]) -> None:
        self._pending.append((what, stands))

    def logged(self) -> None:
        self._pending.clear()

    @contextlib.contextmanager
    def told(self) -> Iterator[ChangeRecord]:
        """Run the operation; on failure, raise UnloggedChangeError if a change stands."""
        try:
            yield self
        except UnloggedChangeError:
            raise
        except Exception as exc:
            standing = self._standing()
            if not standing:
                raise
            raise UnloggedChangeError(
                f"{self.action} in {self.where}: {'; '.join(standing)}, but the audit log does "
                f"not record it ({_reason(exc)}). The change stands; run `modelreg verify "
                "--repair` once the log can be written, to record it",
                changed=standing,
                action=self.action,
                errno_code=getattr(exc, "errno_code", None) or getattr(exc, "errno", None),
            ) from exc

    def _standing(self) -> list[str]:
        standing = []
        for what, stands in self._pending:
            try:
                if stands():
                    standing.append(what)
            except Exception:  # cannot tell: say it may have happened
                standing.append(f"{what} (perhaps)")
        return standing


def _reason(exc: BaseException) -> str:
    """What went wrong, in a few words (a storage error's own message says more than that)."""
    code = getattr(exc, "errno_code", None) or getattr(exc, "errno", None)
    if isinstance(code, int) and code > 0:
        return os.strerror(code)
    cause = exc.__cause__
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror
    return str(exc).split(";", 1)[0][:200]
