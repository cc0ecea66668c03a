"""Listing rows: built in one step, their path computed on first read, alike in every other way."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from pathlib import Path

import pytest

from modelreg import ModelRegistry, ModelVersion, TrainingResult


@pytest.fixture
def listed(tmp_path: Path) -> tuple[ModelRegistry, list[ModelVersion]]:
    registry = ModelRegistry(tmp_path / "models")
    for seed in range(3):
        registry.register(
            TrainingResult(model={"s": seed}, metrics={"auc": seed / 10}, features=["a"])
        )
    registry.promote_to_production(registry.list_versions()[1].version)
    return registry, registry.list_versions()


def test_a_row_sets_every_field_of_the_dataclass(
    listed: tuple[ModelRegistry, list[ModelVersion]],
) -> None:
    _registry, versions = listed
    names = {f.name for f in dataclasses.fields(ModelVersion)}
    for version in versions:
        assert set(vars(version)) == names
        assert ModelVersion(**{n: getattr(version, n) for n in names}) == version


def test_the_path_is_computed_on_first_read_only(
    listed: tuple[ModelRegistry, list[ModelVersion]], monkeypatch: pytest.MonkeyPatch
) -> None:
    registry, _versions = listed
    asked: list[str] = []
    where = registry.backend.location_of
    monkeypatch.setattr(registry.backend, "location_of", lambda n: asked.append(n) or where(n))
    versions = registry.list_versions()
    assert asked == []
    first = versions[0].path
    assert asked == [versions[0].version]
    assert versions[0].path is first  # kept once computed
    assert isinstance(first, Path)
    assert first == Path(registry.path) / versions[0].version
    assert (first / "metadata.json").is_file()


def test_a_listed_row_equals_compares_copies_and_pickles_with_its_path(
    listed: tuple[ModelRegistry, list[ModelVersion]],
) -> None:
    registry, versions = listed
    again = registry.list_versions()
    assert again == versions
    row = again[1]
    assert row.channels == ["production"]
    assert pickle.loads(pickle.dumps(row)) == row
    assert copy.deepcopy(row) == row
    assert dataclasses.asdict(row)["path"] == Path(registry.path) / row.version
    moved = dataclasses.replace(row, deployment_status="archived")
    assert moved.path == row.path
    assert "path=" in repr(row) and row.version in repr(row)
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.path = "elsewhere"  # type: ignore[misc]


def test_path_stays_a_required_field() -> None:
    with pytest.raises(TypeError):
        ModelVersion("20260101_000000", "", {}, [])  # type: ignore[call-arg]
    made = ModelVersion("20260101_000000", "", {}, [], "models/20260101_000000")
    assert made.path == "models/20260101_000000"
