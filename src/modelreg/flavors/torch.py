"""PyTorch modules: weights in safetensors (tensors only) plus the importable class to fill.

A safetensors file cannot hold code, so the module's class is recorded by import path and
rebuilt at load with `cls(**init_kwargs)`: the class must live in an importable module (not
`__main__`, not inside a function), and a class whose constructor needs arguments must say
them as a JSON-able `init_kwargs` attribute on the module instance. Importing that module runs
its code, so a class outside torch itself loads only with `trust_pickle=True`. Loaded modules
are in `eval()` mode, ready to predict.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import CorruptVersionError
from .base import Flavor, Unsupported, import_class, library_version, require, uses_library

__all__ = ["TORCH_FILE", "TorchFlavor"]

TORCH_FILE = "model.safetensors"


class TorchFlavor(Flavor):
    name = "torch"
    library = "torch"
    extra = "torch"

    def detect(self, model: Any) -> bool:
        if not uses_library(model, "torch"):
            return False
        import torch

        return isinstance(model, torch.nn.Module)

    def libraries(self) -> dict[str, str]:
        return {"torch": library_version("torch"), "safetensors": library_version("safetensors")}

    def save(self, model: Any, folder: Path) -> dict[str, Any]:
        safetensors_torch = require("safetensors.torch", self.extra)
        init_kwargs = _init_kwargs(model)
        safetensors_torch.save_model(model, str(folder / TORCH_FILE))
        return {"files": [TORCH_FILE], "init_kwargs": init_kwargs}

    def load(self, folder: Path, record: Mapping[str, Any], *, trust_pickle: bool) -> Any:
        torch = require("torch", self.extra)
        safetensors_torch = require("safetensors.torch", self.extra)
        path = folder / TORCH_FILE
        cls = import_class(
            str(record.get("class")),
            torch.nn.Module,
            where=path,
            library=self.library,
            trusted=trust_pickle,
        )
        try:
            model = cls(**dict(record.get("init_kwargs") or {}))
        except TypeError as exc:
            raise CorruptVersionError(
                f"{path}: cannot construct {record.get('class')} with the recorded init_kwargs "
                f"({exc}); its constructor changed since the version was registered"
            ) from exc
        try:
            safetensors_torch.load_model(model, str(path))
        except RuntimeError as exc:  # missing/unexpected keys, shape mismatch
            raise CorruptVersionError(
                f"{path} does not fit {record.get('class')}: {exc}", path=str(path)
            ) from exc
        return model.eval()


def _init_kwargs(model: Any) -> dict[str, Any]:
    """The constructor arguments to record, checked now rather than at load."""
    cls = type(model)
    if cls.__module__ == "__main__" or "<locals>" in cls.__qualname__:
        raise Unsupported(
            f"{cls.__qualname__} is defined in {cls.__module__} (or inside a function), so it "
            "cannot be imported when the model is loaded; move it into a module"
        )
    kwargs = getattr(model, "init_kwargs", None) or {}
    try:
        kwargs = json.loads(json.dumps(dict(kwargs), allow_nan=False))
        inspect.signature(cls).bind(**kwargs)
    except (TypeError, ValueError) as exc:
        raise Unsupported(
            f"{cls.__qualname__}({', '.join(kwargs)}) cannot be rebuilt from its init_kwargs "
            f"({exc}); set `model.init_kwargs = {{...}}` to the JSON-able constructor arguments"
        ) from exc
    return dict(kwargs)
