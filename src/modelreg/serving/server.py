"""`modelreg server`: the registry over HTTP, and the web UI served beside it.

Thin on purpose: a route authenticates, parses, calls one public `ModelRegistry` method (or
one of its raising `operations`) and renders JSON. Each write route is the server half of one
`RemoteOperations` method (`operations/remote.py`): the client sends the whole operation, and
it runs here, in `StoreOperations`, under the registry's lock. Every `ModelRegistryError`
becomes its class's status and `to_dict()` body in one handler; the only module that imports
the web framework.

Every request's work is bounded: the token is checked before a body is read, an upload is
streamed once into the registry's staging area and refused past `max_upload_size`, a table is
sampled as it streams, verify runs one at a time per model off the event loop, and a read of a
model that does not exist opens nothing. No answer shows a server path or a database URL.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

import anyio
import anyio.from_thread
import anyio.to_thread
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import __version__
from ..errors import (
    InvalidInputError,
    ModelNotFoundError,
    ModelRegistryError,
    PayloadTooLargeError,
    VersionNotFoundError,
)
from ..events import Event
from ..metadata import ACTING_USER
from ..operations import HistoryMerge, Imported
from ..query import VersionQuery
from ..registry import PRODUCTION, ModelRegistry
from ..result import TABLES
from ..versions import validate_channel, validate_model_name, validate_version
from .access_log import AccessLog
from .auth import Principal, TokenSet
from .redaction import Redactor
from .requests import (
    IMPORT_DOC,
    UPLOAD_DOC,
    CleanupRequest,
    HistoryRequest,
    PromoteRequest,
    RollbackRequest,
    TagsRequest,
    VerifyRequest,
)
from .tables import read_table
from .uploads import DEFAULT_MAX_UPLOAD, Body, chunks, receive_archive, receive_registration

__all__ = ["DEFAULT_MAX_UPLOAD", "create_app"]

T = TypeVar("T")
#: the largest body of a route that is not an upload (small JSON requests)
MAX_REQUEST_BODY = 1 << 20
#: the routes whose bodies stream on to them, bounded by the server's upload limit
_UPLOADS = frozenset({("POST", "/api/versions"), ("POST", "/api/import")})
_ERROR = {"model": dict[str, Any], "description": "`{error, message, context}`"}
_ERRORS: dict[int | str, dict[str, Any]] = {
    code: _ERROR for code in (401, 403, 404, 409, 422, 423, 503)
}


def create_app(
    registry: ModelRegistry,
    *,
    tokens: TokenSet | None = None,
    anonymous_read: bool = False,
    max_upload_size: int = DEFAULT_MAX_UPLOAD,
) -> Any:
    """The FastAPI app serving `registry` (and the other models at its location).

    Args:
        tokens: the accepted bearer tokens (`serving.auth.load_tokens`); none: only anonymous
            reads, if allowed.
        anonymous_read: let callers without a token read (never write).
        max_upload_size: the largest request body stored, in bytes (413 beyond it).
    """
    app = FastAPI(
        title="modelreg",
        version=__version__,
        description="A model registry: versions, metrics, promotion, rollback and cleanup.",
        docs_url="/api/docs",
        redoc_url=None,
    )

    redact = Redactor(registry.location)

    @app.exception_handler(ModelRegistryError)
    def registry_error(request: Request, exc: ModelRegistryError) -> JSONResponse:
        return JSONResponse(redact.value(exc.to_dict()), status_code=exc.http_status)

    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "not_allowed"}.get(exc.status_code, "invalid_input")
        body = {"error": code, "message": str(exc.detail), "context": {}}
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()
        ]
        error = InvalidInputError("invalid request: " + "; ".join(problems), problems=problems)
        return registry_error(request, error)

    app.state.guard = (tokens if tokens is not None else TokenSet()).allowing_anonymous(
        anonymous_read
    )
    app.state.models = _Models(registry)
    app.state.max_upload_size = max_upload_size
    app.state.redact = redact
    app.add_middleware(_BodyGuard)
    app.add_middleware(AccessLog)  # outermost: a request the guard refuses is logged too
    app.include_router(router)
    _add_ui(app)
    return app


class _BodyGuard:
    """Before a byte of any request body is read: who is calling, and how much they may send.

    An unknown token gets its 401 here, so nobody without a token can make the server read,
    spool or store anything. Uploads then stream on to their route (which stops at the
    upload limit); every other body is small JSON, read here up to MAX_REQUEST_BODY (413).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        state = request.app.state
        try:
            state.guard.authenticate(request.headers.get("authorization"))
            path = str(scope["path"]).removeprefix(str(scope.get("root_path", "")))
            if (scope["method"], path) in _UPLOADS:
                await self.app(scope, receive, send)
                return
            body = await _read_small(receive, request.headers.get("content-length"))
        except ModelRegistryError as exc:
            answer = JSONResponse(state.redact.value(exc.to_dict()), status_code=exc.http_status)
            await answer(scope, receive, send)
            return
        await self.app(scope, _replaying(body, receive), send)


