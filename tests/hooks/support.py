"""A real webhook receiver on a loopback port, and hooks files that point at it."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from modelreg.hooks.config import HooksConfig, load_hooks
from modelreg.hooks.signing import SIGNATURE_HEADER, verify_signature

SECRET = "s3cret-of-the-deploy-hook"


@dataclass(frozen=True)
class Call:
    """One request the receiver got, as it arrived."""

    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data

    def verified(self, secret: str = SECRET) -> int:
        return verify_signature(secret, self.headers.get(SIGNATURE_HEADER), self.body)


class Receiver:
    """An HTTP server that records every POST and answers what `answer` says (default 204).

    `stop()` closes its socket (connections are refused, as for a receiver that is down);
    `start()` listens again on the same port.
    """

    def __init__(self, port: int = 0) -> None:
        self.port = port or free_port()
        self.calls: list[Call] = []
        self.statuses: list[int] = []
        self.answer: Callable[[Call], tuple[int, dict[str, str], bytes]] = lambda c: (204, {}, b"")
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                call = Call(self.path, dict(self.headers.items()), self.rfile.read(length))
                status, headers, body = receiver.answer(call)
                with receiver._lock:
                    receiver.calls.append(call)
                    receiver.statuses.append(status)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def ids(self) -> list[str]:
        with self._lock:
            return [c.payload["id"] for c in self.calls]

    def accepted(self) -> list[str]:
        """The ids of the calls answered 2xx, in order (what a receiver acted on)."""
        with self._lock:
            pairs = list(zip(self.calls, self.statuses, strict=True))
        return [c.payload["id"] for c, status in pairs if 200 <= status < 300]

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Call]:
        wait_until(lambda: len(self.calls) >= count, f"{count} calls", timeout)
        with self._lock:
            return list(self.calls)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        time.sleep(0.02)


def hooks_file(
    folder: Path, *hooks: dict[str, Any], allow: tuple[str, ...] = ("127.0.0.1/32",), **more: Any
) -> Path:
    """A hooks file in `folder` with fast retries; loopback allowed unless `allow=()`."""
    document: dict[str, Any] = {
        "registry": "test-registry",
        "allow_networks": list(allow),
        "retry": {"initial": 0.05, "max": 0.2},
        "poll": 0.05,
        "timeout": 5,
        **more,
        "hooks": [{"name": "deploy", "secret": SECRET, "start": "beginning", **h} for h in hooks],
    }
    path = folder / "hooks.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def config(folder: Path, *hooks: dict[str, Any], **more: Any) -> HooksConfig:
    return load_hooks(hooks_file(folder, *hooks, **more))
