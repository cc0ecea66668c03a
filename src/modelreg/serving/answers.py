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
answered from before it. Asking the catalog costs a round trip per request, and is exact.

A registry without a revision (a folder: its files can be changed by any process, and no one
number says so; a registry server) gets no reuse: every request is answered afresh.

Only the answer is reused, never the check of who asks: routes reach here after the token and
its scope are checked, exactly as before, and every token that may read a model reads the same
answer (scopes are per server, not per version). The cache is bounded by entries and bytes,
least recently used first out; an answer over `max_answer` bytes is never kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from starlette.responses import Response

from ..registry import ModelRegistry

__all__ = ["Answer", "AnswerCache", "respond"]

#: defaults: entries, bytes kept in all, and the largest answer kept
MAX_ENTRIES = 4096
MAX_BYTES = 64 << 20
MAX_ANSWER = 1 << 20


@dataclass(frozen=True)
class Answer:
    """A complete answer: its body, media type and headers (status 200)."""

    body: bytes
    media_type: str
    headers: dict[str, str] = field(default_factory=dict)

    def response(self) -> Response:
        return Response(self.body, media_type=self.media_type, headers=self.headers)


def respond(answer: Answer | Response) -> Response:
    """What the route returns for `AnswerCache.answer`'s result."""
    return answer.response() if isinstance(answer, Answer) else answer


class AnswerCache:
    """Answers by (model, request), each with the model revision it was made at."""

    def __init__(
        self,
        *,
        max_entries: int = MAX_ENTRIES,
        max_bytes: int = MAX_BYTES,
        max_answer: int = MAX_ANSWER,
    ) -> None:
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self.max_answer = min(max_answer, max_bytes)
        self._kept: OrderedDict[tuple[str, Hashable], tuple[int, Answer]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._kept)

    @property
    def size(self) -> int:
        """Body bytes kept now."""
        return self._bytes

    def answer(
        self, registry: ModelRegistry, request: Hashable, make: Callable[[], Answer | Response]
    ) -> Answer | Response:
        """The answer to `request` on `registry`'s model: kept, when made at the model's
        current revision, else `make()`, kept for the next when it is a whole `Answer` (a
        streamed `Response` is not). Blocking: run it off the event loop."""
        revision = registry.operations.revision()
        if revision is None:
            return make()
        key = (registry.model, request)
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and kept[0] == revision:
                self._kept.move_to_end(key)
                self.hits += 1
                return kept[1]
            self.misses += 1
        made = make()
        if isinstance(made, Answer):
            self._keep(key, revision, made)
        return made

    def _keep(self, key: tuple[str, Hashable], revision: int, answer: Answer) -> None:
        size = len(answer.body)
        if size > self.max_answer:
            return
        with self._lock:
            old = self._kept.get(key)
            if old is not None:
                if old[0] > revision:  # made meanwhile from a newer state: keep that one
                    return
                self._bytes -= len(old[1].body)
            self._kept[key] = (revision, answer)
            self._kept.move_to_end(key)
            self._bytes += size
            while len(self._kept) > self.max_entries or self._bytes > self.max_bytes:
                _, (_, dropped) = self._kept.popitem(last=False)
                self._bytes -= len(dropped.body)