async def _read_small(receive: Receive, declared: str | None) -> bytes:
    too_large = PayloadTooLargeError(
        f"a request body may have at most {MAX_REQUEST_BODY} bytes", limit=MAX_REQUEST_BODY
    )
    if declared is not None and declared.isdigit() and int(declared) > MAX_REQUEST_BODY:
        raise too_large
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        body.extend(message.get("body", b""))
        if len(body) > MAX_REQUEST_BODY:
            raise too_large
        if not message.get("more_body", False):
            break
    return bytes(body)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the app the body already read, then waits as the real one does."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class _Models:
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
def _acting(principal: Principal) -> Iterator[None]:
    """Record the token's name, not the server's account, as "who" in the audit log."""
    token = ACTING_USER.set(principal.name)
    try:
        yield
    finally:
        ACTING_USER.reset(token)


def _metadata_of(registry: ModelRegistry, version: str) -> dict[str, Any]:
    """A version's stored metadata; `latest` is production. 404 when it does not exist."""
    meta = registry.stored_metadata(version)
    if meta is None:
        raise VersionNotFoundError(f"version {version} not found", version=version)
    return meta


def _reader(request: Request) -> Principal:
    """The caller, from its bearer token (or anonymous, where the server allows it)."""
    guard: TokenSet = request.app.state.guard
    return guard.authenticate(request.headers.get("authorization"))


def _writer(who: Annotated[Principal, Depends(_reader)]) -> Principal:
    TokenSet.require(who, "write")
    return who


def _admin(who: Annotated[Principal, Depends(_reader)]) -> Principal:
    """What rewrites the audit record itself (a migration's history) needs an admin token."""
    TokenSet.require(who, "admin")
    return who


_MODEL = Query(max_length=128, description="a named model")


def _registry(request: Request, model: Annotated[str | None, _MODEL] = None) -> ModelRegistry:
    """The model a read names: 404 when it does not exist."""
    models: _Models = request.app.state.models
    return models.get(model, create=False)


def _target(request: Request, model: Annotated[str | None, _MODEL] = None) -> ModelRegistry:
    """The model a write names, created by the write when it does not exist yet."""
    models: _Models = request.app.state.models
    return models.get(model, create=True)


Reader = Annotated[Principal, Depends(_reader)]
Writer = Annotated[Principal, Depends(_writer)]
Admin = Annotated[Principal, Depends(_admin)]
Registry = Annotated[ModelRegistry, Depends(_registry)]
Target = Annotated[ModelRegistry, Depends(_target)]
router = APIRouter()


async def _in_thread(work: Callable[[], T]) -> T:
    """Run blocking work off the event loop; a server stopping does not wait for it."""
    return await anyio.to_thread.run_sync(work, abandon_on_cancel=True)


