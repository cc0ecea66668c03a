"""Shared fixtures: every test writes only below its own tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelreg import ModelRegistry, TrainingResult
from modelreg.testing.support import Clock, make_result

pytest_plugins = ["clock"]

__all__ = ["make_result", "source_registry"]


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's config or registry, or writes into the work tree."""
    for name in ("MODELREG_CONFIG", "MODELREG_REGISTRY", "MODELREG_MODEL", "MODELREG_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(tmp_path / "models", lock_timeout=30)


@pytest.fixture
def result() -> TrainingResult:
    return make_result()


def source_registry(root: Path, clock: Clock) -> list[str]:
    """Three versions of `default` (promoted, rolled back, a staging channel), one of `eth`."""
    registry = ModelRegistry(root, trust_pickle=True)
    names = []
    for seed in range(3):
        names.append(registry.register(make_result(seed)))
        clock.tick(60)
    registry.promote(names[0])
    clock.tick()
    registry.promote(names[1])
    clock.tick()
    registry.promote(names[2], channel="staging")
    clock.tick()
    registry.rollback_to_version()
    names.append(ModelRegistry(root, model="eth", trust_pickle=True).register(make_result(9)))
    return names
