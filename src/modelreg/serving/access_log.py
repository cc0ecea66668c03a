"""The server's access log: one line a request in the Combined Log Format, tokens never.

`127.0.0.1 - - [29/Nov/2026:18:40:00 +0000] "GET /api/versions?limit=50 HTTP/1.1" 200 5123
"-" "python-httpx/0.28"`: the format every log tool reads (Apache's, nginx's default). The
Authorization header is never read here, and a query parameter that looks like a secret
(`token=`, `access_token=`, `key=`, ...) is written as `***`.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

__all__ = ["ACCESS_LOGGER", "AccessLog", "combined_line"]

#: the logger the lines go to; `modelreg server` sends it to stderr
ACCESS_LOGGER = "modelreg.access"
_SECRET = re.compile(r"token|secret|password|passwd|key|auth|signature", re.IGNORECASE)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def _query(raw: bytes) -> str:
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
    return urlencode([(k, "***" if _SECRET.search(k) else v) for k, v in pairs], safe="*")


def combined_line(scope: Scope, status: int, size: int, when: float) -> str:
    """One request as Apache's Combined Log Format."""
    client = (scope.get("client") or ("-",))[0]
    path = quote(scope.get("path", ""), safe="/%:@!$&'()*+,;=-._~")
    query = _query(scope.get("query_string") or b"")
    target = f"{path}?{query}" if query else path
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(when))
    request = f"{scope.get('method', '-')} {target} HTTP/{scope.get('http_version', '1.1')}"
    referer = _quoted(headers.get("referer", "-"))
    agent = _quoted(headers.get("user-agent", "-"))
    return f'{client} - - [{stamp}] "{request}" {status} {size or "-"} "{referer}" "{agent}"'


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


class AccessLog:
    """ASGI middleware writing one Combined Log Format line per HTTP request."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.log = logging.getLogger(ACCESS_LOGGER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.time()
        seen = {"status": 500, "bytes": 0}

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
            elif message["type"] == "http.response.body":
                seen["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            self.log.info(combined_line(scope, seen["status"], seen["bytes"], started))
