"""`modelreg server`: the registry over HTTP, and the web UI served beside it.

Thin on purpose: a route authenticates, parses, calls one public `ModelRegistry` method (or
one of its raising `operations`) and renders JSON. Each write route is the server half of one
`RemoteOperations` method (`operations/remote.py`): the client sends the whole operation, and
it runs here, in `StoreOperations`, under the registry's lock. Every `ModelRegistryError`
becomes its class's status and `to_dict()` body in one handler. What every route depends on
(the caller's scope, the model it names) and the body guard live in `serving/api/`.

Every request's work is bounded: the token is checked before a body is read, an upload is
streamed once into the registry's staging area and refused past `max_upload_size`, a table is
sampled as it streams, verify runs one at a time per model off the event loop, and a read of a
model that does not exist opens nothing. No answer shows a server path or a database URL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import APIRouter, FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..errors import (
    InvalidInputError,
    ModelRegistryError,
    VersionNotFoundError,
)
from ..events import Event
from ..operations import HistoryMerge, Imported
from ..registry import PRODUCTION, ModelRegistry
from ..result import TABLES
from ..versions import validate_channel, validate_version
from .access_log import AccessLog
from .api import event_stream, webhooks
from .api.answers import Answer, AnswerCache
from .api.body_guard import BodyGuard
from .api.dependencies import (
    ERROR,
    ERRORS,
    Admin,
    Models,
    Reader,
    Registry,
    Target,
    Writer,
    acting,
    in_thread,
    json_answer,
    kept_answer,
    metadata_of,
    public,
    upload_body,
)
from .api.downloads import router as downloads_router
from .api.edits import router as edits_router
from .api.kept_reads import KeptReads
from .api.promotion import router as promotion_router
from .api.security_headers import SecurityHeaders
from .api.versions import browse
from .auth import TokenSet
from .redaction import Redactor
from .requests import (
    IMPORT_DOC,
    UPLOAD_DOC,
    CleanupRequest,
    HistoryRequest,
    RollbackRequest,
    VerifyRequest,
)
from .tables import read_table
from .uploads import DEFAULT_MAX_UPLOAD, receive_archive, receive_registration

if TYPE_CHECKING:
    from ..hooks.dispatcher import Dispatcher

__all__ = ["DEFAULT_MAX_UPLOAD", "create_app"]

T = TypeVar("T")


def create_app(
    registry: ModelRegistry,
    *,
    tokens: TokenSet | None = None,
    anonymous_read: bool = False,
    max_upload_size: int = DEFAULT_MAX_UPLOAD,
    hooks: Dispatcher | None = None,
    max_event_streams: int = event_stream.DEFAULT_MAX_STREAMS,
    event_poll: float = 0.5,
    answer_cache: AnswerCache | None = None,
) -> Any:
    """The FastAPI app serving `registry` (and the other models at its location).

    Args:
        tokens: the accepted bearer tokens (`serving.auth.load_tokens`); none: only anonymous
            reads, if allowed.
        anonymous_read: let callers without a token read (never write).
        max_upload_size: the largest request body stored, in bytes (413 beyond it).
        hooks: the webhook dispatcher whose status `/api/hooks` shows (the caller runs it).
        max_event_streams: how many `/api/events/stream` may be open at once (503 beyond).
        event_poll: seconds between an event stream's reads of the log.
        answer_cache: where read answers are reused while nothing changed (its bounds);
            by default one of `AnswerCache`'s default size.
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
        wait = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(wait)} if isinstance(wait, int) else None
        body = redact.value(exc.to_dict())
        return JSONResponse(body, status_code=exc.http_status, headers=headers)

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
    app.state.models = Models(registry)
    app.state.answers = answer_cache if answer_cache is not None else AnswerCache()
    app.state.max_upload_size = max_upload_size
    app.state.redact = redact
    app.state.hooks = hooks
    app.state.registry_label = hooks.config.registry if hooks is not None else "modelreg"
    app.state.event_streams = event_stream.StreamSlots(max_event_streams, poll=event_poll)
    app.add_middleware(KeptReads)  # innermost: a kept read is still guarded, headed, logged
    app.add_middleware(BodyGuard)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(AccessLog)  # outermost: a request the guard refuses is logged too
    app.include_router(event_stream.router)  # before /api/events/{...}
    app.include_router(browse)
    app.include_router(router)
    app.include_router(downloads_router)
    app.include_router(webhooks.router)
    app.include_router(edits_router)
    app.include_router(promotion_router)
    _add_ui(app)
    return app


router = APIRouter()


@router.get("/api/health", tags=["server"])
async def health() -> dict[str, Any]:
    """Liveness for load balancers: no token needed, says nothing about the data.

    Answered on the event loop itself, so it answers while every worker thread is busy.
    """
    return {"status": "ok", "version": __version__}


@router.get("/api/whoami", tags=["server"], responses=ERRORS)
def whoami(who: Reader) -> dict[str, str]:
    return {"name": who.name, "scope": who.scope}


@router.get("/api/models", tags=["read"], responses=ERRORS)
def list_models(request: Request, who: Reader) -> dict[str, Any]:
    registry: ModelRegistry = request.app.state.models.default
    return {"models": registry.models(), "default": registry.model}


@router.get(
    "/api/versions/{version}", tags=["read"], responses=ERRORS, response_model=dict[str, Any]
)
async def version_info(request: Request, version: str, who: Reader, registry: Registry) -> Response:
    """The version's metadata with its effective status and channels."""

    def make() -> Answer:
        info = registry.get_version_info(validate_version(version))
        if info is None:
            raise VersionNotFoundError(f"version {version} not found", version=version)
        return json_answer(public(info))

    return await kept_answer(request, registry, make)


