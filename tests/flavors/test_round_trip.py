"""Every built-in flavor whose library is installed: saved, loaded, and predicting the same.

Each model goes three ways: `save_model`/`load_model` directly, `TrainingResult.save/load`,
and `ModelRegistry(model_format="safe").register` + `load_version` with pickles NOT trusted
(so a flavor that silently fell back to pickle would fail here).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from conftest import make_result
from modelreg import ModelRegistry, TrainingResult
from modelreg.flavors import OnnxModel, load_model, save_model

RNG = np.random.default_rng(7)
X = pd.DataFrame(RNG.normal(size=(80, 3)), columns=["ema_20", "rsi_14", "vol_20"])
Y = X.to_numpy() @ np.array([0.5, -0.2, 0.1]) + RNG.normal(scale=0.05, size=80)
LABELS = np.where(Y > 0, "up", "down")


@dataclass(frozen=True)
class Case:
    make: Callable[[], Any]
    flavor: str
    file: str
    exact: bool = True  # ONNX computes in float32: close, not bit-equal


def _ridge() -> Any:
    from sklearn.linear_model import Ridge

    return Ridge().fit(X, Y)


def _forest() -> Any:
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(n_estimators=5, random_state=0).fit(X, LABELS)


def _hist_boosting() -> Any:
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(max_iter=10).fit(X, Y)


def _lgbm_regressor() -> Any:
    lightgbm = pytest.importorskip("lightgbm", reason="lightgbm is not installed")
    return lightgbm.LGBMRegressor(n_estimators=10, verbose=-1).fit(X, Y)


def _lgbm_classifier() -> Any:
    lightgbm = pytest.importorskip("lightgbm", reason="lightgbm is not installed")
    return lightgbm.LGBMClassifier(n_estimators=10, verbose=-1).fit(X, LABELS)


def _lgbm_multiclass() -> Any:
    lightgbm = pytest.importorskip("lightgbm", reason="lightgbm is not installed")
    return lightgbm.LGBMClassifier(n_estimators=10, verbose=-1).fit(X, np.digitize(Y, [-0.3, 0.3]))


def _lgbm_booster() -> Any:
    lightgbm = pytest.importorskip("lightgbm", reason="lightgbm is not installed")
    data = lightgbm.Dataset(X, Y, params={"verbose": -1})
    return lightgbm.train({"verbose": -1}, data, num_boost_round=10)


def _xgb_classifier() -> Any:
    xgboost = pytest.importorskip("xgboost", reason="xgboost is not installed")
    return xgboost.XGBClassifier(n_estimators=10).fit(X, (Y > 0).astype(int))


def _xgb_regressor() -> Any:
    xgboost = pytest.importorskip("xgboost", reason="xgboost is not installed")
    return xgboost.XGBRegressor(n_estimators=10).fit(X, Y)


def _onnx() -> Any:
    skl2onnx = pytest.importorskip("skl2onnx", reason="skl2onnx is not installed")
    pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
    return skl2onnx.to_onnx(_ridge(), X[:1].to_numpy(dtype=np.float32))


CASES = {
    "sklearn-ridge": Case(_ridge, "sklearn", "model.skops"),
    "sklearn-forest": Case(_forest, "sklearn", "model.skops"),
    "sklearn-hist-boosting": Case(_hist_boosting, "sklearn", "model.skops"),
    "lightgbm-regressor": Case(_lgbm_regressor, "lightgbm", "model.txt"),
    "lightgbm-classifier": Case(_lgbm_classifier, "lightgbm", "model.txt"),
    "lightgbm-multiclass": Case(_lgbm_multiclass, "lightgbm", "model.txt"),
    "lightgbm-booster": Case(_lgbm_booster, "lightgbm", "model.txt"),
    "xgboost-classifier": Case(_xgb_classifier, "xgboost", "model.ubj"),
    "xgboost-regressor": Case(_xgb_regressor, "xgboost", "model.ubj"),
    "onnx": Case(_onnx, "onnx", "model.onnx", exact=False),
}


def _predictions(model: Any) -> list[np.ndarray]:
    """What the model answers: predict, and predict_proba where it has one."""
    if hasattr(model, "SerializeToString"):  # an ONNX graph predicts once loaded
        model = OnnxModel(model.SerializeToString())
    answers = [np.asarray(model.predict(X))]
    if hasattr(model, "predict_proba"):
        answers.append(np.asarray(model.predict_proba(X)))
    return answers


def _assert_same_predictions(original: Any, loaded: Any, case: Case) -> None:
    expected, actual = _predictions(original), _predictions(loaded)
    assert len(actual) == len(expected)
    for want, got in zip(expected, actual, strict=True):
        if case.exact:
            np.testing.assert_array_equal(got, want)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> Case:
    return CASES[request.param]


def test_save_and_load_model_directly(case: Case, tmp_path: Path) -> None:
    model = case.make()
    record = save_model(model, tmp_path, model_format="safe")
    assert record["flavor"] == case.flavor
    assert record["files"] == [case.file]
    assert (tmp_path / case.file).is_file()
    assert not (tmp_path / "model.pkl").exists()
    loaded = load_model(tmp_path, json.loads(json.dumps(record)), trust_pickle=False)
    _assert_same_predictions(model, loaded, case)


def test_training_result_save_and_load(case: Case, tmp_path: Path) -> None:
    model = case.make()
    result = TrainingResult(model=model, metrics={"rmse": 0.1}, features=list(X.columns))
    result.save(tmp_path / "run", model_format="safe")
    meta = json.loads((tmp_path / "run" / "metadata.json").read_text())
    assert meta["model"]["flavor"] == case.flavor
    loaded = TrainingResult.load(tmp_path / "run", trust_pickle=False)
    _assert_same_predictions(model, loaded.model, case)


def test_safe_registry_round_trip_without_trusting_pickles(case: Case, tmp_path: Path) -> None:
    model = case.make()
    registry = ModelRegistry(tmp_path / "models", model_format="safe", trust_pickle=False)
    result = TrainingResult(model=model, metrics={"rmse": 0.1}, features=list(X.columns))
    version = registry.register(result)
    info = registry.get_version_info(version)
    assert info is not None
    assert info["model"]["flavor"] == case.flavor
    assert set(info["files"]) == {case.file}  # hashed like every artifact
    assert "hashes" not in info["model"]
    assert info["model"]["libraries"] or case.flavor == "onnx"
    loaded = registry.load_version(version)
    assert loaded is not None
    _assert_same_predictions(model, loaded.model, case)


def test_default_local_registry_still_writes_model_pkl(registry: ModelRegistry) -> None:
    result = make_result(3)
    version = registry.register(result)
    folder = Path(registry.path) / version
    assert (folder / "model.pkl").is_file()
    assert sorted(p.name for p in folder.iterdir()) == ["metadata.json", "model.pkl"]
    info = registry.get_version_info(version)
    assert info is not None and info["model"]["flavor"] == "pickle"
    loaded = registry.load_version(version)
    assert loaded is not None
    values = X.to_numpy()
    np.testing.assert_array_equal(loaded.model.predict(values), result.model.predict(values))


def test_a_loaded_onnx_model_can_be_registered_again(tmp_path: Path) -> None:
    """An OnnxModel (what the onnx flavor loads) is stored as ONNX, or pickled by its bytes."""
    loaded = OnnxModel(_onnx().SerializeToString())
    for model_format in ("safe", "pickle"):
        registry = ModelRegistry(tmp_path / model_format, model_format=model_format)
        result = TrainingResult(model=loaded, metrics={"rmse": 1.0}, features=[])
        again = registry.load_version(registry.register(result))
        assert again is not None and isinstance(again.model, OnnxModel)
        np.testing.assert_array_equal(again.model.predict(X), loaded.predict(X))


def test_onnx_graph_with_one_input_per_column(tmp_path: Path) -> None:
    skl2onnx = pytest.importorskip("skl2onnx", reason="skl2onnx is not installed")
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    frame = pd.DataFrame({"num": RNG.normal(size=30), "cat": RNG.choice(["a", "b"], size=30)})
    pipeline = make_pipeline(
        ColumnTransformer([("n", StandardScaler(), ["num"]), ("c", OneHotEncoder(), ["cat"])]),
        Ridge(),
    ).fit(frame, RNG.normal(size=30))
    save_model(skl2onnx.to_onnx(pipeline, frame[:1]), tmp_path, model_format="safe")
    loaded = load_model(tmp_path, {"flavor": "onnx"}, trust_pickle=False)
    assert loaded.input_names == ["num", "cat"]
    np.testing.assert_allclose(loaded.predict(frame), pipeline.predict(frame), rtol=1e-4)
    with pytest.raises(ValueError, match=r"column\(s\) \['cat'\]"):
        loaded.predict(frame[["num"]])
