"""Request bodies of `modelreg serve` into frames, and answers into JSON; free of the web framework.

Accepted bodies, by `Content-Type`:

- `application/json`: rows as records `[{"ret_1": 0.01, "rsi_14": 55.0}, ...]`, one record as an
  object of values, columns as an object of equal-length lists `{"ret_1": [...], ...}`, or MLflow's
  scoring forms `{"dataframe_records": [...]}` and `{"dataframe_split": {"columns": [...],
  "data": [[...], ...]}}`, so a client of `mlflow models serve` switches by changing the URL.
- `text/csv`: a header row, then one row a line.

Either may carry OHLCV bars instead of features (a `timestamp` column and open, high, low, close,
volume) when the version's features come from the built-in recipe. Every limit is checked before
the work it bounds: the body's bytes by the caller, the rows here, before any frame is built.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._json_text import loads
from ..errors import InvalidInputError, PayloadTooLargeError, UnsupportedMediaTypeError

if TYPE_CHECKING:
    import pandas as pd

    from .served_model import Answer

__all__ = ["JSON", "MEDIA_TYPES", "Limits", "answer_json", "media_type", "read_rows"]

JSON = "application/json"
_CSV_TYPES = ("text/csv", "application/csv")
MEDIA_TYPES = (JSON, *_CSV_TYPES)
_SCALARS = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class Limits:
    """What one request may send: body bytes and rows (413 beyond either)."""

    max_bytes: int = 16 * 2**20
    max_rows: int = 100_000

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_rows"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidInputError(f"{name} must be a whole number >= 1, got {value!r}")

    def check_rows(self, rows: int) -> None:
        if rows > self.max_rows:
            raise PayloadTooLargeError(
                f"{rows:,} rows is over this server's limit of {self.max_rows:,} a request; "
                "split the input",
                rows=rows,
                limit=self.max_rows,
            )


def media_type(content_type: str | None) -> str:
    """The body's media type, if it is one /predict reads (a charset other than UTF-8 is not)."""
    kind, _, params = (content_type or "").partition(";")
    kind = kind.strip().lower()
    charset = params.partition("charset=")[2].split(";")[0].strip().strip('"').lower()
    if kind in MEDIA_TYPES and charset in ("", "utf-8", "utf8"):
        return kind
    raise UnsupportedMediaTypeError(
        f"cannot read a {content_type or 'body without a Content-Type'}: send "
        f"{JSON} (records, columns) or text/csv, in UTF-8",
        content_type=content_type,
        accepted=list(MEDIA_TYPES),
    )


def read_rows(body: bytes, kind: str, limits: Limits) -> pd.DataFrame:
    """The rows of a request body of media type `kind` (see `media_type`) as a DataFrame."""
    if not body.strip():
        raise InvalidInputError("the request body is empty: send at least one row")
    frame = _from_csv(body, limits) if kind in _CSV_TYPES else _from_json(body, limits)
    if frame.empty:
        raise InvalidInputError("the request holds no rows: send at least one")
    return frame


def _from_json(body: bytes, limits: Limits) -> pd.DataFrame:
    import pandas as pd

    try:
        document = loads(body, parse_constant=_no_constant)
    except ValueError as exc:
        raise InvalidInputError(f"the body is not valid JSON: {exc}") from exc
    columns, rows = _shape(document, limits)
    frame = pd.DataFrame(rows, columns=columns) if columns is not None else pd.DataFrame(rows)
    _refuse_nested(frame)
    return frame


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number; send null for a missing value")


