"""Hostile input gets a clear typed error, and nothing is written.

Every public method that takes a version or a channel is fed the same list of hostile names
(path traversal, absolute paths, empty, NUL, huge, wrong types); registrations are fed
metadata that cannot be stored. Each call must raise a `ModelRegistryError` subclass naming
the problem, and the whole folder tree (the registry and its surroundings) must be
byte-identical before and after.

Decision on NaN and infinite metrics: they are refused with `InvalidInputError` at
registration (and as list filter thresholds). NaN cannot be ordered, so "newest with accuracy
above x" and "who wins" would have no answer, and JSON has no spelling for either value.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from conftest import make_result
from modelreg import (
    InvalidInputError,
    InvalidVersionError,
    ModelRegistry,
    ModelRegistryError,
    ReservedKeyError,
)

from .conftest import snapshot

HOSTILE_VERSIONS: list[Any] = [
    "../x",
    "/etc",
    "/etc/passwd",
    "20260101_000000/../..",
    "20260101_000000/",
    "..",
    ".",
    "",
    " ",
    "\x00",
    "20260101_000000\x00",
    "20260101_000000\n",
    " 20260101_000000",
    "~",
    "C:\\Windows",
    "\\\\server\\share",
    "latest/../..",
    "20261301_000000",  # month 13
    "20260101_000000_0",
    "20260101_000000_01",
    "x" * 10_000,
    "20260101_000000_" + "9" * 5_000,
    12345,
    1.5,
    b"20260101_000000",
    ["20260101_000000"],
    {"version": "20260101_000000"},
]

HOSTILE_CHANNELS: list[Any] = [
    "../x",
    "/etc",
    "",
    "\x00",
    "production\x00",
    "production/../x",
    ".staging",
    ".",
    "..",
    "Production",
    "latest",
    "x" * 10_000,
    7,
    None,
    b"production",
]


def _id(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 30 else text[:27] + "..."


@pytest.fixture
def populated(registry: ModelRegistry) -> ModelRegistry:
    first = registry.register(make_result(1))
    registry.promote_to_production(first)
    registry.promote(first, channel="staging")
    registry.register(make_result(2))
    return registry


def _assert_refused(
    call: Callable[[], object], tree: Path, error: type[Exception] = InvalidVersionError
) -> ModelRegistryError:
    before = snapshot(tree)
    with pytest.raises(error) as caught:
        call()
    assert isinstance(caught.value, ModelRegistryError)
    assert snapshot(tree) == before, "a refused call wrote something"
    return caught.value


VERSION_CALLS: dict[str, Callable[[ModelRegistry, Any], object]] = {
    "get_version_info": lambda r, v: r.get_version_info(v),
    "load_version": lambda r, v: r.load_version(v),
    "promote_to_production": lambda r, v: r.promote_to_production(v),
    "promote": lambda r, v: r.promote(v, channel="staging"),
    "rollback_to_version": lambda r, v: r.rollback_to_version(v),
    "compare_versions-1": lambda r, v: r.compare_versions(v, "latest"),
    "compare_versions-2": lambda r, v: r.compare_versions("latest", v),
    "delete_version": lambda r, v: r.delete_version(v),
    "export_version": lambda r, v: r.export_version(v, Path("export")),
    "promote_if_better": lambda r, v: r.promote_if_better(v),
}

CHANNEL_CALLS: dict[str, Callable[[ModelRegistry, Any, str], object]] = {
    "promote": lambda r, c, v: r.promote(v, channel=c),
    "history": lambda r, c, v: r.history(c),
    "production_at": lambda r, c, v: r.production_at("2026-01-01", channel=c),
}


@pytest.mark.parametrize("method", list(VERSION_CALLS))
def test_hostile_version_names(populated: ModelRegistry, tmp_path: Path, method: str) -> None:
    """Each hostile name in turn (one registry per method keeps the matrix quick)."""
    for version in HOSTILE_VERSIONS:
        error = _assert_refused(lambda v=version: VERSION_CALLS[method](populated, v), tmp_path)
        assert "version" in str(error), _id(version)
        assert len(str(error)) < 500, f"the message quotes {_id(version)} in full"


@pytest.mark.parametrize("method", ["promote", "promote_to_production", "delete_version"])
def test_latest_is_not_a_name_to_write_to(
    populated: ModelRegistry, tmp_path: Path, method: str
) -> None:
    _assert_refused(lambda: VERSION_CALLS[method](populated, "latest"), tmp_path)


@pytest.mark.parametrize("method", list(CHANNEL_CALLS))
def test_hostile_channel_names(populated: ModelRegistry, tmp_path: Path, method: str) -> None:
    version = populated.list_versions()[0].version
    for channel in HOSTILE_CHANNELS:
        error = _assert_refused(
            lambda c=channel: CHANNEL_CALLS[method](populated, c, version), tmp_path
        )
        assert "channel" in str(error), _id(channel)


def test_rollback_to_empty_string_is_not_no_argument(
    populated: ModelRegistry, tmp_path: Path
) -> None:
    error = _assert_refused(lambda: populated.rollback_to_version(""), tmp_path)
    assert "invalid version name ''" in str(error)


class _Unstorable:
    pass


BAD_REGISTRATIONS: dict[str, tuple[Callable[[], dict[str, Any]], type[Exception]]] = {
    "extra-object": (lambda: {"metadata_extra": {"obj": _Unstorable()}}, InvalidInputError),
    "extra-set": (lambda: {"metadata_extra": {"tags": {"a", "b"}}}, InvalidInputError),
    "extra-datetime": (lambda: {"metadata_extra": {"at": datetime.now(UTC)}}, InvalidInputError),
    "extra-bytes": (lambda: {"metadata_extra": {"raw": b"\x00"}}, InvalidInputError),
    "extra-int-key": (lambda: {"metadata_extra": {1: "one"}}, InvalidInputError),
    "extra-nested": (
        lambda: {"metadata_extra": {"a": [1, {"b": _Unstorable()}]}},
        InvalidInputError,
    ),
    "extra-nan": (lambda: {"metadata_extra": {"score": math.nan}}, InvalidInputError),
    "extra-not-a-mapping": (lambda: {"metadata_extra": ["version"]}, InvalidInputError),
    "reserved-version": (lambda: {"metadata_extra": {"version": "x"}}, ReservedKeyError),
    "reserved-status": (
        lambda: {"metadata_extra": {"deployment_status": "production"}},
        ReservedKeyError,
    ),
    "reserved-files": (lambda: {"metadata_extra": {"files": {}}}, ReservedKeyError),
    "reserved-lineage": (lambda: {"metadata_extra": {"lineage": None}}, ReservedKeyError),
    "range-garbage": (lambda: {"data_range": {"start": "soon", "end": "later"}}, InvalidInputError),
    "range-reversed": (
        lambda: {"data_range": {"start": "2026-02-01", "end": "2026-01-01"}},
        InvalidInputError,
    ),
    "range-missing-end": (lambda: {"data_range": {"start": "2026-01-01"}}, InvalidInputError),
    "range-not-a-mapping": (lambda: {"data_range": "2026"}, InvalidInputError),
}


@pytest.mark.parametrize("case", list(BAD_REGISTRATIONS))
def test_unstorable_metadata(populated: ModelRegistry, tmp_path: Path, case: str) -> None:
    kwargs, error = BAD_REGISTRATIONS[case]
    _assert_refused(lambda: populated.register(make_result(3), **kwargs()), tmp_path, error)


def test_reserved_key_error_names_the_keys(populated: ModelRegistry, tmp_path: Path) -> None:
    error = _assert_refused(
        lambda: populated.register(make_result(3), metadata_extra={"metrics": 1, "ok": 2}),
        tmp_path,
        ReservedKeyError,
    )
    assert "metrics" in str(error) and error.keys == ["metrics"]


@pytest.mark.parametrize(
    "value", [math.nan, math.inf, -math.inf, "0.5", None, True, [0.5]], ids=_id
)
def test_metrics_must_be_finite_numbers(
    populated: ModelRegistry, tmp_path: Path, value: Any
) -> None:
    result = make_result(3)
    result.metrics = {"direction_accuracy": 0.5, "rmse": value}
    error = _assert_refused(lambda: populated.register(result), tmp_path, InvalidInputError)
    assert "rmse" in str(error)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("hyperparameters", {"fn": _Unstorable()}),
        ("hyperparameters", ["not", "a", "mapping"]),
        ("config", {"inf": math.inf}),
        ("features", "ema_20"),
        ("features", ["ok", 3]),
        ("metrics", [0.5]),
        ("training_date", "not a date"),
    ],
    ids=_id,
)
def test_unstorable_training_result_fields(
    populated: ModelRegistry, tmp_path: Path, field: str, value: Any
) -> None:
    result = make_result(3)
    setattr(result, field, value)
    error = _assert_refused(lambda: populated.register(result), tmp_path, InvalidInputError)
    assert field.split("_")[0] in str(error)


def test_not_a_training_result(populated: ModelRegistry, tmp_path: Path) -> None:
    _assert_refused(lambda: populated.register({"model": 1}), tmp_path, InvalidInputError)  # type: ignore[arg-type]


def test_unpicklable_model(populated: ModelRegistry, tmp_path: Path) -> None:
    result = make_result(3)
    result.model = lambda x: x  # pickle cannot store a lambda
    error = _assert_refused(lambda: populated.register(result), tmp_path, InvalidInputError)
    assert "model" in str(error)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"min_metrics": {"rmse": math.nan}},
        {"max_metrics": {"rmse": math.inf}},
        {"min_direction_accuracy": "high"},
        {"limit": "10"},
        {"status": "production\x00"},
        {"trained_after": "\x00"},
    ],
    ids=_id,
)
def test_hostile_list_filters(populated: ModelRegistry, tmp_path: Path, kwargs: Any) -> None:
    _assert_refused(lambda: populated.list_versions(**kwargs), tmp_path, InvalidInputError)