class _BodyChunks:
    """The request body as a plain iterator, for work running in a thread (uploads)."""

    def __init__(self, request: Request) -> None:
        self._stream: AsyncIterator[bytes] = request.stream().__aiter__()

    def __iter__(self) -> Iterator[bytes]:
        while True:
            try:
                chunk = anyio.from_thread.run(self._next)
            except StopAsyncIteration:
                return
            if chunk:
                yield chunk

    async def _next(self) -> bytes:
        return await self._stream.__anext__()


def _body(request: Request) -> Body:
    """The body of an authenticated upload, refused (413) past the server's limit."""
    return Body(
        _BodyChunks(request),
        limit=request.app.state.max_upload_size,
        declared=request.headers.get("content-length"),
    )


@router.get("/api/health", tags=["server"])
async def health() -> dict[str, Any]:
    """Liveness for load balancers: no token needed, says nothing about the data.

    Answered on the event loop itself, so it answers while every worker thread is busy.
    """
    return {"status": "ok", "version": __version__}


@router.get("/api/whoami", tags=["server"], responses=_ERRORS)
def whoami(who: Reader) -> dict[str, str]:
    return {"name": who.name, "scope": who.scope}


@router.get("/api/models", tags=["read"], responses=_ERRORS)
def list_models(request: Request, who: Reader) -> dict[str, Any]:
    registry: ModelRegistry = request.app.state.models.default
    return {"models": registry.models(), "default": registry.model}


@router.get("/api/versions", tags=["read"], responses=_ERRORS)
def list_versions(
    who: Reader,
    registry: Registry,
    floors: Annotated[list[str] | None, Query(alias="min", description="METRIC:FLOOR")] = None,
    ceilings: Annotated[list[str] | None, Query(alias="max", description="METRIC:CEIL")] = None,
    trained_after: Annotated[str | None, Query(max_length=64)] = None,
    trained_before: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int | None, Query(ge=0, le=1_000_000)] = None,
    tag: Annotated[list[str] | None, Query(description="KEY=VALUE, all must match")] = None,
) -> list[dict[str, Any]]:
    """Versions newest first, filtered by metric thresholds, training date, status and tags."""
    query = VersionQuery.from_params(
        floors=floors or (),
        ceilings=ceilings or (),
        trained_after=trained_after,
        trained_before=trained_before,
        status=status,
        limit=limit,
        tags=tag or (),
    )
    found = registry.find_versions(query)
    return [_public(asdict(v)) for v in found]


@router.get("/api/versions/{version}", tags=["read"], responses=_ERRORS)
def version_info(version: str, who: Reader, registry: Registry) -> dict[str, Any]:
    """The version's metadata with its effective status and channels."""
    info = registry.get_version_info(validate_version(version))
    if info is None:
        raise VersionNotFoundError(f"version {version} not found", version=version)
    return _public(info)


def _public(meta: dict[str, Any]) -> dict[str, Any]:
    """Without `path`: where the server keeps a version is none of a client's business."""
    return {k: v for k, v in meta.items() if k != "path"}


@router.get("/api/versions/{version}/metadata", tags=["read"], responses=_ERRORS)
def stored_metadata(version: str, who: Reader, registry: Registry) -> dict[str, Any]:
    """metadata.json as stored (the remote backend's `read_metadata`)."""
    return _metadata_of(registry, version)


@router.get("/api/versions/{version}/files/{filename:path}", tags=["read"], responses=_ERRORS)
def download(version: str, filename: str, who: Reader, registry: Registry) -> StreamingResponse:
    """One artifact, streamed; `X-Checksum-Sha256` is its registered hash.

    No Content-Length from the record: a damaged file must arrive whole, so that the client's
    hash check (not a broken connection) says what is wrong.
    """
    meta = _metadata_of(registry, version)
    # only registered names: nothing else below the root is reachable
    handle = registry.open_artifact(meta["version"], filename)
    record = meta["files"][filename]
    return StreamingResponse(
        chunks(handle),
        media_type="application/octet-stream",
        headers={
            "X-Checksum-Sha256": str(record.get("sha256")),
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(Path(filename).name)}",
        },
    )


