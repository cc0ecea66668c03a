"""Answers kept by `AnswerCache`, sent before routing: a repeated read skips FastAPI's work.

A plain ASGI middleware, innermost (inside the access log, the security headers and the body
guard, which all still apply). A GET whose exact path and query string a cached read route
answered before (the route keeps it under that key, `request_key`) is answered from the
cache when the model's revision is still the one it was made at, with the same token check
the routes' `Reader` dependency makes: the bearer token (or anonymous, where allowed) must
authenticate, and every cached route needs only `read`, which every caller that
authenticates has. Anything else falls through to FastAPI unchanged: an unknown or missing
token (FastAPI answers the 401 as before), a model not opened yet, a key never answered, an
answer made at an older revision, a failed revision read.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from ...errors import ModelRegistryError
from .answers import Answer, AnswerCache
from .dependencies import Models, caller, request_key

__all__ = ["KeptReads"]


class KeptReads:
    """Send a kept answer of a GET read without routing it (see the module's docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            answer = await self._kept(scope)
            if answer is not None:
                await answer.response()(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _kept(self, scope: Scope) -> Answer | None:
        connection = HTTPConnection(scope)  # headers and query read as the routes read them
        cache: AnswerCache = connection.app.state.answers
        models: Models = connection.app.state.models
        key = request_key(scope)
        try:  # first: what is kept is nobody's business before the token is known
            caller(connection)
            if not cache.holds(key):
                return None
            registry = models.opened(connection.query_params.get("model"))
            if registry is None:
                return None
            return await cache.kept(registry, key)
        except ModelRegistryError:  # the route answers it, as before
            return None
