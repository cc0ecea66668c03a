"""Read answers reused while nothing changed: production metadata, listing pages, small files.

An answer is kept with the revision of its model it was made at (`Operations.revision`: on a
SQL catalog a counter in the model's row, one more at every write transaction, committed with
the write). A request first reads the current revision (one indexed statement), and reuses a
kept answer only when the numbers are equal: any write committed since, through this process
or any other on the same catalog (a register, a promote, an edit, a delete), has changed the
number, so a client that wrote through one server process and reads through another sees its
write. The revision is read before the answer is made, so an answer is never older than the
number it is kept under.

Why not a notification (PostgreSQL LISTEN/NOTIFY): it arrives after the writer's commit, at
some later moment, so a read through another process right after the write could still be
answered from before it. Asking the catalog costs a round trip, and is exact. Requests share
that round trip (`_Gate`): each is answered by a revision read that *began after it arrived*
(so it sees every write committed before it was sent), and all requests that arrive while
one read is in flight share the next one: under load, one statement per round trip time
instead of one per request, and a hit needs no worker thread at all.

A catalog changed behind modelreg's back (rows edited in SQL) must add one to the model's
`revision` in the same transaction, as every modelreg write does; else servers keep answering
what they kept until their next write or restart.

A registry without a revision (a folder: its files can be changed by any process, and no one
number says so; a registry server) gets no reuse: every request is answered afresh.

Only the answer is reused, never the check of who asks: routes reach here after the token and
its scope are checked, exactly as before, and every token that may read a model reads the same
answer (scopes are per server, not per version). The cache is bounded by entries and bytes,
least recently used first out; an answer over `max_answer` bytes, or to a request (path and
query string) over `max_request` bytes, is never kept.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import anyio.to_thread
from starlette.responses import Response

from ...registry import ModelRegistry

__all__ = ["Answer", "AnswerCache"]

#: defaults: entries, bytes kept in all, and the largest answer kept
MAX_ENTRIES = 4096
MAX_BYTES = 64 << 20
MAX_ANSWER = 1 << 20
#: the longest request (path and query string) whose answer is kept: a key is not counted in
#: `max_bytes`, so a token holder's ever-new long query strings must not be kept either
MAX_REQUEST = 4096


@dataclass(frozen=True)
class Answer:
    """A complete answer: its body, media type and headers (status 200)."""

    body: bytes
    media_type: str
    headers: dict[str, str] = field(default_factory=dict)

    def response(self) -> Response:
        return Response(self.body, media_type=self.media_type, headers=self.headers)


class _Gate:
    """One model's revision reads, shared: a caller gets the result of a read that began
    after it called (the one in flight, if any, began before: it waits for the next)."""

    def __init__(self, read: Callable[[], Awaitable[int | None]]) -> None:
        self._read = read
        self._loop: asyncio.AbstractEventLoop | None = None
        self._next: asyncio.Future[int | None] | None = None
        self._task: asyncio.Task[None] | None = None

    async def revision(self) -> int | None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new event loop (tests): nothing of the old one is used
            self._loop, self._next, self._task = loop, None, None
        if self._next is None:
            self._next = loop.create_future()
        if self._task is None:
            self._task = loop.create_task(self._reads())
        return await asyncio.shield(self._next)

    async def _reads(self) -> None:
        try:
            while self._next is not None:
                waiting, self._next = self._next, None  # later callers wait for the next read
                try:
                    value = await self._read()
                except BaseException as exc:
                    waiting.set_exception(exc)
                    if isinstance(exc, asyncio.CancelledError):
                        raise
                else:
                    waiting.set_result(value)
        finally:
            self._task = None


class AnswerCache:
    """Answers by (model, request), each with the model revision it was made at."""

    def __init__(
        self,
        *,
        max_entries: int = MAX_ENTRIES,
        max_bytes: int = MAX_BYTES,
        max_answer: int = MAX_ANSWER,
        max_request: int = MAX_REQUEST,
    ) -> None:
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self.max_answer, self.max_request = min(max_answer, max_bytes), max_request
        self._kept: OrderedDict[tuple[str, bytes], tuple[int, Answer]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._requests: Counter[bytes] = Counter()  # kept answers per request, any model
        self._gates: dict[str, _Gate] = {}
        self._without: set[str] = set()  # models whose registry has no revision
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._kept)

    @property
    def size(self) -> int:
        """Body bytes kept now."""
        return self._bytes

    def holds(self, request: bytes) -> bool:
        """Whether an answer to `request` is kept, for any model and revision (no I/O)."""
        return request in self._requests

    async def kept(self, registry: ModelRegistry, request: bytes) -> Answer | None:
        """The kept answer to `request` when it was made at the model's current revision."""
        if registry.model in self._without:
            return None
        revision = await self._revision(registry)
        with self._lock:
            kept = self._kept.get((registry.model, request))
            if kept is None or kept[0] != revision:
                return None
            self._kept.move_to_end((registry.model, request))
            self.hits += 1
            return kept[1]

    async def answer(
        self, registry: ModelRegistry, request: bytes, make: Callable[[], Answer | Response]
    ) -> Response:
        """The answer to `request` on `registry`'s model: the kept one when it was made at the
        model's current revision, else `make()`, run in a worker thread and kept for the next
        when it is a whole `Answer` (a streamed `Response` is not)."""
        model = registry.model
        revision = None if model in self._without else await self._revision(registry)
        key = (model, request)
        if revision is not None:
            with self._lock:
                kept = self._kept.get(key)
                if kept is not None and kept[0] == revision:
                    self._kept.move_to_end(key)
                    self.hits += 1
                    return kept[1].response()
                self.misses += 1
        made = await anyio.to_thread.run_sync(make, abandon_on_cancel=True)
        if not isinstance(made, Answer):
            return made
        if revision is not None:
            self._keep(key, revision, made)
        return made.response()

    async def _revision(self, registry: ModelRegistry) -> int | None:
        gate = self._gates.get(registry.model)
        if gate is None:
            gate = self._gates.setdefault(registry.model, _Gate(registry.operations.revision_async))
        revision = await gate.revision()
        if revision is None:  # a folder, a registry server: never one later either
            self._without.add(registry.model)
        return revision

    def _keep(self, key: tuple[str, bytes], revision: int, answer: Answer) -> None:
        size = len(answer.body)
        if size > self.max_answer or len(key[1]) > self.max_request:
            return
        with self._lock:
            old = self._kept.get(key)
            if old is not None:
                if old[0] > revision:  # made meanwhile from a newer state: keep that one
                    return
                self._bytes -= len(old[1].body)
            else:
                self._requests[key[1]] += 1
            self._kept[key] = (revision, answer)
            self._kept.move_to_end(key)
            self._bytes += size
            while len(self._kept) > self.max_entries or self._bytes > self.max_bytes:
                (_, request), (_, dropped) = self._kept.popitem(last=False)
                self._bytes -= len(dropped.body)
                self._requests[request] -= 1
                if not self._requests[request]:
                    del self._requests[request]
