"""The audit log's records, and the state that is folded from them.

`events.jsonl` (or the catalog's events table) is append-only. "Who was production before the
current one" and "what was live at 10:32 yesterday" are pure functions over the events, so they
are tested without any storage at all.

A `recover` event records a change that was made but never logged (see `audit.py`). One that
recovers a lost pointer move names the event it happened before (`details.before`), and the
folds take it as if it had been logged there: appending it later rewrites nothing.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from ._json_text import loads
from .metadata import parse_timestamp

__all__ = [
    "APPROVAL_ACTIONS",
    "APPROVE",
    "POINTER_ACTIONS",
    "RECOVER",
    "REJECT",
    "REQUEST",
    "Event",
    "decode_event_lines",
    "encode_event",
    "event_fields",
    "event_key",
    "in_effect_order",
    "live_at",
    "moves_of",
    "pointer_history",
    "previous_of_moves",
    "previous_target",
]

RECOVER = "recover"
POINTER_ACTIONS = frozenset({"promote", "rollback", "repair", RECOVER})
#: the approval workflow's events (`approvals.py`); none of them moves a pointer itself
REQUEST, APPROVE, REJECT = "request", "approve", "reject"
APPROVAL_ACTIONS = frozenset({REQUEST, APPROVE, REJECT})


@dataclass(frozen=True)
class Event:
    """One line of the audit log."""

    timestamp: str
    action: str
    version: str | None = None
    channel: str | None = None
    previous: str | None = None
    user: str | None = None
    reason: str | None = None
    details: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Event:
        known: dict[str, Any] = {k: data.get(k) for k in cls.__dataclass_fields__}
        return cls(**known)

    @property
    def moment(self) -> datetime:
        return parse_timestamp(self.timestamp)


_FIELDS = tuple(Event.__dataclass_fields__)


def event_fields(event: Event) -> dict[str, Any]:
    """`to_dict`'s fields read in place (no deep copy): to encode at once, never to keep."""
    return {k: v for k in _FIELDS if (v := getattr(event, k)) is not None}


def encode_event(event: Event) -> bytes:
    """One line of the log: `event_fields`, keys sorted."""
    return (json.dumps(event_fields(event), sort_keys=True, allow_nan=False) + "\n").encode()


def decode_event_lines(raw: bytes) -> tuple[list[Event], int]:
    """Parse the log, skipping lines a crash tore; returns the events and how many were torn."""
    events: list[Event] = []
    torn = 0
    for line in raw.splitlines():
        if not line.strip():
            continue
        try:
            data = loads(line)
            events.append(Event.from_dict(data))
        except (ValueError, TypeError):
            torn += 1
    return events, torn


def event_key(event: Event) -> dict[str, Any]:
    """What identifies an event in the log, for a recovered event to say where it belongs."""
    return {
        k: v
        for k, v in (
            ("timestamp", event.timestamp),
            ("action", event.action),
            ("version", event.version),
            ("channel", event.channel),
        )
        if v is not None
    }


def _anchor(event: Event) -> str | None:
    before = (event.details or {}).get("before") if event.action == RECOVER else None
    return json.dumps(before, sort_keys=True) if isinstance(before, dict) else None


def in_effect_order(events: Iterable[Event]) -> list[Event]:
    """The log in the order its changes took effect: each recovered event that names the event
    it happened before is placed right before it (at the end if that one is gone)."""
    log = list(events)
    anchored: dict[str, list[Event]] = {}
    for event in log:
        anchor = _anchor(event)
        if anchor is not None:
            anchored.setdefault(anchor, []).append(event)
    if not anchored:  # the usual log: in order as it is, with no key encoded per event
        return log
    ordered: list[Event] = []
    for event in log:
        if _anchor(event) is not None:
            continue
        ordered.extend(anchored.pop(json.dumps(event_key(event), sort_keys=True), []))
        ordered.append(event)
    for rest in anchored.values():
        ordered.extend(rest)
    return ordered


