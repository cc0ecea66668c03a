"""The change feed: the audit log read as numbered events, filtered, and followed.

The audit log is append-only, so an event's 1-based position in its model's log (its
`sequence`) never changes; `"<model>:<sequence>"` is the event id that webhooks, the SSE stream
and `modelreg events` all show, and what a receiver deduplicates on. A fingerprint of the event
lets a reader that resumes from a sequence check that the log under it is the one it read
(a registry recreated at the same place starts again at 1).

Webhook delivery, the server's SSE stream and `modelreg events --follow` all read through
`read_feed` and filter with `EventFilter`: one rule for which events a subscriber gets.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import InvalidInputError
from ..events import Event, encode_event
from ..versions import validate_channel, validate_model_name

if TYPE_CHECKING:
    from ..registry import ModelRegistry

__all__ = [
    "WILDCARD",
    "EventFilter",
    "EventSource",
    "FeedEvent",
    "SharedLog",
    "follow",
    "parse_event_id",
    "read_feed",
]

#: the kind that subscribes to every kind, present and future
WILDCARD = "*"
_MAX_KINDS = 64


@dataclass(frozen=True)
class FeedEvent:
    """One audit event with its place in the log."""

    model: str
    sequence: int
    event: Event

    @property
    def id(self) -> str:
        return f"{self.model}:{self.sequence}"

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(encode_event(self.event)).hexdigest()[:32]

    @classmethod
    def from_payload(cls, data: Any) -> FeedEvent:
        """Back from a payload (what the SSE stream sends); InvalidInputError if it is not one."""
        try:
            event = Event(
                timestamp=str(data["when"]),
                action=str(data["kind"]),
                version=data.get("version"),
                channel=data.get("channel"),
                previous=data.get("previous"),
                user=data.get("who"),
                reason=data.get("reason"),
                details=data.get("details"),
            )
            return cls(validate_model_name(data["model"]), int(data["sequence"]), event)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InvalidInputError(f"not an event payload: {str(data)[:120]}") from exc

    def payload(self, registry: str) -> dict[str, Any]:
        """The JSON document a webhook posts and the SSE stream sends as `data`."""
        e = self.event
        return {
            "id": self.id,
            "registry": registry,
            "model": self.model,
            "sequence": self.sequence,
            "kind": e.action,
            "version": e.version,
            "channel": e.channel,
            "previous": e.previous,
            "who": e.user,
            "when": e.timestamp,
            "reason": e.reason,
            "details": e.details,
        }


@dataclass(frozen=True)
class EventFilter:
    """Which events a subscriber wants: kinds (`*` for all) and, optionally, channels.

    Kinds are taken as given, never checked against a list, so kinds added later (approval
    requests, say) need no change here. With channels, only events on one of them match.
    """

    kinds: frozenset[str] = frozenset({WILDCARD})
    channels: frozenset[str] | None = None

    @classmethod
    def of(cls, kinds: Iterable[str] = (), channels: Iterable[str] = ()) -> EventFilter:
        wanted = frozenset(k.strip() for k in kinds if k.strip()) or frozenset({WILDCARD})
        if len(wanted) > _MAX_KINDS or any(not _is_kind(k) for k in wanted):
            raise InvalidInputError(
                "an event kind is a lower-case word (register, promote, ...) or '*'",
                kinds=sorted(wanted)[:_MAX_KINDS],
            )
        named = frozenset(validate_channel(c) for c in channels)
        return cls(wanted, named or None)

    def matches(self, event: Event) -> bool:
        if WILDCARD not in self.kinds and event.action not in self.kinds:
            return False
        return self.channels is None or event.channel in self.channels


def _is_kind(kind: str) -> bool:
    return kind == WILDCARD or (
        0 < len(kind) <= 32 and kind.replace("_", "").replace("-", "").isalnum()
    )


def parse_event_id(value: str, model: str) -> int:
    """The sequence of an event id (`model:sequence`, or a bare sequence) of `model`'s log."""
    text = value.strip()
    named, _, sequence = text.rpartition(":")
    if named and validate_model_name(named) != model:
        raise InvalidInputError(f"event id {text!r} is of model {named}, not {model}", id=text)
    if not sequence.isdigit() or len(sequence) > 18:
        raise InvalidInputError(f"an event id is MODEL:SEQUENCE, got {text[:80]!r}", id=text[:80])
    return int(sequence)


class EventSource(Protocol):
    """Where a feed reads a model's log: a `ModelRegistry`, or a `SharedLog` in front of one."""

    @property
    def model(self) -> str: ...

    def events(self) -> list[Event]: ...


class SharedLog:
    """One model's log read at most once per `every` seconds, however many readers poll it.

    A server's webhook threads and event streams each poll the log; reading it is the cost
    (it grows with the log: benchmarks/webhooks.py), so they share one read per interval.
    """

    def __init__(self, registry: EventSource, every: float) -> None:
        self.registry, self.every = registry, every
        self._lock = threading.Lock()
        self._read_at = -math.inf
        self._events: list[Event] = []

    @property
    def model(self) -> str:
        return self.registry.model

    def events(self) -> list[Event]:
        with self._lock:  # one reader reads; the others wait for its answer, then share it
            if time.monotonic() - self._read_at >= self.every:
                self._events = self.registry.events()
                self._read_at = time.monotonic()
            return self._events


def read_feed(registry: EventSource, after: int = 0) -> list[FeedEvent]:
    """The events of `registry`'s log after sequence `after`, oldest first."""
    events = registry.events()
    return [
        FeedEvent(registry.model, number, event)
        for number, event in enumerate(events[after:], start=after + 1)
    ]


def log_length(registry: EventSource) -> int:
    """How many events the log holds: the sequence a reader "from now on" starts after."""
    return len(registry.events())


def follow(
    registry: ModelRegistry,
    *,
    after: int | None = None,
    wanted: EventFilter | None = None,
    poll: float = 1.0,
    stop: Callable[[], bool] = lambda: False,
) -> Iterator[FeedEvent]:
    """The matching events after `after` (None: from now on), then each new one as it lands.

    On a server this is its SSE stream (no polling by the client); on a folder or database it
    tails the audit log every `poll` seconds. Ends when `stop()` says so.
    """
    wanted = wanted or EventFilter()
    stream = getattr(registry.operations, "stream_events", None)
    if stream is not None:
        yield from stream(after=after, wanted=wanted, stop=stop)
        return
    cursor = log_length(registry) if after is None else after
    while not stop():
        for item in read_feed(registry, cursor):
            cursor = item.sequence
            if wanted.matches(item.event):
                yield item
            if stop():
                return
        time.sleep(poll)
