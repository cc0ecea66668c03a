"""Model signatures: what a model was trained on, recorded so bad inputs fail loudly.

A model fed columns in the wrong order, or a string column where it learned floats, often
predicts garbage without raising. `infer_signature` records the training frame's columns and
dtypes (and the output's type); `check_input` holds a frame against that record and names
every missing column, extra column and incompatible dtype in one error.

The stored form (metadata.json key `signature`) is plain JSON::

    {"inputs": [{"name": "ema_20", "dtype": "float64", "kind": "float"}, ...],
     "outputs": {"type": "ndarray", "dtype": "float64", "shape": [null]}}

Dtype compatibility is by kind, not exact dtype: any width of the same kind passes, an
integer column is accepted (and cast) where floats were trained, nothing else crosses kinds
(a string or object column never passes for numbers, a float never for an integer).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .errors import InvalidInputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["check_input", "infer_signature", "input_kinds", "validate_signature"]

# kind trained on -> kinds accepted at prediction time
_ACCEPTS: dict[str, frozenset[str]] = {
    "float": frozenset({"float", "integer"}),
    "integer": frozenset({"integer"}),
    "bool": frozenset({"bool"}),
    "string": frozenset({"string", "object"}),
    "object": frozenset({"object", "string"}),
    "category": frozenset({"category"}),
    "datetime": frozenset({"datetime"}),
    "timedelta": frozenset({"timedelta"}),
}


def infer_signature(frame: pd.DataFrame, predictions: Any = None) -> dict[str, Any]:
    """Describe the training `frame` (column names in order, dtypes) and the output type.

    Args:
        frame: the features exactly as the model was fitted on them.
        predictions: optional model output (array, Series or DataFrame) for the output type.
    """
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise InvalidInputError(
            f"infer_signature needs a pandas DataFrame of features, got {type(frame).__name__}"
        )
    names = [str(c) for c in frame.columns]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InvalidInputError(f"the training frame repeats column(s) {duplicates}")
    inputs = [
        {"name": name, "dtype": str(frame[column].dtype), "kind": _kind(frame[column].dtype)}
        for name, column in zip(names, frame.columns, strict=True)
    ]
    outputs = None if predictions is None else _describe_output(predictions)
    return {"inputs": inputs, "outputs": outputs}


def check_input(
    signature: Mapping[str, Any], frame: Any, *, allow_extra: bool = False
) -> pd.DataFrame:
    """Return `frame`'s signature columns, in the signature's order, or raise naming every problem.

    Integer columns where floats were trained are cast to the trained dtype; the caller's
    frame is never modified. Columns without a recorded dtype are checked by name only.

    Args:
        signature: as made by `infer_signature` (metadata key `signature`).
        frame: a DataFrame (or a mapping of column name to values) to predict on.
        allow_extra: ignore columns the model was not trained on instead of refusing them.

    Raises:
        InvalidInputError: with `missing`, `extra` and `wrong_dtypes` attributes.
    """
    import pandas as pd

    if isinstance(frame, Mapping):
        frame = pd.DataFrame(dict(frame))
    if not isinstance(frame, pd.DataFrame):
        raise InvalidInputError(
            "this model has a signature, so inputs must be a pandas DataFrame with named "
            f"columns, got {type(frame).__name__}"
        )
    inputs = _inputs(signature)
    by_name = {str(c): c for c in frame.columns}
    missing = [spec["name"] for spec in inputs if spec["name"] not in by_name]
    expected = {spec["name"] for spec in inputs}
    extra = [] if allow_extra else [n for n in by_name if n not in expected]
    wrong: dict[str, str] = {}
    columns: dict[str, pd.Series] = {}
    for spec in inputs:
        if spec["name"] in missing:
            continue
        column = frame[by_name[spec["name"]]]
        problem = _dtype_problem(spec, column)
        if problem:
            wrong[spec["name"]] = problem
        else:
            columns[spec["name"]] = _conform(spec, column)
    if missing or extra or wrong:
        raise InvalidInputError(
            _describe_problems(missing, extra, wrong),
            missing=missing,
            extra=extra,
            wrong_dtypes=wrong,
        )
    return pd.DataFrame(columns, index=frame.index)


def validate_signature(signature: object) -> dict[str, Any]:
    """A JSON-safe copy of a signature, checked before anything is written at register."""
    import json

    if not isinstance(signature, Mapping):
        raise InvalidInputError(f"signature must be a mapping, got {type(signature).__name__}")
    _inputs(signature)
    try:
        return dict(json.loads(json.dumps(signature, allow_nan=False)))
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"signature cannot be stored as JSON: {exc}") from exc


def input_kinds(signature: Mapping[str, Any]) -> dict[str, str | None]:
    """Each input column, in order, and the kind it was trained on (None: checked by name only).

    Kinds are the coarse families compatibility is decided on: `float`, `integer`, `bool`,
    `string`, `object`, `category`, `datetime`, `timedelta`.
    """
    return {
        s["name"]: _trained_kind(s) if s.get("kind") or s.get("dtype") else None
        for s in _inputs(signature)
    }


def _inputs(signature: Mapping[str, Any]) -> list[dict[str, Any]]:
    inputs = signature.get("inputs") if isinstance(signature, Mapping) else None
    if not isinstance(inputs, list) or not all(
        isinstance(s, Mapping) and isinstance(s.get("name"), str) for s in inputs
    ):
        raise InvalidInputError(
            "the model's signature has no valid 'inputs' list of {name, dtype} entries"
        )
    return [dict(s) for s in inputs]


def _kind(dtype: Any) -> str:
    """Coarse family of a pandas/numpy dtype: what compatibility is decided on."""
    from pandas.api import types

    if isinstance(dtype, types.CategoricalDtype):
        return "category"
    families = (  # the first that holds: a bool is no integer here, an object no string
        (types.is_bool_dtype, "bool"),
        (types.is_integer_dtype, "integer"),
        (types.is_float_dtype, "float"),
        (types.is_datetime64_any_dtype, "datetime"),
        (types.is_timedelta64_dtype, "timedelta"),
        (types.is_object_dtype, "object"),
        (types.is_string_dtype, "string"),
    )
    return next((kind for holds, kind in families if holds(dtype)), str(dtype))


def _dtype_problem(spec: Mapping[str, Any], column: pd.Series) -> str | None:
    if not spec.get("dtype"):
        return None
    trained = _trained_kind(spec)
    given = _kind(column.dtype)
    if given in _ACCEPTS.get(trained, frozenset({trained})):
        return None
    return f"got {column.dtype}, trained on {spec['dtype']}"


def _trained_kind(spec: Mapping[str, Any]) -> str:
    """The recorded kind, or one derived from the dtype name (hand-written signatures)."""
    if spec.get("kind"):
        return str(spec["kind"])
    import pandas as pd

    try:
        return _kind(pd.api.types.pandas_dtype(spec["dtype"]))
    except TypeError:
        return str(spec["dtype"])


def _conform(spec: Mapping[str, Any], column: pd.Series) -> pd.Series:
    """Cast integers to the trained float dtype, so the model sees what it learned on."""
    if spec.get("dtype") and _trained_kind(spec) == "float" and _kind(column.dtype) == "integer":
        return column.astype(spec["dtype"])
    return column


def _describe_problems(missing: list[str], extra: list[str], wrong: dict[str, str]) -> str:
    parts = []
    if missing:
        parts.append(f"missing column(s) {missing}")
    if extra:
        parts.append(f"unexpected column(s) {extra} (the model was not trained on them)")
    if wrong:
        parts.append(
            "wrong dtype(s): " + "; ".join(f"{name}: {why}" for name, why in wrong.items())
        )
    return "input does not match the model's signature: " + ", ".join(parts)


def _describe_output(predictions: Any) -> dict[str, Any]:
    import numpy as np
    import pandas as pd

    if isinstance(predictions, pd.DataFrame):
        return {
            "type": "dataframe",
            "columns": [
                {"name": str(c), "dtype": str(predictions[c].dtype)} for c in predictions.columns
            ],
        }
    if isinstance(predictions, pd.Series):
        return {"type": "series", "dtype": str(predictions.dtype), "name": _name(predictions.name)}
    array = np.asarray(predictions)
    return {"type": "ndarray", "dtype": str(array.dtype), "shape": [None, *array.shape[1:]]}


def _name(name: Any) -> str | None:
    return None if name is None else str(name)
