"""Pickle-based versions load only with trust; untrusted skops types are refused by name."""

from __future__ import annotations

import os
import pickle
import re
from pathlib import Path

import numpy as np
import pytest

from conftest import make_result
from modelreg import ModelRegistry, TrainingResult, UntrustedModelError
from modelreg.flavors import load_model, save_model

SYSTEM = f"{os.system.__module__}.system"  # posix.system on Linux and macOS


class _WritesAFile:
    """Unpickling this calls `open(path, "w")`: a stand-in for any code a pickle can run."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, ...]:
        return (open, (str(self.path), "w"))


def _register_malicious(registry: ModelRegistry, victim: Path) -> str:
    return registry.register(
        TrainingResult(model=_WritesAFile(victim), metrics={"rmse": 1.0}, features=[])
    )


def test_malicious_pickle_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    victim = tmp_path / "pwned.txt"
    version = _register_malicious(ModelRegistry(tmp_path / "models"), victim)
    shared = ModelRegistry(tmp_path / "models", trust_pickle=False)
    with pytest.raises(UntrustedModelError) as caught:
        shared.load_version(version)
    message = str(caught.value)
    assert "model.pkl" in message and "pickle" in message
    assert "trust_pickle=True" in message  # how to allow it
    assert caught.value.path.endswith("model.pkl")
    assert not victim.exists()


def test_per_call_override_trusts_the_pickle(tmp_path: Path) -> None:
    """The override really unpickles: the demonstration payload writes its file."""
    victim = tmp_path / "pwned.txt"
    version = _register_malicious(ModelRegistry(tmp_path / "models"), victim)
    ModelRegistry(tmp_path / "models", trust_pickle=False).load_version(version, trust_pickle=True)
    assert victim.exists()


def test_per_call_override_can_also_refuse(registry: ModelRegistry) -> None:
    version = registry.register(make_result())
    assert registry.trust_pickle is True  # a local folder the user owns
    with pytest.raises(UntrustedModelError):
        registry.load_version(version, trust_pickle=False)


def test_sql_registry_does_not_trust_pickles_by_default(tmp_path: Path) -> None:
    pytest.importorskip("sqlalchemy", reason="the sql extra is not installed")
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = ModelRegistry(url, cache_dir=tmp_path / "cache", model_format="pickle")
    assert registry.trust_pickle is False
    version = registry.register(make_result())
    with pytest.raises(UntrustedModelError):
        registry.load_version(version)
    assert registry.load_version(version, trust_pickle=True) is not None


def test_sql_registry_writes_safe_formats_by_default(tmp_path: Path) -> None:
    pytest.importorskip("sqlalchemy", reason="the sql extra is not installed")
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = ModelRegistry(url, cache_dir=tmp_path / "cache")
    assert registry.model_format == "safe"
    result = make_result()
    version = registry.register(result)
    info = registry.get_version_info(version)
    assert info is not None and info["model"]["flavor"] == "sklearn"
    loaded = registry.load_version(version)  # no trust needed
    assert loaded is not None
    X = np.eye(3)
    np.testing.assert_array_equal(loaded.model.predict(X), result.model.predict(X))


def test_training_result_load_refuses_an_untrusted_pickle(tmp_path: Path) -> None:
    victim = tmp_path / "pwned.txt"
    TrainingResult(model=_WritesAFile(victim), metrics={}, features=[]).save(tmp_path / "run")
    with pytest.raises(UntrustedModelError):
        TrainingResult.load(tmp_path / "run", trust_pickle=False)
    assert not victim.exists()


def test_record_without_model_key_is_a_pickle_and_needs_trust(tmp_path: Path) -> None:
    (tmp_path / "model.pkl").write_bytes(pickle.dumps({"weights": [1, 2]}))
    with pytest.raises(UntrustedModelError):
        load_model(tmp_path, None, trust_pickle=False)
    assert load_model(tmp_path, None, trust_pickle=True) == {"weights": [1, 2]}


def test_skops_refuses_an_untrusted_type_and_names_it(tmp_path: Path) -> None:
    pytest.importorskip("skops", reason="the safe extra is not installed")
    from sklearn.preprocessing import FunctionTransformer

    model = FunctionTransformer(func=os.system)  # would call os.system on transform
    record = save_model(model, tmp_path, model_format="safe")
    assert record["flavor"] == "sklearn"
    assert record["untrusted_types"] == [SYSTEM]
    with pytest.raises(UntrustedModelError) as caught:
        load_model(tmp_path, record, trust_pickle=False)
    assert SYSTEM in str(caught.value)
    assert caught.value.types == [SYSTEM]
    assert "trust_pickle=True" in str(caught.value)
    assert load_model(tmp_path, record, trust_pickle=True).func is os.system


def test_skops_checks_the_file_not_the_record(tmp_path: Path) -> None:
    """A writer who edits metadata to hide an untrusted type gains nothing."""
    pytest.importorskip("skops", reason="the safe extra is not installed")
    from sklearn.preprocessing import FunctionTransformer

    record = save_model(FunctionTransformer(func=os.system), tmp_path, model_format="safe")
    with pytest.raises(UntrustedModelError, match=re.escape(SYSTEM)):
        load_model(tmp_path, {**record, "untrusted_types": []}, trust_pickle=False)


def test_tree_models_load_without_trust(tmp_path: Path) -> None:
    """sklearn's tree structures are on our allow-list: forests need no trust_pickle."""
    from sklearn.ensemble import ExtraTreesRegressor, GradientBoostingRegressor

    X = np.random.default_rng(0).normal(size=(30, 2))
    for model in (ExtraTreesRegressor(n_estimators=3), GradientBoostingRegressor(n_estimators=3)):
        folder = tmp_path / type(model).__name__
        folder.mkdir()
        record = save_model(model.fit(X, X.sum(axis=1)), folder, model_format="safe")
        assert record["untrusted_types"] == []
        loaded = load_model(folder, record, trust_pickle=False)
        np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_loading_follows_the_recorded_flavor_whatever_the_setting(tmp_path: Path) -> None:
    safe = ModelRegistry(tmp_path / "models", model_format="safe")
    skops_version = safe.register(make_result(1))
    pickled = ModelRegistry(tmp_path / "models", model_format="pickle", trust_pickle=False)
    pickle_version = pickled.register(make_result(2))
    assert pickled.load_version(skops_version) is not None  # skops, no trust needed
    with pytest.raises(UntrustedModelError):
        safe.load_version(pickle_version, trust_pickle=False)  # a pickle, whatever safe says
