"""The audit log's records, and the state that is folded from them.

`events.jsonl` (or the catalog's events table) is append-only. "Who was production before the
current one" and "what was live at 10:32 yesterday" are pure functions over the events, so they
are tested without any storage at all.

A `recover` event records a change that was made but never logged (see `audit.py`). One that
recovers a lost pointer move names the event it happened before (`details.before`), and the
folds take it as if it had been logged there: appending it later rewrites nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

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
    "pointer_history",
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
            data = json.loads(line)
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
    return [
        e for e in in_effect_order(events) if e.action in POINTER_ACTIONS and e.channel == channel
    ]


def previous_target(
    events: Iterable[Event], channel: str, current: str | None, exists: Any = None
) -> str | None:
    """The version `channel` served before `current`, as an undo stack of its moves.

    A promotion pushes; a rollback to a version on the stack pops back to it (else pushes),
    so rolling back twice goes two promotions back rather than flipping between the last
    two. With `exists`, versions deleted since are skipped.
    """
    stack: list[str] = []
    for event in pointer_history(events, channel):
        target = event.version
        if not target:
            continue
        if event.action == "rollback" and target in stack:
            del stack[len(stack) - stack[::-1].index(target) :]
        elif not stack or stack[-1] != target:
            stack.append(target)
    while stack and stack[-1] == current:
        stack.pop()
    for candidate in reversed(stack):
        if candidate != current and (exists is None or exists(candidate)):
            return candidate
    return None


def live_at(events: Iterable[Event], channel: str, moment: datetime) -> str | None:
    """Which version `channel` pointed to at `moment`, according to the log."""
    live: str | None = None
    for event in pointer_history(events, channel):
        if event.moment > moment:
            break
        live = event.version
    return live
