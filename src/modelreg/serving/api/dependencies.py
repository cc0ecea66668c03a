"""What every route depends on: the caller's scope, the model it names, and off-loop work.

A route declares `who: Writer` or `registry: Registry` and FastAPI resolves it here, so the
token rules and the model lookup are written once for every router of the server.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

import anyio
import anyio.from_thread
import anyio.to_thread
from fastapi import Depends, Query, Request, Response
from starlette.requests import HTTPConnection
from starlette.types import Scope

from ...errors import ModelNotFoundError, VersionNotFoundError
from ...metadata import ACTING_USER
from ...registry import ModelRegistry
from ...versions import validate_model_name
from ..auth import Principal, TokenSet
from ..uploads import Body
from .answers import Answer, AnswerCache

__all__ = [
    "ERROR",
    "ERRORS",
    "Admin",
    "Models",
    "Reader",
    "Registry",
    "Target",
    "Writer",
    "acting",
    "caller",
    "in_thread",
    "json_answer",
    "kept_answer",
    "metadata_of",
    "public",
    "request_key",
    "upload_body",
]

T = TypeVar("T")
#: one error answer in the API schema
ERROR = {"model": dict[str, Any], "description": "`{error, message, context}`"}
#: the error answers a route documents (each `{error, message, context}`)
ERRORS: dict[int | str, dict[str, Any]] = {
    code: ERROR for code in (401, 403, 404, 409, 422, 423, 503)
}


class Models:
    """The served registry, and the other named models at its location, opened on demand.

    They share the served registry's connections (one pool per database, whatever the number
    of models), and only models that exist are opened for a read: an unknown name is a 404 and
    leaves nothing behind. A write may create a model, as on a folder.
    """

    def __init__(self, registry: ModelRegistry) -> None:
        self.default = registry
        self._opened: dict[str, ModelRegistry] = {registry.model: registry}
        self._lock = threading.Lock()
        self._verifying: dict[str, asyncio.Lock] = {}

    def opened(self, model: str | None) -> ModelRegistry | None:
        """The model if it is open already (no I/O: answered on the event loop), else None."""
        name = self.default.model if model is None else validate_model_name(model)
        return self._opened.get(name)

    def get(self, model: str | None, *, create: bool) -> ModelRegistry:
        name = self.default.model if model is None else validate_model_name(model)
        with self._lock:
            found = self._opened.get(name)
        if found is not None:
            return found
        if not create and name not in self.default.models():
            raise ModelNotFoundError(f"model {name} not found", model=name)
        with self._lock:  # routes run on a thread pool: open each model once
            return self._opened.setdefault(name, self.default.for_model(name))

    def verifying(self, registry: ModelRegistry) -> asyncio.Lock:
        """One verify at a time per model: the others wait without holding a thread."""
        return self._verifying.setdefault(registry.model, asyncio.Lock())


@contextmanager
def acting(principal: Principal) -> Iterator[None]:
    """Record the token's name, not the server's account, as "who" in the audit log."""
    token = ACTING_USER.set(principal.name)
    try:
        yield
    finally:
        ACTING_USER.reset(token)


def metadata_of(registry: ModelRegistry, version: str) -> dict[str, Any]:
    """A version's stored metadata; `latest` is production. 404 when it does not exist."""
    meta = registry.stored_metadata(version)
    if meta is None:
        raise VersionNotFoundError(f"version {version} not found", version=version)
    return meta


# The dependencies are coroutines: FastAPI runs a plain function dependency on its thread
# pool, one thread hop per dependency per request, for work that never blocks (a constant-time
# token compare, a dict lookup). Only a model not opened yet is looked up off the loop.


def caller(connection: HTTPConnection) -> Principal:
    """The caller, from its bearer token (or anonymous, where the server allows it)."""
    guard: TokenSet = connection.app.state.guard
    return guard.authenticate(connection.headers.get("authorization"))


async def _reader(request: Request) -> Principal:
    return caller(request)


async def _writer(who: Annotated[Principal, Depends(_reader)]) -> Principal:
    TokenSet.require(who, "write")
    return who


