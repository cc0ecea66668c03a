"""ONNX models: a protobuf graph run by onnxruntime, with nothing in the file that executes.

An `onnx.ModelProto` (from skl2onnx, `torch.onnx.export`, ...) is written as `model.onnx`.
It loads as an `OnnxModel`: an onnxruntime session wrapped so that `.predict(X)` works like
the scikit-learn model it often replaces.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._fsutil import HashingWriter
from ..errors import CorruptVersionError, InvalidInputError
from .base import Flavor, require, uses_library

__all__ = ["ONNX_FILE", "OnnxFlavor", "OnnxModel"]

ONNX_FILE = "model.onnx"

_NUMPY_TYPES = {
    "tensor(float)": "float32",
    "tensor(double)": "float64",
    "tensor(int64)": "int64",
    "tensor(int32)": "int32",
    "tensor(bool)": "bool",
    "tensor(string)": "object",
}


class OnnxModel:
    """An ONNX graph ready to predict: `predict(X)` feeds X to the graph, returns its first output.

    X is a 2-D array or DataFrame for a graph with one input; a DataFrame whose columns name
    the inputs for a graph with one input per column (as skl2onnx makes for mixed types).
    """

    def __init__(self, model_bytes: bytes) -> None:
        ort = require("onnxruntime", "onnx")
        self.model_bytes = model_bytes
        self.session = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])

    def __reduce__(self) -> tuple[Any, ...]:  # sessions do not pickle; the graph does
        return (OnnxModel, (self.model_bytes,))

    @property
    def input_names(self) -> list[str]:
        return [arg.name for arg in self.session.get_inputs()]

    def run(self, X: Any) -> list[Any]:
        """Every output of the graph for input X."""
        return list(self.session.run(None, self._feed(X)))

    def predict(self, X: Any) -> Any:
        """The first output, flattened to 1-D when it is one column (as scikit-learn does)."""
        import numpy as np

        output = np.asarray(self.run(X)[0])
        return output.ravel() if output.ndim == 2 and output.shape[1] == 1 else output

    def _feed(self, X: Any) -> dict[str, Any]:
        import numpy as np

        inputs = self.session.get_inputs()
        if len(inputs) == 1:
            values = X.to_numpy() if hasattr(X, "to_numpy") else X
            return {inputs[0].name: np.asarray(values).astype(_dtype(inputs[0]), copy=False)}
        missing = [arg.name for arg in inputs if not hasattr(X, "columns") or arg.name not in X]
        if missing:
            raise InvalidInputError(
                f"this ONNX model takes one input per column; pass a DataFrame with the "
                f"column(s) {missing}",
                missing=missing,
            )
        return {
            arg.name: X[[arg.name]].to_numpy().astype(_dtype(arg), copy=False) for arg in inputs
        }


def _dtype(arg: Any) -> str:
    try:
        return _NUMPY_TYPES[arg.type]
    except KeyError:
        raise InvalidInputError(
            f"the ONNX input {arg.name!r} has type {arg.type}, which predict() cannot feed; "
            "use model.session.run() directly"
        ) from None


class OnnxFlavor(Flavor):
    name = "onnx"
    library = "onnxruntime"
    extra = "onnx"

    def detect(self, model: Any) -> bool:
        if isinstance(model, OnnxModel):
            return True
        return uses_library(model, "onnx") and hasattr(model, "SerializeToString")

    def libraries(self) -> dict[str, str]:
        return {}  # the bytes carry their own opset; the runtime is whatever loads them

    def save(self, model: Any, folder: Path) -> dict[str, Any]:
        data = model.model_bytes if isinstance(model, OnnxModel) else model.SerializeToString()
        with HashingWriter(folder / ONNX_FILE) as out:
            out.write(data)
        return {
            "files": [ONNX_FILE],
            "hashes": {ONNX_FILE: {"sha256": out.sha256.hexdigest(), "bytes": out.bytes}},
        }

    def load(self, folder: Path, record: Mapping[str, Any], *, trust_pickle: bool) -> Any:
        ort = require("onnxruntime", self.extra)
        path = folder / ONNX_FILE
        state = ort.capi.onnxruntime_pybind11_state
        bad_graph = (state.InvalidProtobuf, state.InvalidGraph, state.Fail)
        try:
            return OnnxModel(path.read_bytes())
        except bad_graph as exc:
            raise CorruptVersionError(f"{path} is not a valid ONNX model: {exc}") from exc
