"""The HTTP app of `modelreg serve`: predictions from the version a channel points to, live.

Thin on purpose: `ChannelFollower` decides what serves, `payload` reads bodies and writes
answers, `ServedModel` predicts, `ServeMetrics` counts. A request takes the follower's served
model once, when it arrives, and finishes on it whatever swaps meanwhile. Parsing and predicting
run on the thread pool, never on the event loop: a slow model must not keep `/health` and
`/ready` from answering (on the event loop, small requests were no faster here, measured).
Every `ModelRegistryError` becomes its class's status and `{error, message, context}` body.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from .. import __version__
from ..errors import ModelRegistryError, NotReadyError, PayloadTooLargeError
from .follower import ChannelFollower, Failure, FollowerStatus
from .metrics import ServeMetrics
from .payload import JSON, Limits, answer_json, media_type, read_rows
from .redaction import Redactor
from .served_model import ServedModel

__all__ = ["create_prediction_app"]

log = logging.getLogger("modelreg.serve")

_EXAMPLE_ROWS = [{"ret_1": 0.004, "ema_20": 0.012, "rsi_14": 58.1}]
_EXAMPLE_CSV = "ret_1,ema_20,rsi_14\n0.004,0.012,58.1\n"
_PREDICT_BODY = {
    "required": True,
    "content": {
        JSON: {"schema": {"type": ["array", "object"]}, "example": _EXAMPLE_ROWS},
        "text/csv": {"schema": {"type": "string"}, "example": _EXAMPLE_CSV},
    },
}
_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"description": "`{version, channel, predictions[, timestamps]}`"},
    **{
        code: {"description": f"`{{error, message, context}}`: {why}"}
        for code, why in (
            (413, "body or rows over the limit"),
            (415, "not JSON or CSV"),
            (422, "bad JSON or CSV, missing columns, wrong types"),
            (500, "the model failed"),
            (503, "no model loaded yet"),
        )
    },
}


def create_prediction_app(
    follower: ChannelFollower, *, limits: Limits | None = None, follow: bool = True
) -> FastAPI:
    """The app answering predictions with `follower`'s model.

    Args:
        limits: body bytes and rows a request may send (413 beyond).
        follow: start the follower's background thread with the app (tests drive it by hand).
    """
    limits = limits or Limits()
    metrics = ServeMetrics(follower)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if follow:
            follower.start()
        try:
            yield
        finally:
            follower.stop()

    app = FastAPI(
        title="modelreg serve",
        version=__version__,
        description=f"Predictions from the version `{follower.channel}` points to, followed live.",
        docs_url="/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    retry_after = str(math.ceil(follower.poll_interval))

    @app.post("/predict", openapi_extra={"requestBody": _PREDICT_BODY}, responses=_ANSWERS)
    async def predict(request: Request) -> Response:
        """Predict for rows (JSON records or columns, CSV), or for OHLCV bars."""
        started = time.perf_counter()
        served = follower.serving  # once: this request finishes on this model
        try:
            if served is None:
                reason = _not_ready_reason(follower.status)
                raise NotReadyError(_redact(reason, follower.registry.location))
            kind = media_type(request.headers.get("content-type"))
            body = await _read_body(request, limits.max_bytes)
            content, rows = await run_in_threadpool(_answer, served, body, kind, limits, follower)
        except ClientDisconnect:  # nobody to answer; counted as nginx counts it
            metrics.observe(time.perf_counter() - started, 499, error="client_disconnected")
            return Response(status_code=499)
        except Exception as exc:
            error = exc if isinstance(exc, ModelRegistryError) else _unexpected(exc)
            metrics.observe(time.perf_counter() - started, error.http_status, error=error.code)
            headers = {"Retry-After": retry_after} if error.http_status == 503 else None
            return JSONResponse(error.to_dict(), status_code=error.http_status, headers=headers)
        metrics.observe(time.perf_counter() - started, 200, rows=rows)
        return Response(content, media_type=JSON, headers={"X-Model-Version": served.version})

    @app.get("/health")
    async def health() -> dict[str, str]:
        """Liveness: the process answers. Whether it can predict is `/ready`."""
        return {"status": "ok"}

    @app.get("/ready", responses={503: {"description": "no model loaded yet"}})
    async def ready() -> JSONResponse:
        """Which version serves, since when, what the channel says, and the last failure."""
        status = follower.status
        body = _readiness(status, follower.registry.location)
        return JSONResponse(body, status_code=200 if status.ready else 503)

    @app.get("/metrics")
    async def prometheus() -> Response:
        """Prometheus text format: requests, latency, errors, swaps, the serving version."""
        content, content_type = metrics.exposition()
        return Response(content, media_type=content_type)

    return app


def _unexpected(exc: Exception) -> ModelRegistryError:
    """A bug, or a library's surprise: logged with its traceback, answered as a 500."""
    log.error("POST /predict failed unexpectedly", exc_info=exc)
    return ModelRegistryError(f"the server failed: {type(exc).__name__}: {exc}")


async def _read_body(request: Request, max_bytes: int) -> bytes:
    """The body, refused (413) as soon as it is known to be over `max_bytes`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLargeError(
            f"the body is {int(declared):,} bytes, over this server's limit of {max_bytes:,}; "
            "send fewer rows a request",
            limit=max_bytes,
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLargeError(
                f"the body is over this server's limit of {max_bytes:,} bytes; send fewer rows "
                "a request",
                limit=max_bytes,
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _answer(
    served: ServedModel, body: bytes, kind: str, limits: Limits, follower: ChannelFollower
) -> tuple[bytes, int]:
    """Parse, predict, render: the request's work."""
    answer = served.predict(read_rows(body, kind, limits))
    return answer_json(answer, channel=follower.channel), len(answer.values)


def _readiness(status: FollowerStatus, location: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ready": status.ready,
        "channel": status.channel,
        "version": status.version,
        "since": status.since,
        "channel_version": status.channel_version,
        "checked_at": status.checked_at,
        "loading": dict(zip(("version", "since"), status.loading, strict=True))
        if status.loading
        else None,
        "last_failure": _public(status.last_failure, location),
        "read_error": _public(status.read_error, location),
        "swaps": status.swaps,
        "failed_swaps": status.failed_loads,
    }
    if not status.ready:
        body["reason"] = _redact(_not_ready_reason(status), location)
    return body


def _public(failure: Failure | None, location: str) -> dict[str, Any] | None:
    return (
        None
        if failure is None
        else {**asdict(failure), "message": _redact(failure.message, location)}
    )


def _redact(message: str, location: str) -> str:
    """Without a server path or the registry's URL: the log has them whole, an HTTP answer
    does not (DESIGN.md's trust model; the rule is `Redactor`'s, as for `modelreg server`)."""
    return Redactor(location).text(message)


def _not_ready_reason(status: FollowerStatus) -> str:
    """Why there is no model to answer with, in words an operator can act on."""
    failure, channel = status.last_failure, status.channel
    if status.read_error is not None:
        return f"cannot read {channel}: {status.read_error.message}"
    if status.checked_at is None:
        return f"starting: {channel} not read yet"
    if status.channel_version is None:
        return f"{channel} points to no version yet: promote one"
    if failure is not None and failure.version == status.channel_version:
        return f"{channel} points to {failure.version}, which cannot be served: {failure.message}"
    return f"loading {status.channel_version} from {channel}"
