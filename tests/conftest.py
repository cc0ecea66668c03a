"""Shared fixtures: every test writes only below its own tmp_path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from modelreg import ModelRegistry, TrainingResult

pytest_plugins = ["clock"]


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's config or registry, or writes into the work tree."""
    for name in ("MODELREG_CONFIG", "MODELREG_REGISTRY", "MODELREG_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(tmp_path / "models", lock_timeout=30)


def make_result(seed: int = 0, **metrics: float) -> TrainingResult:
    """A small, real scikit-learn model with the seed's metrics."""
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(40, 3))
    y = X @ np.array([0.5, -0.2, 0.1]) + rng.normal(scale=0.01, size=40)
    model = Ridge(alpha=1.0).fit(X, y)
    return TrainingResult(
        model=model,
        metrics=metrics or {"rmse": 0.01 + seed / 1000, "direction_accuracy": 0.5 + seed / 100},
        features=["ema_20", "rsi_14", "vol_20"],
        hyperparameters={"alpha": 1.0},
    )


@pytest.fixture
def result() -> TrainingResult:
    return make_result()
