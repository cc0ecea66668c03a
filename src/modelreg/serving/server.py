"""`modelreg server`: the registry over HTTP, and the web UI served beside it.

Thin on purpose: a route authenticates, parses, calls one public `ModelRegistry` method and
renders JSON. Policy stays in the facade, which runs here under the registry's lock; that is
why a remote client (`backends/remote.py`) hands whole write operations to these routes rather
than moving pointers itself. Every `ModelRegistryError` becomes its class's status and
`to_dict()` body in one handler; the only module that imports the web framework.
"""

from __future__ import annotations

import csv
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, File, Form, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field

from .. import __version__
from ..errors import InvalidInputError, ModelRegistryError, VersionNotFoundError
from ..metadata import ACTING_USER
from ..registry import PRODUCTION, ModelRegistry
from ..training.result import TABLES
from ..versions import validate_model_name, validate_version
from .auth import Principal, TokenSet
from .uploads import archive_suffix, chunks, receive, upload_fields

__all__ = ["create_app"]

_MAX_TABLE_ROWS = 5000
_ERROR = {"model": dict[str, Any], "description": "`{error, message, context}`"}
_ERRORS: dict[int | str, dict[str, Any]] = {
    code: _ERROR for code in (401, 403, 404, 409, 422, 423, 503)
}


class PromoteRequest(BaseModel):
    """Move a channel to a version; `expected_current` (even null) makes it conditional."""

    model_config = ConfigDict(extra="forbid", strict=True)
    version: str = Field(max_length=64)
    channel: str = Field(PRODUCTION, max_length=64)
    expected_current: str | None = Field(None, max_length=64)
    reason: str | None = Field(None, max_length=2000)


class RollbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    version: str | None = Field(None, max_length=64)
    reason: str | None = Field(None, max_length=2000)


class CleanupRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    keep_versions: int | None = Field(None, ge=1, le=1_000_000)
    dry_run: bool = False


class VerifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    repair: bool = False


def create_app(
    registry: ModelRegistry,
    *,
    tokens: TokenSet | None = None,
    anonymous_read: bool = False,
    open_model: Callable[[str], ModelRegistry] | None = None,
) -> Any:
    """The FastAPI app serving `registry` (and the other models at its location).

    Args:
        tokens: the accepted bearer tokens (`serving.auth.load_tokens`); none: only anonymous
            reads, if allowed.
        anonymous_read: let callers without a token read (never write).
        open_model: how to open another named model at the same location (default: same path).
    """
    app = FastAPI(
        title="modelreg",
        version=__version__,
        description="A model registry: versions, metrics, promotion, rollback and cleanup.",
        docs_url="/api/docs",
        redoc_url=None,
    )

    @app.exception_handler(ModelRegistryError)
    def registry_error(request: Request, exc: ModelRegistryError) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=exc.http_status)

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
    app.state.models = _Models(registry, open_model)
    app.include_router(router)
    _add_ui(app)
    return app


class _Models:
    """The served registry, and the other named models at its location opened on demand."""

    def __init__(
        self, registry: ModelRegistry, open_model: Callable[[str], ModelRegistry] | None
    ) -> None:
        self.default = registry
        self._open = open_model or (
            lambda name: ModelRegistry(
                registry.config.path, model=name, lock_timeout=registry.config.lock_timeout
            )
        )
        self._opened: dict[str, ModelRegistry] = {registry.model: registry}
        self._lock = threading.Lock()

    def get(self, model: str | None) -> ModelRegistry:
        if model is None or model == self.default.model:
            return self.default
        name = validate_model_name(model)
        with self._lock:  # routes run on a thread pool: open each model once
            if name not in self._opened:  # like a local folder: a new model exists once written
                self._opened[name] = self._open(name)
            return self._opened[name]


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


def _metric_bounds(items: list[str], where: str) -> dict[str, float]:
    bounds: dict[str, float] = {}
    for item in items:
        name, sep, value = item.rpartition(":")
        try:
            if not sep or not name:
                raise ValueError(item)
            bounds[name] = float(value)
        except ValueError:
            raise InvalidInputError(
                f"{where} takes METRIC:NUMBER, e.g. rmse:0.1; got {item!r}"
            ) from None
    return bounds


def _reader(request: Request) -> Principal:
    """The caller, from its bearer token (or anonymous, where the server allows it)."""
    guard: TokenSet = request.app.state.guard
    return guard.authenticate(request.headers.get("authorization"))


def _writer(who: Annotated[Principal, Depends(_reader)]) -> Principal:
    TokenSet.require(who, "write")
    return who


def _registry(
    request: Request,
    model: Annotated[str | None, Query(max_length=128, description="a named model")] = None,
) -> ModelRegistry:
    models: _Models = request.app.state.models
    return models.get(model)


Reader = Annotated[Principal, Depends(_reader)]
Writer = Annotated[Principal, Depends(_writer)]
Registry = Annotated[ModelRegistry, Depends(_registry)]
router = APIRouter()


@router.get("/api/health", tags=["server"])
def health() -> dict[str, Any]:
    """Liveness for load balancers: no token needed, says nothing about the data."""
    return {"status": "ok", "version": __version__}


@router.get("/api/whoami", tags=["server"], responses=_ERRORS)
def whoami(who: Reader) -> dict[str, str]:
    return {"name": who.name, "scope": who.scope}


