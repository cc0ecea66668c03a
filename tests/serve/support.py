"""What the `modelreg serve` tests share: models, broken versions, and servers to run them in."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import uvicorn

from modelreg import ModelRegistry, TrainingResult
from modelreg.training import TARGET, build_features, generate_prices, train_model

BARS = generate_prices(400, seed=5)
FRAME, FEATURES = build_features(BARS)
#: the rows every request sends: five rows of the recipe's features
ROWS = FRAME[FEATURES].tail(5).reset_index(drop=True)


@functools.cache
def ridge(alpha: float) -> TrainingResult:
    """The demo's model (ridge on the recipe's features, with its signature); one per alpha."""
    return train_model(FRAME, FEATURES, TARGET, hyperparameters={"alpha": alpha})


def custom(model: Any, features: list[str] | None = None, **fields: Any) -> TrainingResult:
    """A version of any object (pickled), on three numeric features unless told otherwise."""
    return TrainingResult(
        model=model,
        metrics={"rmse": 0.1},
        features=["a", "b", "c"] if features is None else features,
        **fields,
    )


def model_file(registry: ModelRegistry, version: str) -> str:
    info = registry.get_version_info(version)
    assert info is not None
    return str(info["model"]["files"][0])


def tamper(registry: ModelRegistry, version: str, *, blobs: Path | None = None) -> None:
    """Change the model's bytes where they are stored: the folder, or a SQL registry's blobs."""
    info = registry.get_version_info(version)
    assert info is not None
    name = model_file(registry, version)
    if blobs is None:
        path = Path(info["path"]) / name
    else:
        sha = info["files"][name]["sha256"]
        path = blobs / "sha256" / sha[:2] / sha
    path.chmod(0o644)
    with open(path, "r+b") as handle:
        handle.seek(-8, os.SEEK_END)
        handle.write(b"TAMPERED")


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    """Poll `condition` until it returns something true; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


@dataclass
class ServeProcess:
    """A `modelreg serve` process: its URL, and its stderr (the log) so far."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def ready(self) -> dict[str, Any]:
        body: dict[str, Any] = httpx.get(f"{self.url}/ready", timeout=10).json()
        return body

    def metrics(self) -> dict[str, float]:
        """Every sample of /metrics by name and labels, e.g. `requests_total{outcome="ok"}`."""
        samples = {}
        for line in httpx.get(f"{self.url}/metrics", timeout=10).text.splitlines():
            if line.startswith("modelreg_serve_"):
                key, _, value = line.rpartition(" ")
                samples[key.removeprefix("modelreg_serve_")] = float(value)
        return samples


_URL = re.compile(r"on (http://127\.0\.0\.1:\d+)/")


@contextlib.contextmanager
def serve_process(
    location: str,
    folder: Path,
    *options: str,
    env: dict[str, str] | None = None,
) -> Iterator[ServeProcess]:
    """Run `modelreg serve --registry LOCATION OPTIONS` on a free loopback port (it prints
    which), polling every 50 ms; stop it with Ctrl+C, as a person would."""
    log_path = folder / f"serve-{time.monotonic_ns()}.log"
    command = [sys.executable, "-m", "modelreg", "serve", "--registry", location]
    command += ["--port", "0", "--poll-interval", "0.05", *options]
    environment = {**os.environ, "MODELREG_CACHE": str(folder / "serve-cache"), **(env or {})}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log, env=environment)
    try:
        found = wait_for(
            lambda: _URL.search(log_path.read_text()) or process.poll() is not None,
            "modelreg serve to print its URL",
        )
        assert process.poll() is None, log_path.read_text()
        yield ServeProcess(found.group(1), process, log_path)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise


@contextlib.contextmanager
def on_loopback(app: Any) -> Iterator[str]:
    """Run an ASGI app in this process with uvicorn on a free loopback port; yields its URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # no Nagle
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started or not thread.is_alive(), "uvicorn to start")
        assert thread.is_alive(), "uvicorn stopped at start-up"
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()


def records(frame: pd.DataFrame = ROWS) -> list[dict[str, Any]]:
    return frame.to_dict(orient="records")
