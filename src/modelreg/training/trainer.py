"""`train_model`: fit a return forecaster on time-ordered data and describe it as a TrainingResult.

The rows are split by time, never shuffled: the oldest part trains, the next one validates,
the newest one tests, so every score is out of sample and in the future of what was learnt.

Metric names are chosen for the registry's champion/challenger gate: the validation scores
carry the plain names (`rmse`, `mae`, `direction_accuracy`, `profit_factor`, `sharpe`,
`hit_rate`; see `evaluation`), since validation is what candidates are chosen on and what
`promote_if_better` compares; the test scores carry a `test_` prefix (`test_rmse` ...) and stay
an untouched, final check.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInputError, MissingDependencyError
from ..result import TrainingResult
from ..signature import infer_signature
from .evaluation import evaluate

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MODELS", "TimeSplit", "time_split", "train_model"]

#: fewest rows a split may have: fewer make its metrics noise
MIN_SPLIT_ROWS = 10


@dataclass(frozen=True)
class _ModelKind:
    defaults: dict[str, Any]
    build: Callable[[dict[str, Any]], Any]
    extra: str | None = None  # the pip extra that provides it, when it is optional


def _ridge(params: dict[str, Any]) -> Any:
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), Ridge(**params))


def _gbm(params: dict[str, Any]) -> Any:
    from sklearn.ensemble import GradientBoostingRegressor

    return GradientBoostingRegressor(**params)


def _hist_gbm(params: dict[str, Any]) -> Any:
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(**params)


def _random_forest(params: dict[str, Any]) -> Any:
    from sklearn.ensemble import RandomForestRegressor

    return RandomForestRegressor(**params)


def _lightgbm(params: dict[str, Any]) -> Any:
    from lightgbm import LGBMRegressor

    return LGBMRegressor(**params)


def _xgboost(params: dict[str, Any]) -> Any:
    from xgboost import XGBRegressor

    return XGBRegressor(**params)


#: model name -> default hyperparameters and builder; the defaults are deliberately cautious
MODELS: dict[str, _ModelKind] = {
    "ridge": _ModelKind({"alpha": 1.0}, _ridge),
    # single-threaded and quick on the few thousand rows of daily data
    "gbm": _ModelKind(
        {"n_estimators": 100, "learning_rate": 0.05, "max_depth": 3, "random_state": 0}, _gbm
    ),
    # histogram-based: for hundreds of thousands of rows (uses every core)
    "hist_gbm": _ModelKind(
        {"max_iter": 100, "learning_rate": 0.05, "max_depth": 3, "random_state": 0}, _hist_gbm
    ),
    "random_forest": _ModelKind(
        {
            "n_estimators": 200,
            "max_depth": 5,
            "min_samples_leaf": 20,
            "random_state": 0,
            "n_jobs": 1,
        },
        _random_forest,
    ),
    "lightgbm": _ModelKind(
        {
            "n_estimators": 200,
            "learning_rate": 0.05,
            "num_leaves": 15,
            "random_state": 0,
            "n_jobs": 1,
            "verbose": -1,
        },
        _lightgbm,
        extra="lightgbm",
    ),
    "xgboost": _ModelKind(
        {
            "n_estimators": 200,
            "learning_rate": 0.05,
            "max_depth": 3,
            "random_state": 0,
            "n_jobs": 1,
        },
        _xgboost,
        extra="xgboost",
    ),
}


@dataclass(frozen=True)
class TimeSplit:
    """Row ranges of a chronological split: train, then validation, then test."""

    train: slice
    validation: slice
    test: slice

    def sizes(self) -> dict[str, int]:
        return {name: s.stop - s.start for name, s in self.parts().items()}

    def parts(self) -> dict[str, slice]:
        return {"train": self.train, "validation": self.validation, "test": self.test}


def time_split(n_rows: int, *, validation_size: float = 0.15, test_size: float = 0.15) -> TimeSplit:
    """Cut `n_rows` time-ordered rows into contiguous train / validation / test ranges.

    The sizes are fractions of all rows; each part needs MIN_SPLIT_ROWS rows at least.
    """
    for name, size in (("validation_size", validation_size), ("test_size", test_size)):
        if isinstance(size, bool) or not isinstance(size, (int, float)) or not 0 < size < 1:
            raise InvalidInputError(f"{name} must be a fraction between 0 and 1, got {size!r}")
    if validation_size + test_size >= 1:
        raise InvalidInputError(
            f"validation_size + test_size must leave rows to train on, got "
            f"{validation_size} + {test_size}"
        )
    n_test = round(n_rows * test_size)
    n_val = round(n_rows * validation_size)
    n_train = n_rows - n_val - n_test
    if min(n_train, n_val, n_test) < MIN_SPLIT_ROWS:
        raise InvalidInputError(
            f"{n_rows} rows are too few: the split would give {n_train} train, {n_val} "
            f"validation and {n_test} test rows; each needs {MIN_SPLIT_ROWS} at least"
        )
    return TimeSplit(
        train=slice(0, n_train),
        validation=slice(n_train, n_train + n_val),
        test=slice(n_train + n_val, n_rows),
    )


def train_model(
    df: pd.DataFrame,
    feature_cols: Sequence[str],
    target_col: str,
    *,
    model: str | Any = "ridge",
    hyperparameters: Mapping[str, Any] | None = None,
    validation_size: float = 0.15,
    test_size: float = 0.15,
    timestamp_col: str | None = None,
    config: Mapping[str, Any] | None = None,
) -> TrainingResult:
    """Fit `model` to predict `target_col` from `feature_cols`, scored out of sample.

    Args:
        df: time-ordered rows, indexed by timestamp (or with a `timestamp_col`).
        model: a name in MODELS ("ridge" by default, "gbm", "hist_gbm", "random_forest",
            "lightgbm", "xgboost"), or an unfitted scikit-learn style estimator.
        hyperparameters: override the model's defaults (recorded in full in the result).
        config: extra settings to record in the result's `config`.

    Returns a TrainingResult with validation metrics under plain names and test metrics
    prefixed `test_`, feature importances, and the validation and test predictions (with
    their timestamps and actual values).
    """
    frame = _ordered(df, timestamp_col)
    features = _check_columns(frame, feature_cols, target_col)
    name, estimator, params = _estimator(model, hyperparameters)
    split = time_split(len(frame), validation_size=validation_size, test_size=test_size)
    X, y = frame[features], frame[target_col]
    try:
        estimator.fit(X.iloc[split.train], y.iloc[split.train])
    except (ValueError, TypeError) as exc:
        raise InvalidInputError(f"{name} could not be fitted with {params}: {exc}") from exc
    tables, metrics = {}, {}
    for part, prefix in (("validation", ""), ("test", "test_")):
        rows = split.parts()[part]
        table = _predictions(estimator, X.iloc[rows], y.iloc[rows])
        tables[part] = table
        scores = evaluate(table["actual"], table["predicted"])
        metrics.update({prefix + metric: value for metric, value in scores.items()})
    return TrainingResult(
        model=estimator,
        metrics=metrics,
        features=features,
        hyperparameters=params,
        config={
            "model": name,
            "target": target_col,
            "split": {"validation_size": validation_size, "test_size": test_size},
            "periods": _periods(frame, split),
            "data_range": {"start": _label(frame.index[0]), "end": _label(frame.index[-1])},
            **dict(config or {}),
        },
        feature_importance=_importance(
            estimator, features, X.iloc[split.validation], y.iloc[split.validation]
        ),
        validation_predictions=tables["validation"],
        test_predictions=tables["test"],
        training_date=datetime.now(UTC),
        signature=infer_signature(X.iloc[split.train], tables["validation"]["predicted"]),
    )


def _ordered(df: Any, timestamp_col: str | None) -> pd.DataFrame:
    """The rows with a timestamp index (when there is one), refusing unordered time."""
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise InvalidInputError(f"df must be a pandas DataFrame, got {type(df).__name__}")
    frame = df
    if timestamp_col is not None:
        if timestamp_col not in frame.columns:
            raise InvalidInputError(f"timestamp_col {timestamp_col!r} is not a column of df")
        frame = frame.set_index(timestamp_col)
        frame.index = pd.to_datetime(frame.index)
    if isinstance(frame.index, pd.DatetimeIndex):
        if frame.index.has_duplicates:
            raise InvalidInputError(
                f"df has duplicate timestamps, e.g. {frame.index[frame.index.duplicated()][0]}"
            )
        if not frame.index.is_monotonic_increasing:
            raise InvalidInputError(
                "df is not in time order; sort it by time first (rows are never shuffled, "
                "so the order is what separates the past from the future)"
            )
    return frame


def _check_columns(frame: pd.DataFrame, feature_cols: Sequence[str], target: str) -> list[str]:
    import pandas as pd

    if isinstance(feature_cols, str) or not feature_cols:
        raise InvalidInputError("feature_cols must be a non-empty list of column names")
    features = [str(c) for c in feature_cols]
    if target in features:
        raise InvalidInputError(f"the target {target!r} is also listed as a feature")
    missing = [c for c in [*features, target] if c not in frame.columns]
    if missing:
        raise InvalidInputError(f"df lacks column(s) {', '.join(missing)}", missing=missing)
    for column in [*features, target]:
        values = frame[column]
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            raise InvalidInputError(f"column {column!r} must be numeric, got {values.dtype}")
        if values.isna().any():
            raise InvalidInputError(
                f"column {column!r} has {int(values.isna().sum())} NaN value(s), first at "
                f"{values.index[int(values.isna().to_numpy().argmax())]}; drop or fill them first",
                column=column,
            )
    return features


def _estimator(
    model: str | Any, hyperparameters: Mapping[str, Any] | None
) -> tuple[str, Any, dict[str, Any]]:
    """The unfitted estimator, its name and its full hyperparameters."""
    overrides = dict(hyperparameters or {})
    if not isinstance(model, str):
        if not (hasattr(model, "fit") and hasattr(model, "predict")):
            raise InvalidInputError(
                f"model must be one of {', '.join(MODELS)} or an estimator with fit and "
                f"predict, got {type(model).__name__}"
            )
        from sklearn.base import clone

        estimator = clone(model)
        try:
            estimator.set_params(**overrides)
        except ValueError as exc:
            raise InvalidInputError(
                f"bad hyperparameters for {type(model).__name__}: {exc}"
            ) from exc
        return type(model).__name__, estimator, overrides
    kind = MODELS.get(model)
    if kind is None:
        raise InvalidInputError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    params = {**kind.defaults, **overrides}
    try:
        return model, kind.build(params), params
    except ImportError as exc:
        raise MissingDependencyError(
            f"model {model!r} needs {kind.extra}: pip install 'modelreg[{kind.extra}]'"
        ) from exc
    except TypeError as exc:
        raise InvalidInputError(f"bad hyperparameters for {model}: {exc}") from exc


def _predictions(estimator: Any, X: pd.DataFrame, y: pd.Series) -> pd.DataFrame:
    import pandas as pd

    predicted = estimator.predict(X)
    return pd.DataFrame({"actual": y.to_numpy(), "predicted": predicted}, index=X.index)


def _importance(estimator: Any, features: list[str], X: pd.DataFrame, y: pd.Series) -> pd.DataFrame:
    """Tree importances, absolute standardised coefficients, else permutation importance."""
    import numpy as np
    import pandas as pd

    final = estimator.steps[-1][1] if hasattr(estimator, "steps") else estimator
    if hasattr(final, "feature_importances_"):
        values = np.asarray(final.feature_importances_, dtype="float64")
    elif hasattr(final, "coef_"):
        values = np.abs(np.asarray(final.coef_, dtype="float64").ravel())
    else:
        from sklearn.inspection import permutation_importance

        found = permutation_importance(estimator, X, y, n_repeats=3, random_state=0)
        values = found.importances_mean
    table = pd.DataFrame({"feature": features, "importance": values})
    return table.sort_values("importance", ascending=False, ignore_index=True)


def _periods(frame: pd.DataFrame, split: TimeSplit) -> dict[str, dict[str, Any]]:
    """Each part's first and last row label and size, so a reader sees what was trained on."""
    return {
        part: {
            "start": _label(frame.index[rows.start]),
            "end": _label(frame.index[rows.stop - 1]),
            "rows": rows.stop - rows.start,
        }
        for part, rows in split.parts().items()
    }


def _label(value: Any) -> str:
    """A row label as text: ISO 8601 for timestamps."""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
