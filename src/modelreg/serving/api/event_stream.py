"""`GET /api/events/stream`: the audit log as server-sent events, for a CD job to wait on.

Each event is `id: <model>:<sequence>`, `event: <kind>`, `data: <JSON payload>` (the same
document a webhook posts); the first message is only the id the stream starts after. A client
that reconnects sends `Last-Event-ID` and gets every event after it (the browser's EventSource
does so itself); without one it gets events from now on, or after `?after=MODEL:SEQUENCE`.
`kind` and `channel` filter, as a hook's settings do.

A stream holds a connection open, so the number of them is bounded per server: past
`max_event_streams`, a new one is refused with 503 and `Retry-After` before anything is read.
A stream whose client has gone is noticed within one poll and its slot freed.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Annotated

import anyio
import anyio.to_thread
from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from ...errors import ServerBusyError
from ...hooks.feed import (
    EventFilter,
    FeedEvent,
    SharedLog,
    log_length,
    parse_event_id,
    read_feed,
)
from ...registry import ModelRegistry
from .dependencies import Reader, Registry

__all__ = ["DEFAULT_MAX_STREAMS", "StreamSlots", "router"]

DEFAULT_MAX_STREAMS = 32
#: seconds between comments that keep a quiet stream (and its proxies) open
KEEPALIVE = 15.0


class StreamSlots:
    """How many event streams may be open at once, and how many are."""

    def __init__(self, limit: int, *, poll: float = 0.5, keepalive: float = KEEPALIVE) -> None:
        self.limit, self.poll, self.keepalive = limit, poll, keepalive
        self.open = 0
        self._lock = threading.Lock()
        self._logs: dict[str, SharedLog] = {}

    def log_of(self, registry: ModelRegistry) -> SharedLog:
        """The model's log as every stream reads it: once per half poll, for all of them."""
        with self._lock:
            return self._logs.setdefault(registry.model, SharedLog(registry, self.poll / 2))

    def take(self) -> Callable[[], None]:
        """A slot, and the function that gives it back (safe to call more than once)."""
        with self._lock:
            if self.open >= self.limit:
                raise ServerBusyError(
                    f"this server already serves {self.limit} event streams; retry later",
                    limit=self.limit,
                    retry_after=5,
                )
            self.open += 1
        released = False

        def release() -> None:
            nonlocal released
            with self._lock:
                if not released:
                    released = True
                    self.open -= 1

        return release


router = APIRouter()


@router.get(
    "/api/events/stream",
    tags=["read"],
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}, 503: {}},
)
async def event_stream(
    request: Request,
    who: Reader,
    model: Registry,
    kind: Annotated[list[str] | None, Query(description="event kinds, `*` for all")] = None,
    channel: Annotated[list[str] | None, Query(description="only on these channels")] = None,
    after: Annotated[str | None, Query(max_length=200, description="MODEL:SEQUENCE")] = None,
) -> StreamingResponse:
    """Audit events as server-sent events, resumable with `Last-Event-ID`."""
    wanted = EventFilter.of(kind or (), channel or ())
    resume = request.headers.get("last-event-id") or after
    slots: StreamSlots = request.app.state.event_streams
    log = slots.log_of(model)
    if resume:
        start = parse_event_id(resume, model.model)
    else:
        start = await anyio.to_thread.run_sync(log_length, log)
    release = slots.take()
    label: str = request.app.state.registry_label
    return StreamingResponse(
        _events(request, log, start, wanted, slots, release, label),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        background=BackgroundTask(release),
    )


async def _events(
    request: Request,
    registry: SharedLog,
    cursor: int,
    wanted: EventFilter,
    slots: StreamSlots,
    release: Callable[[], None],
    label: str,
) -> AsyncIterator[str]:
    try:
        # where the stream starts, as an id without data: a client that reconnects before any
        # event resumes from here (EventSource keeps it too), so nothing falls in between
        yield f"retry: {int(slots.poll * 4000)}\nid: {registry.model}:{cursor}\n\n"
        quiet_since = time.monotonic()
        while not await request.is_disconnected():
            items = await anyio.to_thread.run_sync(
                partial(read_feed, registry, cursor), abandon_on_cancel=True
            )
            for item in items:
                cursor = item.sequence
                if wanted.matches(item.event):
                    yield _message(item, label)
                    quiet_since = time.monotonic()
            if time.monotonic() - quiet_since >= slots.keepalive:
                yield ": keep-alive\n\n"
                quiet_since = time.monotonic()
            await anyio.sleep(slots.poll)
    finally:
        release()


def _message(item: FeedEvent, label: str) -> str:
    data = json.dumps(item.payload(label), sort_keys=True)
    return f"id: {item.id}\nevent: {item.event.action}\ndata: {data}\n\n"