@router.get(
    "/api/versions/{version}/metadata",
    tags=["read"],
    responses=ERRORS,
    response_model=dict[str, Any],
)
async def stored_metadata(
    request: Request, version: str, who: Reader, registry: Registry
) -> Response:
    """metadata.json as stored (the remote backend's `read_metadata`)."""
    make = lambda: json_answer(metadata_of(registry, version))  # noqa: E731
    return await kept_answer(request, registry, make)


@router.get("/api/versions/{version}/tables/{table}", tags=["read"], responses=ERRORS)
def table(version: str, table: str, who: Reader, registry: Registry) -> dict[str, Any]:
    """A version's feature importance or predictions as JSON columns (the UI's charts)."""
    if table not in TABLES:
        raise InvalidInputError(f"table must be one of {', '.join(TABLES)}", table=table)
    meta = metadata_of(registry, version)
    filename = f"{table}.csv"
    if filename not in (meta.get("files") or {}):
        return {"columns": [], "rows": [], "truncated": False}
    with registry.open_artifact(meta["version"], filename) as handle:
        return read_table(handle)


@router.get("/api/compare", tags=["read"], responses=ERRORS)
def compare(
    version1: Annotated[str, Query(max_length=64)],
    version2: Annotated[str, Query(max_length=64)],
    who: Reader,
    registry: Registry,
) -> dict[str, Any]:
    """Per metric: both values, the difference and the winner."""
    return registry.compare_versions(version1, version2, missing_ok=False)


@router.get("/api/channels", tags=["read"], responses=ERRORS)
def channels(who: Reader, registry: Registry) -> dict[str, str | None]:
    return registry.channels()


@router.get("/api/history", tags=["read"], responses=ERRORS)
def history(
    who: Reader,
    registry: Registry,
    channel: Annotated[str, Query(max_length=64)] = PRODUCTION,
) -> list[dict[str, Any]]:
    """Promotions and rollbacks of a channel, oldest first."""
    return [e.to_dict() for e in registry.history(channel)]


@router.get("/api/events", tags=["read"], responses=ERRORS)
def events(who: Reader, registry: Registry) -> list[dict[str, Any]]:
    """The whole audit log, oldest first."""
    return [e.to_dict() for e in registry.events()]


@router.get("/api/debris", tags=["read"], responses=ERRORS)
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
        responses={**ERRORS, 413: ERROR},
        openapi_extra=doc,
    )


@_upload_route("/api/versions", UPLOAD_DOC)
async def register(request: Request, who: Writer, registry: Target) -> dict[str, str]:
    """Register uploaded artifacts; each is checked against its declared sha256 on arrival.

    The token is checked before the body is read; the metadata part comes first and is
    checked whole before any file is stored; files stream once into the registry's staging.
    """
    body = upload_body(request)
    content_type = request.headers.get("content-type")

    def work() -> str:
        with acting(who):
            return receive_registration(body, content_type, registry.register_files)

    return {"version": await in_thread(work)}


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
    body = upload_body(request)
    content_type = request.headers.get("content-type")

    def work() -> Imported:
        with registry.staging_folder() as folder, acting(who):
            archive = receive_archive(body, content_type, folder)
            return registry.operations.import_version(archive, max_bytes=body.limit, record=record)

    return asdict(await in_thread(work))


@router.post("/api/rollback", tags=["write"], responses=ERRORS)
def rollback(request: RollbackRequest, who: Writer, registry: Registry) -> dict[str, Any]:
    """Put a channel (default production) back on a version, or on the one it held before."""
    with acting(who):
        move = registry.rollback(request.version, reason=request.reason, channel=request.channel)
    return asdict(move)


@router.post("/api/history", tags=["write"], responses=ERRORS)
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
    with acting(who):
        return {"moved": registry.operations.merge_history(merge)}


@router.post("/api/cleanup", tags=["write"], responses=ERRORS)
def cleanup(request: CleanupRequest, who: Writer, registry: Registry) -> dict[str, Any]:
    """Delete all but the newest versions (never one a channel points to)."""
    with acting(who):
        deleted = registry.cleanup_old_versions(request.keep_versions, dry_run=request.dry_run)
    return {"deleted": deleted, "dry_run": request.dry_run}


@router.delete("/api/versions/{version}", tags=["write"], responses=ERRORS)
def delete(
    version: str,
    who: Writer,
    registry: Registry,
    reason: Annotated[str | None, Query(max_length=2000)] = None,
) -> dict[str, str]:
    """Delete one version; refused (422) while a channel points to it."""
    name = validate_version(version, allow_latest=False)
    with acting(who):
        registry.operations.delete(name, reason=reason)
    return {"deleted": name}


@router.post("/api/verify", tags=["read", "write"], responses=ERRORS)
async def verify(
    request: Request, checks: VerifyRequest, who: Reader, registry: Registry
) -> dict[str, Any]:
    """Check every artifact's hash, the pointers and leftovers; `repair` (write) mends them.

    One verify runs at a time per model, off the event loop; the others wait their turn
    without holding a thread, so the server keeps answering meanwhile.
    """
    if checks.repair:
        TokenSet.require(who, "write")
    models: Models = request.app.state.models

    def work() -> Any:
        with acting(who):
            return registry.verify(repair=checks.repair)

    async with models.verifying(registry):
        report = await in_thread(work)
    redact: Redactor = request.app.state.redact
    return redact.value(
        {"checked": report.checked, "problems": report.problems, "repaired": report.repaired}
    )


def _add_ui(app: Any) -> None:
    """The single-page UI at `/`: plain JS and CSS shipped in the package, no CDN."""
    static = Path(__file__).parent / "static"
    app.mount("/static", StaticFiles(directory=static), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(static / "index.html", headers={"Cache-Control": "no-cache"})
