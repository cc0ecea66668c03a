"""Shared fixtures: every test writes only below its own tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelreg import ModelRegistry, TrainingResult
from modelreg.testing.support import make_result

pytest_plugins = ["clock"]

__all__ = ["make_result"]


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's config or registry, or writes into the work tree."""
    for name in ("MODELREG_CONFIG", "MODELREG_REGISTRY", "MODELREG_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(tmp_path / "models", lock_timeout=30)


@pytest.fixture
def result() -> TrainingResult:
    return make_result()
