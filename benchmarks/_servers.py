"""Servers under benchmark: `modelreg server` and `mlflow server` as child processes on loopback.

Each is started on a free port, waited for until it answers, and stopped (SIGTERM, then
SIGKILL) by the context manager that started it, so no run leaves a server behind. Their
memory is read from /proc while they run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from _common import free_port, process_rss, tree_cpu, tree_rss

TOKEN = "bench-token-0123456789abcdef"


@dataclass
class Server:
    """A running server: where it answers, its process, and what it said on stderr."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def rss(self) -> int:
        """Resident bytes of the server and its worker processes, now."""
        return tree_rss(self.process.pid)

    def cpu(self) -> float:
        """CPU seconds the server and its worker processes have used so far."""
        return tree_cpu(self.process.pid)

    def peak_rss(self) -> int:
        """The main process's high-water mark (VmHWM)."""
        return process_rss(self.process.pid)[1]


@contextlib.contextmanager
def modelreg_server(location: str, work: Path, *, artifacts: str | None = None) -> Iterator[Server]:
    """`modelreg server` on `location` (one process, uvicorn's default: one worker)."""
    env = {**os.environ, "MODELREG_TOKENS": f"{TOKEN}:write:bench"}
    if artifacts is not None:
        env["MODELREG_ARTIFACTS"] = artifacts
    port = free_port()
    command = [sys.executable, "-m", "modelreg", "server", "--registry", location]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    with _running(command, env, f"http://127.0.0.1:{port}", "/api/health", work) as server:
        yield server


@contextlib.contextmanager
def mlflow_server(
    backend_store: str, artifacts: Path, work: Path, *, workers: int = 1
) -> Iterator[Server]:
    """`mlflow server` with proxied artifacts (`--artifacts-destination`), `workers` workers."""
    port = free_port()
    command = [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", backend_store]
    command += ["--artifacts-destination", artifacts.as_uri(), "--serve-artifacts"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    env = {**os.environ, "MLFLOW_ENABLE_ASYNC_LOGGING": "false"}
    with _running(command, env, f"http://127.0.0.1:{port}", "/health", work) as server:
        yield server


@contextlib.contextmanager
def _running(
    command: list[str], env: dict[str, str], url: str, health: str, work: Path
) -> Iterator[Server]:
    import httpx

    log = work / f"server-{url.rsplit(':', 1)[1]}.log"
    with open(log, "wb") as err:
        process = subprocess.Popen(
            command, env=env, stdout=err, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command[2:4]} exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(url + health, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{command[2:4]} did not answer in 120 s: {log.read_text()}")
            time.sleep(0.2)
        yield Server(url, process, log)
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group (its workers too), SIGKILL after 10 s."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