def pointer_history(events: Iterable[Event], channel: str) -> list[Event]:
    """The events that moved `channel`'s pointer, oldest first, in the order they took effect."""
    return moves_of(in_effect_order(events), channel)


def moves_of(ordered: Iterable[Event], channel: str) -> list[Event]:
    """`pointer_history` of a log already `in_effect_order`, for one of many channels."""
    return [e for e in ordered if e.action in POINTER_ACTIONS and e.channel == channel]


def previous_target(
    events: Iterable[Event], channel: str, current: str | None, exists: Any = None
) -> str | None:
    """The version `channel` served before `current`, from the whole log (`previous_of_moves`)."""
    return previous_of_moves(reversed(pointer_history(events, channel)), current, exists)


class _Unread(enum.Enum):
    """The part of a channel's undo stack below the moves read so far."""

    BELOW = enum.auto()


def previous_of_moves(
    newest_first: Iterable[Event], current: str | None, exists: Any = None
) -> str | None:
    """The version a channel served before `current`, as an undo stack of its moves, given
    newest first in the order they took effect (`Backend.pointer_moves`).

    A promotion pushes; a rollback to a version on the stack pops back to it (else pushes),
    so rolling back twice goes two promotions back rather than flipping between the last
    two. With `exists`, versions deleted since are skipped. Only as many moves are read as
    the answer needs: the stack is folded from the last few, what lies below the oldest of
    them unknown, and twice as many are read whenever the answer depends on that part (a
    rollback to a version not among them, or no candidate left above it).
    """
    moves = iter(newest_first)
    seen: list[tuple[bool, str]] = []
    checked: dict[str, bool] = {}

    def existing(name: str) -> bool:
        if name not in checked:
            checked[name] = exists is None or bool(exists(name))
        return checked[name]

    wanted = 2
    while True:
        ended = _read_moves(moves, seen, wanted)
        answer = _fold_back(seen, ended, current, existing)
        if answer is not _Unread.BELOW:
            return answer
        wanted *= 2


def _read_moves(moves: Iterator[Event], seen: list[tuple[bool, str]], wanted: int) -> bool:
    """Read moves that name a version into `seen` until it holds `wanted`; True at the end."""
    while len(seen) < wanted:
        event = next(moves, None)
        if event is None:
            return True
        if event.version:
            seen.append((event.action == "rollback", event.version))
    return False


def _fold_back(
    seen: list[tuple[bool, str]],
    ended: bool,
    current: str | None,
    existing: Callable[[str], bool],
) -> str | _Unread | None:
    """`previous_of_moves` from the moves in `seen` (newest first): `_Unread.BELOW` when
    the answer depends on the stack below them, unknown unless `ended` (all were read)."""
    stack: list[str | _Unread] = []
    if not ended:  # the oldest move read is the top of the stack before the others
        stack, seen = [_Unread.BELOW, seen[-1][1]], seen[:-1]
    for rollback, target in reversed(seen):
        at = _last_place(stack, target) if rollback else None
        if at is _Unread.BELOW:
            return at
        if at is not None:
            del stack[at + 1 :]
        elif not stack or stack[-1] != target:
            stack.append(target)
    while stack and stack[-1] == current:
        stack.pop()
    for candidate in reversed(stack):
        if candidate is _Unread.BELOW or (candidate != current and existing(candidate)):
            return candidate
    return None


def _last_place(stack: list[str | _Unread], target: str) -> int | _Unread | None:
    """Where `target` last stands on `stack`; None when it is not there."""
    for at in range(len(stack) - 1, -1, -1):
        if stack[at] is _Unread.BELOW:
            return _Unread.BELOW
        if stack[at] == target:
            return at
    return None


def live_at(events: Iterable[Event], channel: str, moment: datetime) -> str | None:
    """Which version `channel` pointed to at `moment`, according to the log."""
    live: str | None = None
    for event in pointer_history(events, channel):
        if event.moment > moment:
            break
        live = event.version
    return live
