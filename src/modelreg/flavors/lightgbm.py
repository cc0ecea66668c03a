"""LightGBM models in LightGBM's own text format: trees and numbers, nothing to execute.

A `Booster` is saved as is. A scikit-learn wrapper (`LGBMRegressor`, `LGBMClassifier`,
`LGBMRanker`) is saved as its booster plus the small state its `predict` needs (parameters,
classes, objective), recorded as JSON and put back on a fresh wrapper at load.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import CorruptVersionError
from .base import Flavor, import_class, require, uses_library

__all__ = ["LIGHTGBM_FILE", "LightGBMFlavor"]

LIGHTGBM_FILE = "model.txt"


class LightGBMFlavor(Flavor):
    name = "lightgbm"
    library = "lightgbm"
    extra = "lightgbm"

    def detect(self, model: Any) -> bool:
        if not uses_library(model, "lightgbm"):
            return False
        import lightgbm

        if isinstance(model, lightgbm.Booster):
            return True
        # a custom objective is Python code, which the text format cannot hold
        return (
            isinstance(model, lightgbm.LGBMModel)
            and model.__sklearn_is_fitted__()
            and not callable(model.objective)
        )

    def save(self, model: Any, folder: Path) -> dict[str, Any]:
        import lightgbm

        record: dict[str, Any] = {"files": [LIGHTGBM_FILE]}
        booster = model
        if isinstance(model, lightgbm.LGBMModel):
            booster = model.booster_
            record["wrapper"] = _wrapper_state(model)
        booster.save_model(str(folder / LIGHTGBM_FILE))
        return record

    def load(self, folder: Path, record: Mapping[str, Any], *, trust_pickle: bool) -> Any:
        lightgbm = require("lightgbm", self.extra)
        path = folder / LIGHTGBM_FILE
        try:
            booster = lightgbm.Booster(model_file=str(path))
        except lightgbm.basic.LightGBMError as exc:
            raise CorruptVersionError(f"{path} is not a LightGBM model: {exc}") from exc
        state = record.get("wrapper")
        if state is None:
            return booster
        cls = import_class(
            str(record.get("class")),
            lightgbm.LGBMModel,
            where=path,
            library=self.library,
            trusted=trust_pickle,
        )
        return _rebuild_wrapper(cls(**state.get("params", {})), booster, state)


def _wrapper_state(model: Any) -> dict[str, Any]:
    # what cannot be JSON (a RandomState, say) only matters for training again, not predict
    params = {k: v for k, v in model.get_params().items() if _jsonable(v)}
    state: dict[str, Any] = {
        "params": params,
        "objective": model.objective_,
        "n_features_in": int(model.n_features_in_),
        "fitted_with_feature_names": bool(model._fitted_with_feature_names),
        "best_iteration": int(model.best_iteration_ or 0),
    }
    if hasattr(model, "classes_"):
        state["classes"] = model.classes_.tolist()
    return state


def _rebuild_wrapper(model: Any, booster: Any, state: Mapping[str, Any]) -> Any:
    """Make `model` a fitted wrapper of `booster`: the attributes `LGBMModel.fit` would set."""
    import numpy as np
    from lightgbm.compat import _LGBMLabelEncoder

    model._Booster = booster
    model._n_features = booster.num_feature()
    model._n_features_in = state["n_features_in"]
    model._fitted_with_feature_names = state.get("fitted_with_feature_names", False)
    model._objective = state["objective"]
    model._best_iteration = state.get("best_iteration", 0)
    model._best_score = {}
    model._evals_result = {}
    if "classes" in state:
        encoder = _LGBMLabelEncoder().fit(np.asarray(state["classes"]))
        model._le = encoder
        model._classes = encoder.classes_
        model._n_classes = len(encoder.classes_)
        model._class_map = dict(
            zip(encoder.classes_, encoder.transform(encoder.classes_), strict=True)
        )
    model.fitted_ = True
    return model


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True
