"""The original format: `model.pkl`, a pickle of the model object.

It stores anything Python can pickle, which is why it is the fallback; and unpickling runs
whatever code the file names, which is why loading it needs the caller's trust.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._fsutil import HashingWriter
from ..errors import InvalidInputError
from .base import Flavor, class_path, untrusted

__all__ = ["PICKLE_FILE", "PickleFlavor"]

PICKLE_FILE = "model.pkl"


class PickleFlavor(Flavor):
    name = "pickle"

    def detect(self, model: Any) -> bool:
        return True

    def save(self, model: Any, folder: Path) -> dict[str, Any]:
        try:
            with HashingWriter(folder / PICKLE_FILE) as out:
                pickle.dump(model, out, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, AttributeError, TypeError) as exc:
            raise InvalidInputError(
                f"the model ({class_path(model)}) cannot be pickled: {exc}; "
                "register a picklable object (no lambdas, open files or local classes)"
            ) from exc
        return {
            "files": [PICKLE_FILE],
            "hashes": {PICKLE_FILE: {"sha256": out.sha256.hexdigest(), "bytes": out.bytes}},
        }

    def load(self, folder: Path, record: Mapping[str, Any], *, trust_pickle: bool) -> Any:
        path = folder / PICKLE_FILE
        if not trust_pickle:
            raise untrusted(path, "this version's model is a pickle")
        with open(path, "rb") as handle:
            return pickle.load(handle)