@router.get("/api/versions/{version}/tables/{table}", tags=["read"], responses=_ERRORS)
def table(version: str, table: str, who: Reader, registry: Registry) -> dict[str, Any]:
    """A version's feature importance or predictions as JSON columns (the UI's charts)."""
    if table not in TABLES:
        raise InvalidInputError(f"table must be one of {', '.join(TABLES)}", table=table)
    meta = _metadata_of(registry, version)
    filename = f"{table}.csv"
    if filename not in (meta.get("files") or {}):
        return {"columns": [], "rows": [], "truncated": False}
    with registry.open_artifact(meta["version"], filename) as handle:
        return read_table(handle)


@router.get("/api/compare", tags=["read"], responses=_ERRORS)
def compare(
    version1: Annotated[str, Query(max_length=64)],
    version2: Annotated[str, Query(max_length=64)],
    who: Reader,
    registry: Registry,
) -> dict[str, Any]:
    """Per metric: both values, the difference and the winner."""
    return registry.compare_versions(version1, version2, missing_ok=False)


@router.get("/api/channels", tags=["read"], responses=_ERRORS)
def channels(who: Reader, registry: Registry) -> dict[str, str | None]:
    return registry.channels()


@router.get("/api/history", tags=["read"], responses=_ERRORS)
def history(
    who: Reader,
    registry: Registry,
    channel: Annotated[str, Query(max_length=64)] = PRODUCTION,
) -> list[dict[str, Any]]:
    """Promotions and rollbacks of a channel, oldest first."""
    return [e.to_dict() for e in registry.history(channel)]


@router.get("/api/events", tags=["read"], responses=_ERRORS)
def events(who: Reader, registry: Registry) -> list[dict[str, Any]]:
    """The whole audit log, oldest first."""
    return [e.to_dict() for e in registry.events()]


@router.get("/api/debris", tags=["read"], responses=_ERRORS)
def debris(request: Request, who: Reader, registry: Registry) -> list[dict[str, str]]:
    """Leftovers of interrupted writes (what `verify --repair` would remove)."""
    redact: Redactor = request.app.state.redact
    return [redact.value(asdict(d)) for d in registry.debris()]


def _upload_route(path: str, doc: dict[str, Any]) -> Callable[[T], T]:
    """A write route whose body is an upload: it reads it itself, as it streams in."""
    return router.post(  # type: ignore[return-value]
        path,
        tags=["write"],
        status_code=201,
        responses={**_ERRORS, 413: _ERROR},
        openapi_extra=doc,
    )


@_upload_route("/api/versions", UPLOAD_DOC)
async def register(request: Request, who: Writer, registry: Target) -> dict[str, str]:
    """Register uploaded artifacts; each is checked against its declared sha256 on arrival.

    The token is checked before the body is read; the metadata part comes first and is
    checked whole before any file is stored; files stream once into the registry's staging.
    """
    body = _body(request)
    content_type = request.headers.get("content-type")

    def work() -> str:
        with _acting(who):
            return receive_registration(body, content_type, registry.register_files)

    return {"version": await _in_thread(work)}


@_upload_route("/api/import", IMPORT_DOC)
async def import_archive(
    request: Request, who: Writer, registry: Target, record: bool = True
) -> dict[str, Any]:
    """Add a version from an export archive under its own name.

    `record=false` logs no import event: a migration sends the source's history after it.
    Leaving no record of who added a version takes an admin token.
    """
    if not record:
        TokenSet.require(who, "admin")
    body = _body(request)
    content_type = request.headers.get("content-type")

    def work() -> Imported:
        with registry.staging_folder() as folder, _acting(who):
            archive = receive_archive(body, content_type, folder)
            return registry.operations.import_version(archive, max_bytes=body.limit, record=record)

    return asdict(await _in_thread(work))


@router.post("/api/promote", tags=["write"], responses=_ERRORS)
def promote(request: PromoteRequest, who: Writer, registry: Registry) -> dict[str, Any]:
    """Point a channel at a version; with `expected_current`, only if nobody moved it."""
    options = (
        {"expected_current": request.expected_current}
        if "expected_current" in request.model_fields_set
        else {}
    )
    with _acting(who):
        move = registry.move_pointer(
            request.version, request.channel, reason=request.reason, **options
        )
    return asdict(move)


