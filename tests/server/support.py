"""What the server, remote and browser tests share: rich results, tokens, a live server."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import uvicorn

from modelreg import ModelRegistry, TrainingResult
from modelreg.serving.auth import TokenSet
from modelreg.serving.server import create_app

READ_TOKEN = "read-secret-0001"
WRITE_TOKEN = "write-secret-0001"
ADMIN_TOKEN = "admin-secret-0001"
APPROVER_TOKEN = "write-secret-0002"  # a second person with write: approves alice's requests
TOKENS = TokenSet.parse(
    f"{READ_TOKEN}:read:viewer\n{WRITE_TOKEN}:write:alice\n{ADMIN_TOKEN}:admin:ops\n"
    f"{APPROVER_TOKEN}:write:bob"
)
FEATURES = ["ema_20", "rsi_14", "vol_20", "momentum_5"]
_SERVED: dict[str, ModelRegistry] = {}


def rich_result(seed: int = 0, **metrics: float) -> TrainingResult:
    """A real scikit-learn model with feature importance and predictions, as the UI shows."""
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(60, len(FEATURES)))
    y = X @ np.array([0.5, -0.2, 0.1, 0.05]) + rng.normal(scale=0.05, size=60)
    model = Ridge(alpha=1.0 + seed).fit(X, y)
    stamps = pd.date_range("2026-01-01", periods=40, freq="D")
    actual = np.cumsum(rng.normal(size=40))
    predictions = pd.DataFrame(
        {"timestamp": stamps, "actual": actual, "predicted": actual + rng.normal(0, 0.4, 40)}
    )
    return TrainingResult(
        model=model,
        metrics=metrics
        or {
            "rmse": round(0.02 + seed / 100, 4),
            "direction_accuracy": round(0.5 + seed / 50, 4),
            "profit_factor": round(1.0 + seed / 10, 4),
        },
        features=FEATURES,
        hyperparameters={"alpha": 1.0 + seed, "fit_intercept": True},
        feature_importance=pd.DataFrame(
            {"feature": FEATURES, "importance": np.abs(model.coef_).round(4)}
        ),
        validation_predictions=predictions.iloc[:20].reset_index(drop=True),
        test_predictions=predictions.iloc[20:].reset_index(drop=True),
    )


def fill(registry: ModelRegistry, count: int = 3) -> list[str]:
    """Register `count` rich versions (oldest first) with data ranges; returns their names."""
    names = []
    for seed in range(count):
        names.append(
            registry.register(
                rich_result(seed),
                data_range={"start": f"2025-0{seed + 1}-01", "end": f"2026-01-{10 + seed}"},
            )
        )
    return names


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@contextlib.contextmanager
def running_app(app: Any, port: int = 0) -> Iterator[str]:
    """Any ASGI app under a real uvicorn server on a loopback port (a free one unless given,
    to start a server again where a client knows it); yields its URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextlib.contextmanager
def running_server(registry: ModelRegistry, *, anonymous_read: bool = False) -> Iterator[str]:
    """A real uvicorn server for `registry` on a free loopback port; yields its URL."""
    app = create_app(registry, tokens=TOKENS, anonymous_read=anonymous_read)
    with running_app(app) as url:
        _SERVED[url] = registry
        try:
            yield url
        finally:
            del _SERVED[url]


def remote(url: str, token: str = WRITE_TOKEN, **options: Any) -> ModelRegistry:
    return ModelRegistry(url, token=token, **options)


def served_at(url: str) -> ModelRegistry:
    """The registry behind a server that `running_server` started (to damage its bytes)."""
    return _SERVED[url.rstrip("/")]
