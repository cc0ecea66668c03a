"""A real MLflow registry, built with MLflow's own API, for the importer's tests.

`build_registry(uri, artifacts)` makes three registered models:

- `churn` (scikit-learn): versions 1-4, version 2 deleted; @champion on 3, @production on 1;
  version 3's run has a NaN metric and a `data_range` tag, version 4's params name the range
  with `data_start` / `data_end`; version 3 has a description and tags.
- `demand forecast` (LightGBM; a name our rule refuses): versions 1-2, @Staging on 2.
- `wide` (XGBoost): one version whose run logged 3,000 params.

`INPUT` is what every model predicts on; `expected_predictions` asks MLflow's own loaders.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

INPUT = np.random.default_rng(7).normal(size=(12, 3))
COLUMNS = ["ema_20", "rsi_14", "vol_20"]
WIDE_PARAMS = 3000


@dataclass
class Built:
    """What was built: the URI, and per (model, version) what MLflow says it predicts."""

    uri: str
    artifacts: Path
    predictions: dict[tuple[str, int], Any] = field(default_factory=dict)


@contextlib.contextmanager
def tracking(uri: str) -> Iterator[Any]:
    """MLflow's fluent API pointed at `uri` for the block, through its environment variables.

    Never `mlflow.set_tracking_uri`: that would stay set, and later tests would find this
    store as MLflow's default.
    """
    import mlflow

    names = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")
    before = {name: os.environ.get(name) for name in names}
    os.environ.update(dict.fromkeys(names, uri))
    try:
        yield mlflow
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _frame(rows: Any = INPUT) -> Any:
    import pandas as pd

    return pd.DataFrame(rows, columns=COLUMNS)


def _target(seed: int) -> Any:
    return INPUT @ np.array([0.5, -0.2, 0.1 * seed]) + 0.01 * seed


def build_registry(uri: str, artifacts: str) -> Built:
    import mlflow.lightgbm
    import mlflow.sklearn
    import mlflow.xgboost
    from mlflow.models import infer_signature

    built = Built(uri, Path(urlsplit(artifacts).path))
    with tracking(uri) as mlflow:
        experiment = mlflow.create_experiment("imports", artifact_location=artifacts)
        client = mlflow.MlflowClient(uri)
        client.create_registered_model("churn", description="who leaves", tags={"team": "crm"})
        for seed in range(1, 5):
            _log_sklearn(mlflow, experiment, seed, infer_signature)
        client.delete_model_version("churn", "2")
        client.set_registered_model_alias("churn", "champion", "3")
        client.set_registered_model_alias("churn", "production", "1")
        client.update_model_version("churn", "3", description="the good one")
        client.set_model_version_tag("churn", "3", "reviewed", "yes")
        for seed in (1, 2):
            _log_lightgbm(mlflow, experiment, seed)
        client.set_registered_model_alias("demand forecast", "Staging", "2")
        _log_wide_xgboost(mlflow, experiment)
        for name, count in (("churn", 4), ("demand forecast", 2), ("wide", 1)):
            for number in range(1, count + 1):
                if (name, number) == ("churn", 2):
                    continue
                model = mlflow.pyfunc.load_model(f"models:/{name}/{number}")
                built.predictions[name, number] = np.asarray(model.predict(_frame()))
    return built


def _log_sklearn(mlflow: Any, experiment: str, seed: int, infer_signature: Any) -> None:
    from sklearn.linear_model import Ridge

    model = Ridge(alpha=seed).fit(_frame(), _target(seed))
    with mlflow.start_run(experiment_id=experiment):
        mlflow.log_params({"alpha": seed, "solver": "auto"})
        for step, value in enumerate((0.3, 0.2, 0.1 / seed)):
            mlflow.log_metric("rmse", value, step=step)  # the latest value is what counts
        mlflow.log_metric("direction_accuracy", 0.5 + seed / 100)
        mlflow.set_tag("owner", "alice")
        if seed == 3:
            mlflow.log_metric("unstable", float("nan"))
            mlflow.set_tag("data_range", "2025-01-01:2025-06-30")
        if seed == 4:
            mlflow.log_params({"data_start": "2025-02-01", "data_end": "2025-07-31"})
        mlflow.sklearn.log_model(
            model,
            name="model",
            registered_model_name="churn",
            signature=infer_signature(_frame(), model.predict(_frame())),
            pip_requirements=["scikit-learn"],
        )


def _log_lightgbm(mlflow: Any, experiment: str, seed: int) -> None:
    import lightgbm

    model = lightgbm.LGBMRegressor(n_estimators=5 * seed, min_child_samples=2, verbose=-1)
    model.fit(_frame(), _target(seed))
    with mlflow.start_run(experiment_id=experiment):
        mlflow.log_metric("rmse", 0.05 * seed)
        mlflow.lightgbm.log_model(
            model, name="model", registered_model_name="demand forecast", pip_requirements=[]
        )


def _log_wide_xgboost(mlflow: Any, experiment: str) -> None:
    import xgboost

    model = xgboost.XGBRegressor(n_estimators=4, max_depth=2).fit(_frame(), _target(1))
    with mlflow.start_run(experiment_id=experiment):
        params = {f"feature_weight_{i:04d}": i / WIDE_PARAMS for i in range(WIDE_PARAMS)}
        mlflow.log_params(params)
        mlflow.log_metric("rmse", 0.07)
        mlflow.xgboost.log_model(
            model, name="model", registered_model_name="wide", pip_requirements=[]
        )


def build_small_registry(
    root: Path, *, versions: int, same_second: bool = False, file_store: bool = False
) -> Built:
    """One scikit-learn model `small` with `versions` versions, each with its own files.

    The models are logged first and registered back to back afterwards, so with
    `same_second` the versions usually share their registration second. With `file_store`,
    MLflow keeps everything in the folder `root/mlruns` (MLflow 3 wants
    MLFLOW_ALLOW_FILE_STORE=true for that).
    """
    import mlflow.sklearn
    from sklearn.linear_model import Ridge

    root.mkdir(parents=True)
    uri = (root / "mlruns").as_uri() if file_store else f"sqlite:///{root / 'mlflow.db'}"
    built = Built(uri, root / "artifacts")
    with tracking(built.uri) as mlflow:
        experiment = mlflow.create_experiment("small", artifact_location=built.artifacts.as_uri())
        logged = []
        for seed in range(1, versions + 1):
            with mlflow.start_run(experiment_id=experiment) as run:
                model = Ridge(alpha=seed).fit(_frame(), _target(seed))
                info = mlflow.sklearn.log_model(model, name="model", pip_requirements=[])
                logged.append((info.model_uri, run.info.run_id))
        client = mlflow.MlflowClient(built.uri)
        client.create_registered_model("small")
        for uri, run_id in logged:
            client.create_model_version("small", uri, run_id=run_id)
            if not same_second:
                time.sleep(1.1)
    return built