def _shape(document: Any, limits: Limits) -> tuple[list[str] | None, Any]:
    """(column names or None, what pandas builds the frame from), rows counted first."""
    if isinstance(document, Mapping) and set(document) == {"dataframe_records"}:
        document = document["dataframe_records"]
    if isinstance(document, Mapping) and set(document) == {"dataframe_split"}:
        return _split(document["dataframe_split"], limits)
    if isinstance(document, list):
        limits.check_rows(len(document))
        bad = next((i for i, row in enumerate(document) if not isinstance(row, Mapping)), None)
        if bad is not None:
            raise InvalidInputError(
                f"row {bad} is a {_json_type(document[bad])}: records must be JSON objects "
                '(e.g. [{"ret_1": 0.01, "rsi_14": 55.0}])',
                row=bad,
            )
        return None, document
    if isinstance(document, Mapping):
        values = list(document.values())
        if values and all(isinstance(v, list) for v in values):
            lengths = {len(v) for v in values}
            limits.check_rows(max(lengths))
            if len(lengths) > 1:
                raise InvalidInputError(
                    "columns differ in length ("
                    + ", ".join(f"{k}: {len(v)}" for k, v in document.items())
                    + "); each column needs one value a row"
                )
            return None, dict(document)
        if all(isinstance(v, _SCALARS) for v in values):
            return None, [dict(document)]
        raise InvalidInputError(
            "a JSON object must map every column to a list of values (columns) or every "
            "column to one value (one record), not a mix"
        )
    raise InvalidInputError(
        f"the body is a JSON {_json_type(document)}: send records (a list of objects) or "
        "columns (an object of lists)"
    )


def _split(split: Any, limits: Limits) -> tuple[list[str], Any]:
    """MLflow's `dataframe_split`: `{"columns": [...], "data": [[...], ...]}`."""
    columns = split.get("columns") if isinstance(split, Mapping) else None
    data = split.get("data") if isinstance(split, Mapping) else None
    if not (isinstance(columns, list) and all(isinstance(c, str) for c in columns)):
        raise InvalidInputError('dataframe_split needs "columns": a list of column names')
    if not isinstance(data, list):
        raise InvalidInputError('dataframe_split needs "data": a list of rows')
    limits.check_rows(len(data))
    for i, row in enumerate(data):
        if not isinstance(row, list) or len(row) != len(columns):
            raise InvalidInputError(
                f"dataframe_split row {i} is not a list of {len(columns)} value(s), one a column",
                row=i,
            )
    return columns, data


def _refuse_nested(frame: pd.DataFrame) -> None:
    """Cells must be numbers, strings, booleans or null; a list or object is no column value."""
    for column in frame.columns:
        if frame[column].dtype != object:
            continue
        for row, value in enumerate(frame[column]):
            if not isinstance(value, _SCALARS):
                raise InvalidInputError(
                    f"row {row}, column {column}: a {_json_type(value)} is not a value; "
                    "cells are numbers, strings, booleans or null",
                    row=row,
                    column=str(column),
                )


def _from_csv(body: bytes, limits: Limits) -> pd.DataFrame:
    import pandas as pd

    # the numbers the client wrote, to the last bit: pandas 3 parses so by default, and
    # deprecates asking; pandas 2's default ("high") can be one bit off
    exact: dict[str, Any] = {"float_precision": "round_trip"} if pd.__version__[:2] == "2." else {}
    try:
        frame = pd.read_csv(io.BytesIO(body), nrows=limits.max_rows + 1, encoding="utf-8", **exact)
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InvalidInputError(f"the body is not readable CSV: {exc}") from exc
    limits.check_rows(len(frame))
    return frame


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    for kind, name in names.items():
        if isinstance(value, kind):
            return name
    return "number" if isinstance(value, (int, float)) else type(value).__name__


# --- answers ----------------------------------------------------------------------------------


def answer_json(answer: Answer, *, channel: str) -> bytes:
    """`{version, channel, predictions[, timestamps]}`; timestamps when the rows were bars."""
    import pandas as pd

    body: dict[str, Any] = {
        "version": answer.version,
        "channel": channel,
        "predictions": _jsonable(answer.values),
    }
    if isinstance(answer.index, pd.DatetimeIndex):
        body["timestamps"] = [stamp.isoformat() for stamp in answer.index]
    return json.dumps(body, allow_nan=False, separators=(",", ":")).encode()


def _jsonable(values: Any) -> list[Any]:
    """Predictions as JSON values: NaN and infinities become null, numpy scalars plain ones."""
    import numpy as np

    array = np.asarray(values)
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        return _finite_or_none(array.tolist())
    listed: list[Any] = array.tolist()
    return listed


def _finite_or_none(values: Sequence[Any]) -> list[Any]:
    return [
        _finite_or_none(v) if isinstance(v, list) else (v if math.isfinite(v) else None)
        for v in values
    ]
