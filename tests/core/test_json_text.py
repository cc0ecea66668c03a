"""`indented` writes what `json.dumps(indent=2, default=str)` writes, to the byte, for any
value; with `strict`, what `json.dumps(indent=2, allow_nan=False)` writes (metadata.json), and
it refuses what that refuses, with the same exception."""

from __future__ import annotations

import json
import math
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pytest

from modelreg._json_text import indented

_VALUES: list[Any] = [
    {},
    [],
    "plain",
    None,
    {"version": "20260126_103000", "metrics": {"auc": 0.5, "n": 3, "ok": True}, "tags": {}},
    {"features": ["x", "y"], "data_range": None, "channels": [], "path": Path("models/a")},
    {"hyperparameters": {"layers": [64, 32], "opt": {"lr": 0.1, "betas": (0.9, 0.99)}}},
    {"odd keys": {7: "a", 2.5: "b", None: "c", False: "d"}, "nan": math.nan, "inf": -math.inf},
    {"unicode": 'é ☃ \n\t"quoted"', "control": "\x00\x1f", "emoji": "🙂"},
    {"ordered": OrderedDict(b=1, a=2), "tuple": (1, "two", None), "empty": {"x": {}, "y": []}},
    {"deep": {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": [1]}}}}}}}}},
    {1: "a non-string key at the top"},
    {"subclasses": [OrderedDict(a=1)], "paths": [Path("x")], "nested": {"k": OrderedDict(b=[])}},
    {"big": 10**30, "small": -0.0, "float": 1e-300, "list of dicts": [{"a": 1}, {}]},
]


@pytest.mark.parametrize("value", _VALUES, ids=range(len(_VALUES)))
@pytest.mark.parametrize("depth", [0, 1, 3])
def test_the_text_is_the_standard_librarys(value: Any, depth: int) -> None:
    expected = json.dumps(value, indent=2, default=str).replace("\n", "\n" + "  " * depth)
    assert indented(value, depth) == expected


def _strict_expected(value: Any) -> str | type[Exception]:
    try:
        return json.dumps(value, indent=2, allow_nan=False)
    except (TypeError, ValueError) as exc:
        return type(exc)


@pytest.mark.parametrize("value", _VALUES, ids=range(len(_VALUES)))
def test_the_strict_text_is_the_standard_librarys_or_the_same_refusal(value: Any) -> None:
    expected = _strict_expected(value)
    if isinstance(expected, str):
        assert indented(value, strict=True) == expected
    else:
        with pytest.raises(expected):
            indented(value, strict=True)


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ({"metrics": {"auc": math.nan}}, ValueError),  # a flat container, the C encoder
        ({"auc": math.inf}, ValueError),
        ({"deep": {"a": [1, -math.inf]}}, ValueError),
        ({"path": Path("x")}, TypeError),
        ({"paths": [Path("x")]}, TypeError),
        ({"set": {1, 2}}, TypeError),
    ],
)
def test_the_strict_text_refuses_what_metadata_json_cannot_hold(
    value: Any, error: type[Exception]
) -> None:
    with pytest.raises(error):
        json.dumps(value, indent=2, allow_nan=False)
    with pytest.raises(error):
        indented(value, strict=True)


def test_metadata_json_is_written_as_before() -> None:
    """A version's whole metadata, as `register` builds it: the bytes of round four's encoder."""
    from datetime import UTC, datetime

    from modelreg.metadata import build_metadata, encode_metadata, version_fields

    fields = version_fields(
        metrics={"rmse": 0.25, "direction_accuracy": 0.61, "n": 3},
        features=["a", "b"],
        training_date=datetime(2026, 1, 2, tzinfo=UTC),
        data_range={"start": "2025-01-01", "end": "2025-12-31"},
        hyperparameters={"layers": [64, 32], "opt": {"lr": 0.1}},
    )
    meta = build_metadata(
        fields,
        version="20260126_103000",
        registered_at=datetime(2026, 1, 26, 10, 30, tzinfo=UTC),
        files={"model.pkl": {"sha256": "ab" * 32, "bytes": 49152}},
        artifacts={"model": {"flavor": "pickle", "files": ["model.pkl"]}},
    )
    meta["deployment_status"] = "production"
    expected = json.dumps(meta, indent=2, sort_keys=False, allow_nan=False) + "\n"
    assert encode_metadata(meta) == expected.encode()
