"""Model formats ("flavors"): how a model object becomes files in a version, and back.

The flavor used is recorded in the version's metadata under `model`, and loading always
follows that record, whatever the registry's current `model_format` setting.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._fsutil import HashingWriter
from ..errors import CorruptVersionError, UntrustedModelError

__all__ = ["PICKLE_FILE", "load_model", "save_model"]

PICKLE_FILE = "model.pkl"


def save_model(model: Any, folder: Path, *, model_format: str = "pickle") -> dict[str, Any]:
    """Write `model` into `folder`; returns the record to keep in metadata (`model` key)."""
    import pickle

    with HashingWriter(folder / PICKLE_FILE) as out:
        pickle.dump(model, out, protocol=pickle.HIGHEST_PROTOCOL)
    return {
        "flavor": "pickle",
        "files": [PICKLE_FILE],
        "hashes": {PICKLE_FILE: {"sha256": out.sha256.hexdigest(), "bytes": out.bytes}},
    }


def load_model(folder: Path, record: Mapping[str, Any] | None, *, trust_pickle: bool) -> Any:
    """Load the model a version holds, refusing pickles the caller does not trust."""
    flavor = (record or {}).get("flavor", "pickle")
    if flavor != "pickle":
        raise CorruptVersionError(f"{folder} uses the unknown model flavor {flavor!r}")
    if not trust_pickle:
        raise UntrustedModelError(
            f"{folder / PICKLE_FILE} is a pickle, and loading a pickle runs code from whoever "
            "wrote it; pass trust_pickle=True (or set registry.trust_pickle) if you trust "
            "this registry's writers",
            path=str(folder / PICKLE_FILE),
        )
    import pickle

    with open(folder / PICKLE_FILE, "rb") as handle:
        return pickle.load(handle)
