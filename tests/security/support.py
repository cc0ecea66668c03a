"""What the attack tests share: a real `modelreg server` process, and ways to watch it.

Each test attacks a server on a loopback port as a hostile user would: with a token of some
scope (or none), with crafted bodies, with signals. Where a test must watch the server itself
(bytes it wrote, memory it used, how fast it stops, what a kill leaves behind) the server runs
as its own process, started here like people start it: `python -m modelreg server ...`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from server.support import READ_TOKEN, WRITE_TOKEN, auth, running_app

__all__ = [
    "READ_TOKEN",
    "TOKENS_ENV",
    "WRITE_TOKEN",
    "ServerProcess",
    "auth",
    "free_port",
    "peak_memory",
    "running_app",
    "serve",
    "written_bytes",
]

TOKENS_ENV = f"{READ_TOKEN}:read:viewer,{WRITE_TOKEN}:write:alice"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerProcess:
    """A running `modelreg server`: its URL, its process, and where its stderr goes."""

    url: str
    process: subprocess.Popen[bytes]
    stderr: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.stderr.read_text(errors="replace")


@contextlib.contextmanager
def serve(
    location: str | Path,
    workdir: Path,
    *,
    args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    preexec: Callable[[], Any] | None = None,
    script: Path | None = None,
    ready: bool = True,
) -> Iterator[ServerProcess]:
    """Run `modelreg server` for `location` on a free port until the block ends (then SIGKILL
    if it is still there). `script` runs instead of `-m modelreg` (a writer that dies on cue)."""
    port = free_port()
    command = [sys.executable, *(["-m", "modelreg"] if script is None else [str(script)])]
    command += ["server", "--registry", str(location), "--port", str(port), *args]
    environment = {**os.environ, "MODELREG_TOKENS": TOKENS_ENV, **(env or {})}
    stderr = workdir / f"server-{port}.err"
    with open(stderr, "wb") as err:
        process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=environment,
            cwd=workdir,
            preexec_fn=preexec,
        )
    server = ServerProcess(f"http://127.0.0.1:{port}", process, stderr)
    try:
        if ready:
            _wait_until_up(server)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)


def _wait_until_up(server: ServerProcess) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{server.url}/api/health", timeout=2)
            return
        except httpx.TransportError:
            if server.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start:\n{server.log()}") from None
            time.sleep(0.1)


def written_bytes(pid: int) -> int:
    """Bytes a process has passed to write() so far (files, pipes, sockets): /proc/PID/io."""
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1])
    raise AssertionError("no wchar in /proc/PID/io")


def peak_memory(pid: int) -> int:
    """The largest resident set a process has had, in bytes (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc/PID/status")
