"""A changed, truncated, grown or missing artifact is refused at load, before any unpickling.

The proof uses a model whose unpickling creates a file. Its pickle is tampered with so that
it would still unpickle (it now names another file to create), and the hash check must stop
the load with `IntegrityError` before either file exists.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from conftest import make_result
from modelreg import CorruptVersionError, IntegrityError, ModelRegistry, TrainingResult


class CreatesFileWhenUnpickled:
    """Unpickling this runs `open(path, "w")`: the side effect shows whether it happened."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (str(self.path), "w"))


@pytest.fixture
def trap(tmp_path: Path) -> tuple[ModelRegistry, str, Path, Path]:
    registry = ModelRegistry(tmp_path / "models")
    first, second = tmp_path / "unpickled-AAAA", tmp_path / "unpickled-BBBB"
    result = TrainingResult(
        model=CreatesFileWhenUnpickled(first), metrics={"rmse": 0.1}, features=["a"]
    )
    name = registry.register(result)
    registry.promote_to_production(name)
    assert not first.exists()
    return registry, name, first, second


TAMPERINGS: dict[str, Callable[[bytes, Path, Path], bytes]] = {
    "same-size-other-target": lambda raw, a, b: raw.replace(str(a).encode(), str(b).encode()),
    "truncated": lambda raw, a, b: raw[: len(raw) // 2],
    "emptied": lambda raw, a, b: b"",
    "grown": lambda raw, a, b: raw + b"\x00",
}


@pytest.mark.parametrize("tamper", list(TAMPERINGS))
@pytest.mark.parametrize("version", ["name", "latest"])
def test_tampered_pickle_is_refused_unopened(
    trap: tuple[ModelRegistry, str, Path, Path], tamper: str, version: str
) -> None:
    registry, name, first, second = trap
    pkl = Path(registry.path) / name / "model.pkl"
    raw = pkl.read_bytes()
    changed = TAMPERINGS[tamper](raw, first, second)
    assert changed != raw
    if tamper == "same-size-other-target":
        assert len(changed) == len(raw)
        pickle.loads(changed).close()  # it still unpickles, and would create `second`
        second.unlink()
    pkl.write_bytes(changed)
    with pytest.raises(IntegrityError) as caught:
        registry.load_version(name if version == "name" else "latest")
    assert not first.exists() and not second.exists(), "something was unpickled"
    error = caught.value
    assert isinstance(error, CorruptVersionError)
    assert error.version == name and error.path == str(pkl)
    assert "model.pkl" in str(error) and name in str(error)
    report = registry.verify()
    assert sorted((p["kind"], p["where"]) for p in report.problems) == [
        ("broken-pointer", "production"),
        ("integrity", name),
    ]


def test_untouched_trap_does_unpickle(trap: tuple[ModelRegistry, str, Path, Path]) -> None:
    """The control: without tampering, loading really runs the pickle (so the test can fail)."""
    registry, name, first, _second = trap
    loaded = registry.load_version(name)
    assert loaded is not None and first.exists()
    loaded.model.close()


@pytest.mark.parametrize("artifact", ["validation_predictions.csv", "metadata-missing-file"])
def test_other_artifacts_are_checked_too(tmp_path: Path, artifact: str) -> None:
    registry = ModelRegistry(tmp_path / "models")
    result = make_result()
    result.validation_predictions = pd.DataFrame({"y": [1.0, 2.0], "pred": [1.1, 2.1]})
    name = registry.register(result)
    folder = Path(registry.path) / name
    if artifact == "metadata-missing-file":
        (folder / "validation_predictions.csv").unlink()
        match = "missing"
    else:
        (folder / artifact).write_text("y,pred\n9,9\n")
        match = "validation_predictions.csv"
    with pytest.raises(IntegrityError, match=match):
        registry.load_version(name)


def test_hashes_are_recorded_for_every_artifact(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path / "models")
    result = make_result()
    result.feature_importance = pd.DataFrame({"feature": ["a"], "importance": [1.0]})
    name = registry.register(result)
    files = registry.get_version_info(name)["files"]
    on_disk = {p.name for p in (Path(registry.path) / name).iterdir()} - {"metadata.json"}
    assert set(files) == on_disk
    assert all(len(r["sha256"]) == 64 and r["bytes"] > 0 for r in files.values())
