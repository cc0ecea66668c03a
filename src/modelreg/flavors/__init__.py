"""Model formats ("flavors"): how a model object becomes files in a version, and back.

`save_model` picks the flavor from the registry's `model_format`:

- ``"pickle"``: the original layout's `model.pkl`, whatever the model (the default for a
  local folder, so the original contract holds);
- ``"safe"``: the safest native format of the model's type (the order of `FLAVORS`), and
  `model.pkl` only where nothing safer exists.

A flavor marked `required` (a `ModelFiles` folder) is used under either setting, being the
only faithful way to store such a model. The flavor used is recorded in the version's
metadata under `model` (flavor, files, class, library versions) and loading always follows
that record, whatever the current setting; a record without it (an old or hand-made
version) is a pickle.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import CorruptVersionError, InvalidInputError, ModelRegistryError
from .base import Flavor, Unsupported, class_path, library_version
from .files import FilesFlavor, ModelFiles
from .lightgbm import LightGBMFlavor
from .onnx import OnnxFlavor, OnnxModel
from .pickle import PICKLE_FILE, PickleFlavor
from .sklearn import SklearnFlavor
from .torch import TorchFlavor
from .xgboost import XGBoostFlavor

__all__ = [
    "FLAVORS",
    "MODEL_FORMATS",
    "PICKLE_FILE",
    "Flavor",
    "ModelFiles",
    "OnnxModel",
    "choose_flavors",
    "get_flavor",
    "load_model",
    "save_model",
]

log = logging.getLogger("modelreg")

MODEL_FORMATS = ("pickle", "safe")

#: detection order for "safe": wrappers and specific libraries before the generic ones (an
#: `LGBMRegressor` is also a scikit-learn estimator), pickle last as it takes anything
FLAVORS: tuple[Flavor, ...] = (
    FilesFlavor(),
    OnnxFlavor(),
    LightGBMFlavor(),
    XGBoostFlavor(),
    TorchFlavor(),
    SklearnFlavor(),
    PickleFlavor(),
)
_BY_NAME = {flavor.name: flavor for flavor in FLAVORS}
_PICKLE = _BY_NAME["pickle"]
_DRIFT_SEEN: set[tuple[str, str, str]] = set()


def get_flavor(name: str) -> Flavor:
    """The flavor a version's record names; an unknown one means a newer modelreg wrote it."""
    try:
        return _BY_NAME[name]
    except (KeyError, TypeError):
        raise CorruptVersionError(
            f"unknown model flavor {name!r} (known: {', '.join(_BY_NAME)}); the version was "
            "probably written by a newer modelreg: upgrade to load it"
        ) from None


def choose_flavors(model: Any, model_format: str) -> list[Flavor]:
    """The flavors to try for `model`, best first (the next is used if one cannot store it)."""
    if model_format not in MODEL_FORMATS:
        raise InvalidInputError(
            f"model_format must be one of {list(MODEL_FORMATS)}, got {model_format!r}"
        )
    detected = [flavor for flavor in FLAVORS if flavor.detect(model)]
    required = [flavor for flavor in detected if flavor.required]
    if required:
        return required[:1]
    return detected if model_format == "safe" else [_PICKLE]


def save_model(model: Any, folder: Path, *, model_format: str = "pickle") -> dict[str, Any]:
    """Write `model` into `folder`; returns the record to keep in metadata (`model` key).

    The record's `hashes` (files hashed while written) is for the caller to pop.
    """
    for flavor in choose_flavors(model, model_format):
        try:
            saved = flavor.save(model, folder)
        except Unsupported as exc:
            log.warning("%s; trying the next model format", exc)
            continue
        if flavor is _PICKLE and model_format == "safe":
            log.warning(
                "no safe format stores %s: writing %s, which needs trust_pickle to load",
                class_path(model),
                PICKLE_FILE,
            )
        return {
            "flavor": flavor.name,
            "class": class_path(model),
            "libraries": flavor.libraries(),
            **saved,
        }
    raise AssertionError("the pickle flavor takes every model")  # pragma: no cover


def load_model(folder: Path, record: Mapping[str, Any] | None, *, trust_pickle: bool) -> Any:
    """Load the model a version holds, as its record says; pickles only when trusted.

    Whatever a model's library raises while loading (a `SystemExit` included) comes out as a
    CorruptVersionError, so a serving process that loads a bad version keeps serving.
    """
    record = record or {}
    flavor = get_flavor(record.get("flavor", "pickle"))
    try:
        model = flavor.load(folder, record, trust_pickle=trust_pickle)
    except ModelRegistryError:
        raise
    except (Exception, SystemExit) as exc:
        raise CorruptVersionError(
            f"the {flavor.name} model in {folder} could not be loaded: "
            f"{type(exc).__name__}: {str(exc)[:300]}",
            path=str(folder),
        ) from exc
    _warn_library_drift(record.get("libraries") or {})
    return model


def _warn_library_drift(saved: Mapping[str, str]) -> None:
    """Say once per process when a model was saved with another version of its library."""
    for name, version in saved.items():
        if name not in sys.modules:
            continue
        current = library_version(name)
        if current != version and (name, version, current) not in _DRIFT_SEEN:
            _DRIFT_SEEN.add((name, version, current))
            log.warning(
                "model saved with %s %s is loaded with %s %s: predictions may differ",
                name,
                version,
                name,
                current,
            )
