"""Which flavor `model_format` picks, what it falls back to, and what a record must say."""

from __future__ import annotations

import gc
import logging
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import make_result
from modelreg import (
    CorruptVersionError,
    InvalidInputError,
    MissingDependencyError,
    ModelRegistry,
    TrainingResult,
    UntrustedModelError,
)
from modelreg.flavors import ModelFiles, load_model, save_model


class Plain:
    """A model no library knows: only a pickle can store it."""

    def __init__(self, weight: float) -> None:
        self.weight = weight

    def predict(self, X: np.ndarray) -> np.ndarray:
        return X.sum(axis=1) * self.weight


@pytest.mark.parametrize("model_format", ["pickle", "safe"])
def test_a_model_nothing_knows_is_pickled(
    model_format: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="modelreg"):
        record = save_model(Plain(2.0), tmp_path, model_format=model_format)
    assert record["flavor"] == "pickle"
    assert record["files"] == ["model.pkl"]
    assert record["class"] == f"{Plain.__module__}:Plain"
    assert ("no safe format" in caplog.text) == (model_format == "safe")
    assert load_model(tmp_path, record, trust_pickle=True).weight == 2.0


def test_skops_unsupported_estimator_falls_back_to_pickle(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pytest.importorskip("skops", reason="the safe extra is not installed")
    from sklearn.cluster import Birch  # skops: "not supported yet"

    model = Birch(n_clusters=2).fit(np.random.default_rng(0).normal(size=(20, 2)))
    with caplog.at_level(logging.WARNING, logger="modelreg"):
        record = save_model(model, tmp_path, model_format="safe")
    assert record["flavor"] == "pickle"
    assert "skops cannot store Birch" in caplog.text
    assert not (tmp_path / "model.skops").exists()


def test_lightgbm_with_a_custom_objective_needs_trust(tmp_path: Path) -> None:
    """A Python objective cannot live in LightGBM's text file: stored so loading needs trust."""
    lightgbm = pytest.importorskip("lightgbm", reason="lightgbm is not installed")

    X = np.random.default_rng(0).normal(size=(50, 2))
    model = lightgbm.LGBMRegressor(objective=_squared_error, n_estimators=3, verbose=-1)
    record = save_model(model.fit(X, X[:, 0]), tmp_path, model_format="safe")
    assert record["flavor"] != "lightgbm"
    with pytest.raises(UntrustedModelError, match="_squared_error"):
        load_model(tmp_path, record, trust_pickle=False)
    loaded = load_model(tmp_path, record, trust_pickle=True)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def _squared_error(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return y_pred - y_true, np.ones_like(y_pred)


def test_unknown_model_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="model_format"):
        save_model(Plain(1.0), tmp_path, model_format="skops")
    assert list(tmp_path.iterdir()) == []


def test_unknown_flavor_in_a_record_is_reported_not_guessed(tmp_path: Path) -> None:
    with pytest.raises(CorruptVersionError, match=r"'keras'.*newer modelreg"):
        load_model(tmp_path, {"flavor": "keras"}, trust_pickle=True)


def test_missing_library_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "lightgbm", None)  # import lightgbm now fails
    with pytest.raises(MissingDependencyError, match=r"pip install 'modelreg\[lightgbm\]'"):
        load_model(tmp_path, {"flavor": "lightgbm", "files": ["model.txt"]}, trust_pickle=False)


def test_safe_format_without_skops_says_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "skops.io", None)
    with pytest.raises(MissingDependencyError, match=r"needs skops.*modelreg\[safe\]"):
        save_model(make_result().model, tmp_path, model_format="safe")
    assert list(tmp_path.iterdir()) == []


def test_missing_torch_names_the_torch_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(MissingDependencyError, match=r"modelreg\[torch\]") as caught:
        load_model(tmp_path, {"flavor": "torch", "class": "m:Net"}, trust_pickle=False)
    assert isinstance(caught.value, ImportError)