@router.get("/api/models", tags=["read"], responses=_ERRORS)
def list_models(who: Reader, registry: Registry) -> dict[str, Any]:
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
) -> list[dict[str, Any]]:
    """Versions newest first, filtered by metric thresholds, training date and status."""
    found = registry.list_versions(
        min_metrics=_metric_bounds(floors or [], "min"),
        max_metrics=_metric_bounds(ceilings or [], "max"),
        trained_after=trained_after,
        trained_before=trained_before,
        status=status,
        limit=limit,
    )
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
        return _read_csv(handle)


@router.get("/api/compare", tags=["read"], responses=_ERRORS)
def compare(
    version1: Annotated[str, Query(max_length=64)],
    version2: Annotated[str, Query(max_length=64)],
    who: Reader,
    registry: Registry,
) -> dict[str, Any]:
    """Per metric: both values, the difference and the winner."""
    return registry.compare_versions(version1, version2)


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
def debris(who: Reader, registry: Registry) -> list[dict[str, str]]:
    """Leftovers of interrupted writes (what `verify --repair` would remove)."""
    return [asdict(d) for d in registry.debris()]


@router.post("/api/versions", tags=["write"], status_code=201, responses=_ERRORS)
def register(
    who: Writer,
    metadata: Annotated[str, Form(description="JSON: metrics, files {name: {sha256}} ...")],
    files: Annotated[list[UploadFile], File(description="the artifacts; filename = name")],
    registry: Registry,
) -> dict[str, str]:
    """Register uploaded artifacts; each is checked against its declared sha256 first."""
    fields = upload_fields(metadata)
    declared = fields.pop("files")
    with tempfile.TemporaryDirectory(prefix="modelreg-upload-") as tmp:
        received = receive(files, Path(tmp), declared)
        with _acting(who):
            name = registry.register_files(Path(tmp), known_hashes=received, **fields)
    return {"version": name}


@router.post("/api/import", tags=["write"], status_code=201, responses=_ERRORS)
def import_archive(
    who: Writer,
    archive: Annotated[UploadFile, File(description="an `export` .tar.gz, .tgz or .zip")],
    registry: Registry,
) -> dict[str, str]:
    """Add a version from an export archive under its own name."""
    suffix = archive_suffix(archive.filename or "")
    with tempfile.TemporaryDirectory(prefix="modelreg-import-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        with open(path, "wb") as out:
            for chunk in chunks(archive.file):
                out.write(chunk)
        with _acting(who):
            return {"version": registry.import_version(path)}


@router.post("/api/promote", tags=["write"], responses=_ERRORS)
def promote(request: PromoteRequest, who: Writer, registry: Registry) -> dict[str, Any]:
    """Point a channel at a version; with `expected_current`, only if nobody moved it."""
    options = (
        {"expected_current": request.expected_current}
        if "expected_current" in request.model_fields_set
        else {}
    )
    with _acting(who):
        moved = registry.promote(request.version, request.channel, reason=request.reason, **options)
    if not moved:
        raise VersionNotFoundError(
            f"cannot promote: version {request.version} not found", version=request.version
        )
    return {"channel": request.channel, "version": request.version}


@router.post("/api/rollback", tags=["write"], responses=_ERRORS)
def rollback(request: RollbackRequest, who: Writer, registry: Registry) -> dict[str, Any]:
    """Put production back on a version, or on the one before the current production."""
    with _acting(who):
        moved = registry.rollback_to_version(request.version, reason=request.reason)
    if not moved:
        raise VersionNotFoundError(
            f"cannot roll back to {request.version}: not found"
            if request.version
            else "cannot roll back: no earlier production version in the audit log",
            version=request.version,
        )
    return {"channel": PRODUCTION, "version": registry.channels().get(PRODUCTION)}


@router.post("/api/cleanup", tags=["write"], responses=_ERRORS)
def cleanup(request: CleanupRequest, who: Writer, registry: Registry) -> dict[str, Any]:
    """Delete all but the newest versions (never one a channel points to)."""
    with _acting(who):
        deleted = registry.cleanup_old_versions(request.keep_versions, dry_run=request.dry_run)
    return {"deleted": deleted, "dry_run": request.dry_run}


@router.delete("/api/versions/{version}", tags=["write"], responses=_ERRORS)
def delete(
    version: str,
    who: Writer,
    registry: Registry,
    reason: Annotated[str | None, Query(max_length=2000)] = None,
) -> dict[str, str]:
    """Delete one version; refused (422) while a channel points to it."""
    with _acting(who):
        if not registry.delete_version(version, reason=reason):
            raise VersionNotFoundError(f"version {version} not found", version=version)
    return {"deleted": version}


@router.post("/api/verify", tags=["read", "write"], responses=_ERRORS)
def verify(request: VerifyRequest, who: Reader, registry: Registry) -> dict[str, Any]:
    """Check every artifact's hash, the pointers and leftovers; `repair` (write) mends them."""
    if request.repair:
        TokenSet.require(who, "write")
    with _acting(who):
        report = registry.verify(repair=request.repair)
    return {"checked": report.checked, "problems": report.problems, "repaired": report.repaired}


def _read_csv(handle: Any) -> dict[str, Any]:
    """Columns and rows, numbers parsed, at most `_MAX_TABLE_ROWS` rows (evenly sampled)."""
    import io

    reader = csv.reader(io.TextIOWrapper(handle, encoding="utf-8", newline=""))
    columns = next(reader, [])
    rows = [[_number(cell) for cell in row] for row in reader]
    step = max(1, -(-len(rows) // _MAX_TABLE_ROWS))
    return {"columns": columns, "rows": rows[::step], "truncated": step > 1}


def _number(cell: str) -> Any:
    try:
        value = float(cell)
    except ValueError:
        return cell
    return value if value == value and abs(value) != float("inf") else None


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
