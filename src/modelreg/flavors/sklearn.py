"""scikit-learn models in skops format: loading builds only types skops (or we) vouch for.

A skops file describes objects instead of running code: `skops.io.load` refuses every type
that is not on its trusted list unless the caller names it. We add a short allow-list
(`ALLOWED_TYPES`) and refuse anything else by name unless the caller trusts the registry's
writers, in which case the file's remaining types are passed to skops explicitly.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._fsutil import HashingWriter
from ..errors import CorruptVersionError
from .base import Flavor, Unsupported, library_version, require, untrusted, uses_library

__all__ = ["ALLOWED_TYPES", "SKOPS_FILE", "SklearnFlavor"]

log = logging.getLogger("modelreg")

SKOPS_FILE = "model.skops"

#: Types outside skops' default trusted list that we trust anyway. Each is a plain data holder
#: from scikit-learn or numpy that skops rebuilds from arrays and numbers through the class's
#: own `__setstate__`/constructor; none takes a callable or an import path from the file.
#: Without the first two every tree model (random forests, gradient boosting, extra trees,
#: histogram boosting) would need `trust_pickle`, which would defeat the format.
ALLOWED_TYPES = (
    "sklearn.tree._tree.Tree",  # node and value arrays of every fitted decision tree
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",  # HistGradientBoosting*
    "numpy.dtype",  # a dtype rebuilt from its name (SimpleImputer, KBinsDiscretizer)
)


class SklearnFlavor(Flavor):
    name = "sklearn"
    library = "sklearn"
    extra = "safe"

    def detect(self, model: Any) -> bool:
        return uses_library(model, "sklearn") and hasattr(model, "get_params")

    def libraries(self) -> dict[str, str]:
        return {"sklearn": library_version("sklearn"), "skops": library_version("skops")}

    def save(self, model: Any, folder: Path) -> dict[str, Any]:
        sio = require("skops.io", self.extra)
        try:
            data = sio.dumps(model)
        except (TypeError, NotImplementedError) as exc:  # skops' "not supported yet"
            raise Unsupported(f"skops cannot store {type(model).__name__}: {exc}") from exc
        with HashingWriter(folder / SKOPS_FILE) as out:
            out.write(data)
        extra_types = [t for t in sio.get_untrusted_types(data=data) if t not in ALLOWED_TYPES]
        if extra_types:
            log.warning(
                "%s holds types skops does not trust (%s): loading it will need trust_pickle",
                type(model).__name__,
                ", ".join(extra_types),
            )
        return {
            "files": [SKOPS_FILE],
            "hashes": {SKOPS_FILE: {"sha256": out.sha256.hexdigest(), "bytes": out.bytes}},
            "untrusted_types": extra_types,
        }

    def load(self, folder: Path, record: Mapping[str, Any], *, trust_pickle: bool) -> Any:
        sio = require("skops.io", self.extra)
        path = folder / SKOPS_FILE
        try:
            found = sio.get_untrusted_types(file=path)  # from the file, never from metadata
            unknown = [t for t in found if t not in ALLOWED_TYPES]
            if unknown and not trust_pickle:
                raise untrusted(
                    path,
                    "this skops file holds types outside skops' trusted list: "
                    + ", ".join(unknown),
                    types=unknown,
                )
            return sio.load(path, trusted=found)
        except zipfile.BadZipFile as exc:
            raise CorruptVersionError(f"{path} is not a skops file: {exc}", path=str(path)) from exc