@router.post("/api/rollback", tags=["write"], responses=_ERRORS)
def rollback(request: RollbackRequest, who: Writer, registry: Registry) -> dict[str, Any]:
    """Put a channel (default production) back on a version, or on the one it held before."""
    with _acting(who):
        move = registry.rollback(request.version, reason=request.reason, channel=request.channel)
    return asdict(move)


@router.post("/api/history", tags=["write"], responses=_ERRORS)
def merge_history(request: HistoryRequest, who: Admin, registry: Target) -> dict[str, Any]:
    """Merge another registry's history in (`migrate`): events, then pointers and statuses.

    The events keep the source's "who", so only an admin token may send them.
    """
    merge = HistoryMerge(
        events=[Event.from_dict(e) for e in request.events],
        pointers={
            validate_channel(c): validate_version(v, allow_latest=False)
            for c, v in request.pointers.items()
        },
        statuses={validate_version(v, allow_latest=False): s for v, s in request.statuses.items()},
    )
    with _acting(who):
        return {"moved": registry.operations.merge_history(merge)}


@router.post("/api/cleanup", tags=["write"], responses=_ERRORS)
def cleanup(request: CleanupRequest, who: Writer, registry: Registry) -> dict[str, Any]:
    """Delete all but the newest versions (never one a channel points to)."""
    with _acting(who):
        deleted = registry.cleanup_old_versions(request.keep_versions, dry_run=request.dry_run)
    return {"deleted": deleted, "dry_run": request.dry_run}


@router.post("/api/versions/{version}/tags", tags=["write"], responses=_ERRORS)
def edit_tags(version: str, request: TagsRequest, who: Writer, registry: Registry) -> dict:
    """Set and remove a version's tags in one audited edit; answers all its tags now."""
    with _acting(who):
        tags = registry.edit_tags(
            version, set_tags=request.set, remove=request.remove, reason=request.reason
        )
    return {"tags": tags}


@router.delete("/api/versions/{version}", tags=["write"], responses=_ERRORS)
def delete(
    version: str,
    who: Writer,
    registry: Registry,
    reason: Annotated[str | None, Query(max_length=2000)] = None,
) -> dict[str, str]:
    """Delete one version; refused (422) while a channel points to it."""
    name = validate_version(version, allow_latest=False)
    with _acting(who):
        registry.operations.delete(name, reason=reason)
    return {"deleted": name}


@router.post("/api/verify", tags=["read", "write"], responses=_ERRORS)
async def verify(
    request: Request, checks: VerifyRequest, who: Reader, registry: Registry
) -> dict[str, Any]:
    """Check every artifact's hash, the pointers and leftovers; `repair` (write) mends them.

    One verify runs at a time per model, off the event loop; the others wait their turn
    without holding a thread, so the server keeps answering meanwhile.
    """
    if checks.repair:
        TokenSet.require(who, "write")
    models: _Models = request.app.state.models

    def work() -> Any:
        with _acting(who):
            return registry.verify(repair=checks.repair)

    async with models.verifying(registry):
        report = await _in_thread(work)
    redact: Redactor = request.app.state.redact
    return redact.value(
        {"checked": report.checked, "problems": report.problems, "repaired": report.repaired}
    )


_UI_HEADERS = {
    # the UI holds tokens in localStorage: run only its own scripts, never inside a frame
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _add_ui(app: Any) -> None:
    """The single-page UI at `/`: plain JS and CSS shipped in the package, no CDN."""
    static = Path(__file__).parent / "static"

    @app.middleware("http")
    async def ui_headers(request: Request, call_next: Any) -> Any:
        response = await call_next(request)
        response.headers.update(_UI_HEADERS)
        return response

    app.mount("/static", StaticFiles(directory=static), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(static / "index.html", headers={"Cache-Control": "no-cache"})
