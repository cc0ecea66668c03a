"""Listing rows: built in one step, their path computed on first read, alike in every other way."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
import sqlite3
from pathlib import Path

import pytest

from modelreg import CorruptVersionError, ModelRegistry, ModelVersion, TrainingResult
from modelreg.backends.local import LocalBackend
from modelreg.versions import version_fields


@pytest.fixture
def listed(tmp_path: Path) -> tuple[ModelRegistry, list[ModelVersion]]:
    registry = ModelRegistry(tmp_path / "models")
    for seed in range(3):
        registry.register(
            TrainingResult(model={"s": seed}, metrics={"auc": seed / 10}, features=["a"])
        )
    registry.promote_to_production(registry.list_versions()[1].version)
    return registry, registry.list_versions()


def test_a_row_sets_every_field_of_the_dataclass_once_one_is_read(
    listed: tuple[ModelRegistry, list[ModelVersion]],
) -> None:
    registry, versions = listed
    names = {f.name for f in dataclasses.fields(ModelVersion)}
    eager = {"version", "path", "deployment_status", "channels"}
    for version in versions:
        assert set(vars(version)) == eager | {"_undecoded"}  # from the index, not decoded yet
        assert set(version.metrics) == {"auc"}
        assert set(vars(version)) == names
        assert ModelVersion(**{n: getattr(version, n) for n in names}) == version
    plain = ModelRegistry(backend=LocalBackend(registry.path, index=False)).list_versions()
    assert [set(vars(v)) for v in plain] == [names] * 3  # read from the files: all set at once
    assert plain == versions


def test_a_row_from_the_index_decodes_its_fields_on_first_read(
    listed: tuple[ModelRegistry, list[ModelVersion]], monkeypatch: pytest.MonkeyPatch
) -> None:
    registry, _versions = listed
    parsed: list[str] = []
    loads = json.loads
    monkeypatch.setattr(json, "loads", lambda text: parsed.append(text) or loads(text))
    versions = registry.list_versions()
    assert parsed == []
    assert [v.deployment_status for v in versions] == ["registered", "production", "registered"]
    assert [v.channels for v in versions] == [[], ["production"], []]
    assert parsed == []  # name, status and channels are not in the text
    assert versions[2].metrics == {"auc": 0.0}
    assert len(parsed) == 1  # one parse filled every field of that row
    assert versions[2].features == ["a"] and versions[2].tags == {}
    assert versions[2].model_flavor == "pickle" and versions[2].registered_at
    assert len(parsed) == 1
    assert versions[0].hyperparameters == {} and len(parsed) == 2


def test_class_attributes_and_defaults_are_as_before() -> None:
    assert ModelVersion.registered_at == "" and ModelVersion.model_flavor == ""
    assert ModelVersion.data_range is None
    for name in ("metrics", "features", "tags", "hyperparameters", "version", "path"):
        assert not hasattr(ModelVersion, name)
    made = ModelVersion("20260101_000000", "", {}, [], "p")
    assert (made.tags, made.hyperparameters, made.channels, made.data_range) == ({}, {}, [], None)


def test_a_damaged_index_row_is_a_corrupt_version_error_when_read(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path / "models")
    registry.register(TrainingResult(model={"s": 1}, metrics={"auc": 0.1}, features=["a"]))
    registry.list_versions()  # the index in step
    index = tmp_path / "models" / ".index" / "versions.sqlite"
    with sqlite3.connect(index) as conn:
        conn.execute("UPDATE versions SET listed = '[1, 2'")
    row = registry.list_versions()[0]
    with pytest.raises(CorruptVersionError, match=r"delete the registry's \.index folder"):
        _ = row.metrics


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
    unread = registry.list_versions()[0]
    assert set(vars(pickle.loads(pickle.dumps(unread)))) == set(vars(row))  # decoded, no text
    assert repr(registry.list_versions()[0]) == repr(unread)
    assert copy.deepcopy(row) == row
    assert dataclasses.asdict(row)["path"] == Path(registry.path) / row.version
    assert version_fields(registry.list_versions()[1]) == dataclasses.asdict(row)  # not copied
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
