"""`indented` writes what `json.dumps(indent=2, default=str)` writes, to the byte, for any value."""

from __future__ import annotations

import json
import math
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pytest

from modelreg.cli._json_text import indented

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