async def _admin(who: Annotated[Principal, Depends(_reader)]) -> Principal:
    """What rewrites the audit record itself (a migration's history) needs an admin token."""
    TokenSet.require(who, "admin")
    return who


_MODEL = Query(max_length=128, description="a named model")


async def _registry(request: Request, model: Annotated[str | None, _MODEL] = None) -> ModelRegistry:
    """The model a read names: 404 when it does not exist."""
    models: Models = request.app.state.models
    found = models.opened(model)
    return found if found is not None else await in_thread(lambda: models.get(model, create=False))


async def _target(request: Request, model: Annotated[str | None, _MODEL] = None) -> ModelRegistry:
    """The model a write names, created by the write when it does not exist yet."""
    models: Models = request.app.state.models
    found = models.opened(model)
    return found if found is not None else await in_thread(lambda: models.get(model, create=True))


Reader = Annotated[Principal, Depends(_reader)]
Writer = Annotated[Principal, Depends(_writer)]
Admin = Annotated[Principal, Depends(_admin)]
Registry = Annotated[ModelRegistry, Depends(_registry)]
Target = Annotated[ModelRegistry, Depends(_target)]


async def in_thread(work: Callable[[], T]) -> T:
    """Run blocking work off the event loop; a server stopping does not wait for it."""
    return await anyio.to_thread.run_sync(work, abandon_on_cancel=True)


#: how much of a body the event loop gathers before handing it to the upload's thread
BATCH = 1 << 20


class _BodyChunks:
    """The request body as a plain iterator, for work running in a thread (uploads).

    The server hands over a body in pieces of 64 KiB or so; each hop from the event loop to
    the thread costs a wake-up on both sides, so the loop gathers up to BATCH bytes per hop.
    """

    def __init__(self, request: Request) -> None:
        self._stream: AsyncIterator[bytes] = request.stream().__aiter__()
        self._ended = False

    def __iter__(self) -> Iterator[bytes]:
        while not self._ended:
            batch = anyio.from_thread.run(self._next)
            if batch:
                yield batch

    async def _next(self) -> bytes:
        pieces: list[bytes] = []
        size = 0
        while size < BATCH:
            try:
                chunk = await self._stream.__anext__()
            except StopAsyncIteration:
                self._ended = True
                break
            pieces.append(chunk)
            size += len(chunk)
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)


def upload_body(request: Request) -> Body:
    """The body of an authenticated upload, refused (413) past the server's limit."""
    return Body(
        _BodyChunks(request),
        limit=request.app.state.max_upload_size,
        declared=request.headers.get("content-length"),
    )


def public(meta: dict[str, Any]) -> dict[str, Any]:
    """Without `path`: where the server keeps a version is none of a client's business."""
    return {k: v for k, v in meta.items() if k != "path"}


def json_answer(content: Any, *, headers: dict[str, str] | None = None) -> Answer:
    """`content` as JSON, encoded once here: what FastAPI would send for the route's declared
    type, without validating the value against it and then re-encoding it (a fifth of a
    metadata read's time under load). Routes declare `response_model` for the schema; the
    answer is whole, so `AnswerCache` may keep it (`.response()` sends it)."""
    body = json.dumps(
        content, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=_plain
    )
    return Answer(body.encode(), "application/json", headers or {})


def request_key(scope: Scope) -> bytes:
    """What a cached read answer is kept under: its exact path and query string."""
    return scope["path"].encode() + b"?" + scope.get("query_string", b"")


async def kept_answer(
    request: Request, registry: ModelRegistry, make: Callable[[], Answer | Response]
) -> Response:
    """The server's cache of read answers (`serving/api/answers.py`) answers the request:
    kept under `request_key`, the key `KeptReads` looks a repeated read up by."""
    cache: AnswerCache = request.app.state.answers
    return await cache.answer(registry, request_key(request.scope), make)


def _plain(value: Any) -> Any:
    """What the JSON encoder cannot write itself: as FastAPI's encoder writes it."""
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
