"""The server's first check on every request: who is calling, and how much they may send."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ...errors import ModelRegistryError, PayloadTooLargeError

__all__ = ["MAX_REQUEST_BODY", "UPLOADS", "BodyGuard"]

#: the largest body of a route that is not an upload (small JSON requests)
MAX_REQUEST_BODY = 1 << 20
#: the routes whose bodies stream on to them, bounded by the server's upload limit
UPLOADS = frozenset({("POST", "/api/versions"), ("POST", "/api/import")})


class BodyGuard:
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
            if (scope["method"], path) in UPLOADS:
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
