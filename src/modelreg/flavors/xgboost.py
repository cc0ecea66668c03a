"""XGBoost models in XGBoost's own format (UBJSON; JSON read too): data, never code.

Both a `Booster` and the scikit-learn wrappers (`XGBRegressor`, `XGBClassifier`, ...) are
saved with their own `save_model`, which keeps the wrapper's attributes (classes, objective)
inside the file; at load the recorded class is checked to be an XGBoost class before use.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import CorruptVersionError
from .base import Flavor, class_path, import_class, require, uses_library

__all__ = ["XGBOOST_FILES", "XGBoostFlavor"]

#: UBJSON is what we write (compact, exact); JSON is read for hand-made versions
XGBOOST_FILES = ("model.ubj", "model.json")


class XGBoostFlavor(Flavor):
    name = "xgboost"
    library = "xgboost"
    extra = "xgboost"

    def detect(self, model: Any) -> bool:
        if not uses_library(model, "xgboost"):
            return False
        import xgboost

        return isinstance(model, (xgboost.Booster, xgboost.XGBModel))

    def save(self, model: Any, folder: Path) -> dict[str, Any]:
        filename = XGBOOST_FILES[0]
        model.save_model(str(folder / filename))
        return {"files": [filename]}

    def load(self, folder: Path, record: Mapping[str, Any], *, trust_pickle: bool) -> Any:
        xgboost = require("xgboost", self.extra)
        files = record.get("files") or []
        filename = next((f for f in XGBOOST_FILES if f in files), XGBOOST_FILES[0])
        path = folder / filename
        cls = import_class(
            record.get("class") or class_path(xgboost.Booster),
            (xgboost.Booster, xgboost.XGBModel),
            where=path,
            library=self.library,
            trusted=trust_pickle,
        )
        model = cls()
        try:
            model.load_model(str(path))
        except xgboost.core.XGBoostError as exc:
            raise CorruptVersionError(f"{path} is not an XGBoost model: {exc}") from exc
        return model
