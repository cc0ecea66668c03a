"""Registering what is on disk from Python (`modelreg.saved`), as `modelreg register` does."""

from __future__ import annotations

from pathlib import Path

from conftest import make_result
from modelreg import ModelRegistry
from modelreg.flavors import ModelFiles
from modelreg.saved import copies_files, register_saved


def test_a_saved_run_registers_with_its_own_description(tmp_path: Path) -> None:
    run = tmp_path / "run"
    make_result(3).save(run)
    registry = ModelRegistry(tmp_path / "models", trust_pickle=True)
    assert copies_files(run)
    name = register_saved(registry, run, metrics={"rmse": 0.5}, features=["x", "y", "z"])
    info = registry.get_version_info(name)
    assert info is not None
    assert info["metrics"]["rmse"] == 0.5  # the argument overrides the saved value
    assert "direction_accuracy" in info["metrics"]  # the rest comes from metadata.json
    assert info["features"] == ["x", "y", "z"]
    assert info["hyperparameters"] == {"alpha": 1.0}
    assert registry.load_version(name) is not None


def test_other_files_are_kept_as_they_are(tmp_path: Path) -> None:
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"\x00\x01")
    registry = ModelRegistry(tmp_path / "models")
    assert not copies_files(weights)
    name = register_saved(registry, weights, metrics={"rmse": 0.1})
    loaded = registry.load_version(name)
    assert loaded is not None and isinstance(loaded.model, ModelFiles)


def test_register_files_cleans_up_as_register_does(tmp_path: Path) -> None:
    """`auto_cleanup` ran after `register` only; a CLI or server registration skipped it."""
    registry = ModelRegistry(tmp_path / "models", auto_cleanup=True, keep_versions=1)
    source = tmp_path / "model.pkl"
    source.write_bytes(b"not really a pickle")
    names = [registry.register_files(source, metrics={"rmse": r}) for r in (0.1, 0.2)]
    assert [v.version for v in registry.list_versions()] == [names[1]]