def test_a_library_version_change_is_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    record = save_model(make_result().model, tmp_path, model_format="safe")
    record["libraries"] = {**record["libraries"], "sklearn": "0.0.1"}
    with caplog.at_level(logging.WARNING, logger="modelreg"):
        load_model(tmp_path, record, trust_pickle=False)
        load_model(tmp_path, record, trust_pickle=False)
    assert caplog.text.count("saved with sklearn 0.0.1") == 1


# --- files ------------------------------------------------------------------------------


@pytest.fixture
def model_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "tokenizer"
    (folder / "vocab").mkdir(parents=True)
    (folder / "config.json").write_text('{"size": 3}')
    (folder / "metadata.json").write_text("{}")  # a name the registry uses itself
    (folder / "vocab" / "words.txt").write_text("a\nb\nc\n")
    return folder


@pytest.mark.parametrize("model_format", ["pickle", "safe"])
def test_files_round_trip_in_any_format(
    model_format: str, model_folder: Path, tmp_path: Path
) -> None:
    registry = ModelRegistry(tmp_path / "models", model_format=model_format, trust_pickle=False)
    result = TrainingResult(model=ModelFiles(model_folder), metrics={"rmse": 1.0}, features=[])
    version = registry.register(result)
    info = registry.get_version_info(version)
    assert info is not None and info["model"]["flavor"] == "files"
    assert set(info["files"]) == {
        "model/config.json",
        "model/metadata.json",
        "model/vocab/words.txt",
    }
    loaded = registry.load_version(version)
    assert loaded is not None
    files = loaded.model
    assert isinstance(files, ModelFiles)
    assert files.files == ["config.json", "metadata.json", "vocab/words.txt"]
    assert (files.path / "vocab" / "words.txt").read_text() == "a\nb\nc\n"
    assert Path(registry.path) not in files.path.parents  # a private copy


def test_loaded_files_are_a_private_copy_removed_with_the_object(
    model_folder: Path, tmp_path: Path
) -> None:
    (tmp_path / "v").mkdir()
    save_model(ModelFiles(model_folder), tmp_path / "v", model_format="safe")
    loaded = load_model(tmp_path / "v", {"flavor": "files"}, trust_pickle=False)
    (loaded.path / "config.json").write_text("changed")
    assert (tmp_path / "v" / "model" / "config.json").read_text() == '{"size": 3}'
    copy = loaded.path
    del loaded
    gc.collect()
    assert not copy.exists()


def test_a_single_file_comes_back_as_that_file(tmp_path: Path) -> None:
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"\x00\x01\x02")
    (tmp_path / "v").mkdir()
    record = save_model(ModelFiles(weights), tmp_path / "v", model_format="pickle")
    assert record["files"] == ["model/weights.bin"]
    loaded = load_model(tmp_path / "v", record, trust_pickle=False)
    assert loaded.path.name == "weights.bin"
    assert Path(loaded).read_bytes() == b"\x00\x01\x02"


def test_model_files_must_exist(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="does not exist"):
        ModelFiles(tmp_path / "nowhere")


@pytest.mark.parametrize("kind", ["folder", "sqlite"])
def test_an_untrusted_pickle_names_the_version_not_a_scratch_path(
    tmp_path: Path, kind: str
) -> None:
    """A SQL catalog loads through a cache folder; the refusal must name the version."""
    location = str(tmp_path / "models") if kind == "folder" else f"sqlite:///{tmp_path}/c.db"
    registry = ModelRegistry(location, trust_pickle=False, model_format="pickle")
    name = registry.register(TrainingResult(model={"a": 1}, metrics={"rmse": 0.1}, features=[]))
    with pytest.raises(UntrustedModelError) as caught:
        registry.load_version(name)
    message = str(caught.value)
    assert message.startswith(f"{registry.location}: version {name}/model.pkl: ")
    assert caught.value.version == name and caught.value.path == f"version {name}/model.pkl"
    assert message.count(str(tmp_path)) == 1  # in the location only, no scratch folder
