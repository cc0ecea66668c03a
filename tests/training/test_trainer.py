"""train_model: a time-ordered split, honest out-of-sample metrics, a result the registry keeps."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from modelreg import InvalidInputError, MissingDependencyError, ModelRegistry
from modelreg.training import (
    TARGET,
    build_features,
    evaluate,
    generate_prices,
    time_split,
    train_model,
)


@pytest.fixture(scope="module")
def frame_and_features() -> tuple[pd.DataFrame, list[str]]:
    return build_features(generate_prices(600, seed=1))


@pytest.mark.parametrize("n_rows", [100, 101, 457, 1000])
def test_split_is_ordered_contiguous_and_covers_every_row(n_rows: int) -> None:
    split = time_split(n_rows, validation_size=0.2, test_size=0.1)
    rows = [list(range(n_rows))[s] for s in (split.train, split.validation, split.test)]
    assert rows[0] + rows[1] + rows[2] == list(range(n_rows))  # in order, no gap, no overlap
    assert max(rows[0]) < min(rows[1]) and max(rows[1]) < min(rows[2])
    assert split.sizes()["validation"] == round(n_rows * 0.2)
    assert split.sizes()["test"] == round(n_rows * 0.1)


@pytest.mark.parametrize(
    ("n_rows", "kwargs", "message"),
    [
        (30, {}, "too few"),
        (100, {"validation_size": 0.0}, "validation_size must be a fraction"),
        (100, {"test_size": 1.5}, "test_size must be a fraction"),
        (100, {"validation_size": 0.5, "test_size": 0.5}, "leave rows to train on"),
    ],
)
def test_split_refuses_bad_sizes(n_rows: int, kwargs: dict, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        time_split(n_rows, **kwargs)


def test_result_is_scored_out_of_sample_in_time_order(frame_and_features) -> None:
    frame, features = frame_and_features
    result = train_model(frame, features, TARGET)
    split = time_split(len(frame))
    val, test = result.validation_predictions, result.test_predictions
    # never shuffled: each table holds exactly its rows, in their original order
    assert val.index.equals(frame.index[split.validation])
    assert test.index.equals(frame.index[split.test])
    assert val.index.min() > frame.index[split.train][-1]
    assert val["actual"].tolist() == frame[TARGET].iloc[split.validation].tolist()
    expected = evaluate(val["actual"], val["predicted"])
    assert {k: result.metrics[k] for k in expected} == pytest.approx(expected)
    test_scores = evaluate(test["actual"], test["predicted"])
    assert result.metrics["test_profit_factor"] == pytest.approx(test_scores["profit_factor"])
    assert result.config["periods"]["train"]["rows"] == split.sizes()["train"]
    assert result.config["data_range"]["start"] == frame.index[0].isoformat()


def test_fitting_uses_only_the_training_rows(frame_and_features) -> None:
    frame, features = frame_and_features
    split = time_split(len(frame))
    poisoned = frame.copy()
    poisoned.iloc[split.validation.start :, poisoned.columns.get_loc(TARGET)] *= -50
    a = train_model(frame, features, TARGET)
    b = train_model(poisoned, features, TARGET)
    pd.testing.assert_series_equal(
        a.validation_predictions["predicted"], b.validation_predictions["predicted"]
    )


def test_result_describes_the_model(frame_and_features) -> None:
    frame, features = frame_and_features
    result = train_model(frame, features, TARGET, hyperparameters={"alpha": 5.0})
    assert result.hyperparameters == {"alpha": 5.0}
    assert result.features == features
    assert sorted(result.feature_importance["feature"]) == sorted(features)
    assert result.feature_importance["importance"].is_monotonic_decreasing
    assert [s["name"] for s in result.signature["inputs"]] == features
    assert result.training_date is not None and result.training_date.tzinfo is not None
    assert result.config["model"] == "ridge"


@pytest.mark.parametrize("model", ["gbm", "hist_gbm", "random_forest", "lightgbm", "xgboost"])
def test_other_models_train_and_rank_features(frame_and_features, model: str) -> None:
    if model in ("lightgbm", "xgboost"):
        pytest.importorskip(model)
    frame, features = frame_and_features
    result = train_model(frame, features, TARGET, model=model, hyperparameters={"random_state": 1})
    assert result.config["model"] == model
    assert result.hyperparameters["random_state"] == 1
    assert len(result.feature_importance) == len(features)
    assert 0 <= result.metrics["direction_accuracy"] <= 1


def test_an_estimator_instance_is_cloned_not_mutated(frame_and_features) -> None:
    from sklearn.linear_model import Lasso

    frame, features = frame_and_features
    mine = Lasso(alpha=1e-5)
    result = train_model(frame, features, TARGET, model=mine, hyperparameters={"alpha": 1e-4})
    assert result.model is not mine and not hasattr(mine, "coef_")
    assert result.model.alpha == 1e-4
    assert result.config["model"] == "Lasso"


def test_missing_optional_library_names_the_extra(monkeypatch, frame_and_features) -> None:
    monkeypatch.setitem(sys.modules, "lightgbm", None)  # import lightgbm -> ImportError
    frame, features = frame_and_features
    with pytest.raises(MissingDependencyError, match=r"pip install 'modelreg\[lightgbm\]'"):
        train_model(frame, features, TARGET, model="lightgbm")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.iloc[::-1], "not in time order"),
        (lambda f: f.drop(columns=["rsi_14"]), r"lacks column\(s\) rsi_14"),
        (lambda f: f.assign(rsi_14=f["rsi_14"].where(f.index != f.index[3])), "NaN value"),
        (lambda f: f.assign(rsi_14="high"), "must be numeric"),
        (lambda f: pd.concat([f.iloc[:5], f.iloc[4:]]), "duplicate timestamps"),
    ],
)
def test_bad_frames_are_refused(frame_and_features, change, message: str) -> None:
    frame, features = frame_and_features
    with pytest.raises(InvalidInputError, match=message):
        train_model(change(frame), features, TARGET)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model": "svm"}, "unknown model 'svm'"),
        ({"hyperparameters": {"depth": 3}}, "bad hyperparameters for ridge"),
        ({"hyperparameters": {"alpha": -1}}, "could not be fitted"),
        ({"model": object()}, "estimator with fit and predict"),
    ],
)
def test_bad_model_choices_are_refused(frame_and_features, kwargs: dict, message: str) -> None:
    frame, features = frame_and_features
    with pytest.raises(InvalidInputError, match=message):
        train_model(frame, features, TARGET, **kwargs)


def test_feature_list_must_be_real_columns_and_exclude_the_target(frame_and_features) -> None:
    frame, features = frame_and_features
    with pytest.raises(InvalidInputError, match="also listed as a feature"):
        train_model(frame, [*features, TARGET], TARGET)
    with pytest.raises(InvalidInputError, match="non-empty list"):
        train_model(frame, "ret_1", TARGET)


def test_a_timestamp_column_works_like_an_index(frame_and_features) -> None:
    frame, features = frame_and_features
    flat = frame.reset_index()
    result = train_model(flat, features, TARGET, timestamp_col="timestamp")
    assert result.validation_predictions.index.name == "timestamp"


def test_registry_keeps_the_result_and_compares_test_metrics_correctly(
    tmp_path: Path, frame_and_features
) -> None:
    frame, features = frame_and_features
    registry = ModelRegistry(tmp_path / "models")
    result = train_model(frame, features, TARGET)
    version = registry.register(result, data_range=result.config["data_range"])
    loaded = registry.load_version(version)
    assert loaded.metrics == pytest.approx(result.metrics)
    assert loaded.signature == result.signature
    pd.testing.assert_frame_equal(
        loaded.validation_predictions, result.validation_predictions, check_freq=False
    )
    assert registry.directions.direction("test_rmse") == "lower"
    assert registry.directions.direction("test_profit_factor") == "higher"
