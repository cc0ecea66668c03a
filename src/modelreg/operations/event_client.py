"""The client of a server's event stream: server-sent events, parsed and resumed.

A stream that drops (a proxy's idle timeout, a server restart) is opened again with
`Last-Event-ID`, so the caller sees every matching event once, in order. A server at its limit
of streams (503) is asked again after its `Retry-After`; any other error answer is raised as the
registry error it names. The first connection's failure is raised too: a wrong URL should fail
loudly, not wait forever.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from ..errors import ServerBusyError, StorageError
from ..hooks.feed import EventFilter, FeedEvent
from ..lower_errors import translated

__all__ = ["stream_events"]

_PATH = "/api/events/stream"
#: seconds of silence (the server sends a comment every 15) before the stream counts as dropped
_SILENCE = 45.0


def stream_events(
    client: httpx.Client,
    model: str,
    *,
    after: int | None,
    wanted: EventFilter,
    stop: Callable[[], bool],
    error_of: Callable[[httpx.Response], Exception],
) -> Iterator[FeedEvent]:
    """Matching events after `after` (None: from now on), until `stop()` says so.

    `error_of` turns an error answer into the registry error it names (the remote client's).
    """
    last = None if after is None else f"{model}:{after}"
    connected = False
    pause = 0.5
    while not stop():
        try:
            for seen, item in _one_connection(client, model, last, wanted, error_of):
                connected = True
                last = seen or last
                if item is not None:
                    yield item
                if stop():
                    return
        except ServerBusyError as busy:
            time.sleep(min(float(getattr(busy, "retry_after", 5) or 5), 60.0))
            continue
        except StorageError:
            if not connected:
                raise
        time.sleep(pause)  # dropped: open it again from the last event seen
        pause = min(pause * 2, 10.0)


def _one_connection(
    client: httpx.Client,
    model: str,
    last: str | None,
    wanted: EventFilter,
    error_of: Callable[[httpx.Response], Exception],
) -> Iterator[tuple[str | None, FeedEvent | None]]:
    """(last id seen, the event if it matches) for each message; (None, None) when opened."""
    params: dict[str, Any] = {
        "model": model,
        "kind": sorted(wanted.kinds),
        "channel": sorted(wanted.channels or ()),
    }
    headers = {"Accept": "text/event-stream", **({"Last-Event-ID": last} if last else {})}
    timeout = httpx.Timeout(10.0, read=_SILENCE)
    with (
        translated("follow the events of", str(client.base_url), url=str(client.base_url)),
        client.stream("GET", _PATH, params=params, headers=headers, timeout=timeout) as answer,
    ):
        if answer.status_code >= 400:
            answer.read()
            raise error_of(answer)
        yield None, None
        for seen, data in _messages(answer.iter_lines()):
            item = FeedEvent.from_payload(json.loads(data)) if data is not None else None
            yield seen, item if item is not None and wanted.matches(item.event) else None


def _messages(lines: Iterator[str]) -> Iterator[tuple[str | None, str | None]]:
    """Each message's `id` and `data` (None where it has none; a comment has neither)."""
    seen: str | None = None
    data: list[str] = []
    for line in lines:
        if line == "":
            yield seen, "\n".join(data) if data else None
            seen, data = None, []
        elif line.startswith(":"):
            yield None, None
        elif line.startswith("id:"):
            seen = line[3:].strip() or None
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
