"""The original eight methods and the facade around them, as DESIGN.md specifies them."""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from clock import Clock
from conftest import make_result
from modelreg import (
    InvalidInputError,
    InvalidVersionError,
    ModelRegistry,
    ModelVersion,
    PromotionConflict,
    TrainingResult,
)
from modelreg.backends.local import _HOST_TAG

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def _names(versions: list[ModelVersion]) -> list[str]:
    return [v.version for v in versions]


def _meta(registry: ModelRegistry, name: str) -> dict[str, Any]:
    return json.loads((Path(registry.path) / name / "metadata.json").read_text())


def _register_many(registry: ModelRegistry, clock: Clock, count: int) -> list[str]:
    names = []
    for seed in range(count):
        names.append(registry.register(make_result(seed)))
        clock.tick()
    return names


# --- signatures ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "params", "returns"),
    [
        ("register", ["training_result", "data_range", "metadata_extra"], "str"),
        ("promote_to_production", ["version"], "bool"),
        (
            "list_versions",
            ["min_direction_accuracy", "min_profit_factor", "limit"],
            "list[ModelVersion]",
        ),
        ("load_version", ["version"], "TrainingResult | None"),
        ("compare_versions", ["version1", "version2"], "dict[str, Any]"),
        ("cleanup_old_versions", [], "list[str]"),
        ("rollback_to_version", ["version"], "bool"),
        ("get_version_info", ["version"], "dict[str, Any] | None"),
    ],
)
def test_seed_method_signatures(method: str, params: list[str], returns: str) -> None:
    """The seed's positional parameters come first, in its order, with its return type."""
    signature = inspect.signature(getattr(ModelRegistry, method))
    positional = [
        p.name
        for p in signature.parameters.values()
        if p.kind is p.POSITIONAL_OR_KEYWORD and p.name != "self"
    ]
    assert positional[: len(params)] == params
    assert signature.return_annotation == returns


def test_model_version_fields() -> None:
    fields = list(ModelVersion.__dataclass_fields__)
    assert fields[:5] == ["version", "training_date", "metrics", "features", "path"]
    assert "deployment_status" in fields


# --- register -----------------------------------------------------------------------------


def test_register_writes_the_seed_layout(registry: ModelRegistry, clock: Clock) -> None:
    result = make_result(1)
    result.feature_importance = pd.DataFrame({"feature": ["a", "b"], "importance": [0.7, 0.3]})
    result.validation_predictions = pd.DataFrame({"y": [1.0, 2.0], "pred": [1.1, 1.9]})
    name = registry.register(result, data_range={"start": "2025-01-01", "end": "2026-01-26"})
    assert name == "20260126_103000"
    folder = Path(registry.path) / name
    assert sorted(p.name for p in folder.iterdir()) == [
        "feature_importance.csv",
        "metadata.json",
        "model.pkl",
        "validation_predictions.csv",
    ]
    assert not (folder / "test_predictions.csv").exists()


def test_register_metadata_fields(registry: ModelRegistry, clock: Clock) -> None:
    name = registry.register(
        make_result(3),
        data_range={"start": "2025-01-01", "end": "2026-01-26T12:00:00+02:00"},
        metadata_extra={"dataset": "eurusd", "notes": {"by": "ci"}},
    )
    meta = _meta(registry, name)
    for key in (
        "version",
        "training_date",
        "data_range",
        "metrics",
        "features",
        "hyperparameters",
        "config",
        "deployment_status",
        "promoted_at",
        "registered_at",
        "format_version",
        "files",
        "lineage",
    ):
        assert key in meta, key
    assert meta["version"] == name
    assert meta["deployment_status"] == "registered"
    assert meta["promoted_at"] is None
    assert meta["format_version"] == 1
    assert meta["registered_at"] == "2026-01-26T10:30:00Z"
    assert ISO_Z.match(meta["training_date"])
    assert meta["data_range"] == {"start": "2025-01-01T00:00:00Z", "end": "2026-01-26T10:00:00Z"}
    assert meta["metrics"] == make_result(3).metrics
    assert meta["features"] == ["ema_20", "rsi_14", "vol_20"]
    assert meta["hyperparameters"] == {"alpha": 1.0}
    assert meta["dataset"] == "eurusd" and meta["notes"] == {"by": "ci"}
    assert {"python", "host", "user", "git_commit", "libraries"} <= set(meta["lineage"])
    pkl = Path(registry.path) / name / "model.pkl"
    record = meta["files"]["model.pkl"]
    assert record == {
        "sha256": hashlib.sha256(pkl.read_bytes()).hexdigest(),
        "bytes": pkl.stat().st_size,
    }
    assert "metadata.json" not in meta["files"]


def test_name_clash_takes_the_next_counter(registry: ModelRegistry, clock: Clock) -> None:
    names = [registry.register(make_result(i)) for i in range(11)]
    assert names[:3] == ["20260126_103000", "20260126_103000_2", "20260126_103000_3"]
    assert names[10] == "20260126_103000_11"
    listed = _names(registry.list_versions())
    assert listed == list(reversed(names)), "newest first by (timestamp, counter), not string order"


def test_register_uses_utc_names(registry: ModelRegistry, clock: Clock) -> None:
    from datetime import datetime, timedelta, timezone

    clock.now = datetime(2026, 1, 26, 12, 30, tzinfo=timezone(timedelta(hours=2)))
    assert registry.register(make_result()) == "20260126_103000"


def test_list_orders_by_time_then_counter(registry: ModelRegistry, clock: Clock) -> None:
    first = registry.register(make_result(0))
    second = registry.register(make_result(1))
    clock.tick(1)
    third = registry.register(make_result(2))
    assert _names(registry.list_versions()) == [third, second, first]


def test_training_result_round_trip(tmp_path: Path, registry: ModelRegistry) -> None:
    result = make_result(2)
    result.test_predictions = pd.DataFrame({"y": [0.5, 1.5], "pred": [0.4, 1.6]})
    result.save(tmp_path / "new" / "folder")
    back = TrainingResult.load(tmp_path / "new" / "folder")
    X = np.ones((2, 3))
    assert np.allclose(back.model.predict(X), result.model.predict(X))
    assert back.metrics == result.metrics and back.features == result.features
    pd.testing.assert_frame_equal(back.test_predictions, result.test_predictions)
    name = registry.register(result)
    loaded = registry.load_version(name)
    assert loaded is not None
    assert np.allclose(loaded.model.predict(X), result.model.predict(X))
    pd.testing.assert_frame_equal(loaded.test_predictions, result.test_predictions)


# --- promote, statuses, pointers ----------------------------------------------------------


def test_promote_moves_the_relative_symlink_and_statuses(
    registry: ModelRegistry, clock: Clock
) -> None:
    a, b = _register_many(registry, clock, 2)
    assert registry.promote_to_production(a) is True
    link = Path(registry.path) / "production" / "latest"
    assert os.readlink(link) == f"../{a}"
    assert json.loads((link / "metadata.json").read_text())["version"] == a
    assert _meta(registry, a)["deployment_status"] == "production"
    assert ISO_Z.match(_meta(registry, a)["promoted_at"])
    assert registry.promote_to_production(b) is True
    assert os.readlink(link) == f"../{b}"
    assert _meta(registry, a)["deployment_status"] == "archived"
    assert _meta(registry, b)["deployment_status"] == "production"
    statuses = {v.version: v.deployment_status for v in registry.list_versions()}
    assert statuses == {a: "archived", b: "production"}
    assert registry.get_version_info("latest")["version"] == b


def test_promote_current_production_is_a_no_op(registry: ModelRegistry, clock: Clock) -> None:
    a = registry.register(make_result())
    assert registry.promote_to_production(a)
    events_before = registry.events()
    meta_before = _meta(registry, a)
    clock.tick(5)
    assert registry.promote_to_production(a) is True
    assert registry.events() == events_before
    assert _meta(registry, a) == meta_before


def test_promoting_production_again_mends_a_stale_status(
    registry: ModelRegistry, clock: Clock
) -> None:
    a = registry.register(make_result())
    registry.promote_to_production(a)
    promoted_at = _meta(registry, a)["promoted_at"]
    meta = _meta(registry, a)
    meta["deployment_status"] = "archived"  # as a crash mid-promotion can leave it
    (Path(registry.path) / a / "metadata.json").write_text(json.dumps(meta))
    clock.tick(5)
    assert registry.promote_to_production(a) is True
    assert _meta(registry, a)["deployment_status"] == "production"
    assert _meta(registry, a)["promoted_at"] == promoted_at


def test_not_found_returns_none_or_false_with_an_error_log(
    registry: ModelRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    """Each original method's not-found answer comes with one ERROR naming what is missing."""
    missing = "20200101_000000"
    with caplog.at_level(logging.ERROR, logger="modelreg"):
        assert registry.load_version(missing) is None
        assert registry.get_version_info(missing) is None
        assert registry.promote_to_production(missing) is False
        assert registry.rollback_to_version(missing) is False
        assert registry.compare_versions(missing, missing) == {}
        assert registry.load_version("latest") is None
        assert registry.compare_versions("latest", "latest") == {}
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 9, errors  # compare names each missing side
    assert all(missing in message for message in errors[:6])
    assert "no production version" in errors[6] and "no production version" in errors[8]
    assert not (Path(registry.path) / "production").exists()


# --- rollback -----------------------------------------------------------------------------


def test_rollback_without_argument_goes_to_previous_production(
    registry: ModelRegistry, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    a, b, c = _register_many(registry, clock, 3)
    for name in (a, b, c):
        assert registry.promote_to_production(name)
        clock.tick()
    with caplog.at_level(logging.WARNING, logger="modelreg"):
        assert registry.rollback_to_version() is True
    assert registry.channels()["production"] == b
    assert any(r.levelno == logging.WARNING and b in r.getMessage() for r in caplog.records)
    clock.tick()
    assert registry.rollback_to_version() is True
    assert registry.channels()["production"] == a
    assert _meta(registry, c)["deployment_status"] == "archived"
    assert _meta(registry, a)["deployment_status"] == "production"


def test_rollback_with_argument(registry: ModelRegistry, clock: Clock) -> None:
    a, b = _register_many(registry, clock, 2)
    registry.promote_to_production(b)
    assert registry.rollback_to_version(a) is True
    assert registry.channels()["production"] == a
    assert [e.action for e in registry.history()] == ["promote", "rollback"]
    assert registry.history()[-1].previous == b


def test_rollback_with_nothing_before_is_false(registry: ModelRegistry) -> None:
    assert registry.rollback_to_version() is False
    a = registry.register(make_result())
    registry.promote_to_production(a)
    assert registry.rollback_to_version() is False
    assert registry.channels()["production"] == a


def test_rollback_to_empty_string_is_an_invalid_name(registry: ModelRegistry) -> None:
    with pytest.raises(InvalidVersionError):
        registry.rollback_to_version("")


# --- channels, history, conditional promotion ---------------------------------------------


def test_channels_beside_production(registry: ModelRegistry, clock: Clock) -> None:
    a, b = _register_many(registry, clock, 2)
    assert registry.channels() == {}
    assert registry.promote(a, channel="staging")
    assert registry.promote(b)
    assert registry.channels() == {"production": b, "staging": a}
    assert os.readlink(Path(registry.path) / "staging" / "latest") == f"../{a}"
    assert _meta(registry, a)["deployment_status"] == "registered", "only production sets status"
    assert registry.get_version_info(a)["channels"] == ["staging"]
    assert [e.version for e in registry.history("staging")] == [a]
    with pytest.raises(InvalidVersionError):
        registry.promote(a, channel="../prod")


def test_expected_current_guards_promotion(registry: ModelRegistry, clock: Clock) -> None:
    a, b, c = _register_many(registry, clock, 3)
    assert registry.promote(a, expected_current=None)
    with pytest.raises(PromotionConflict) as caught:
        registry.promote(b, expected_current=None)
    assert caught.value.current == a
    assert registry.promote(b, expected_current=a)
    with pytest.raises(PromotionConflict):
        registry.promote(c, expected_current=a)
    assert registry.channels()["production"] == b


def test_production_at_answers_from_the_log(registry: ModelRegistry, clock: Clock) -> None:
    a, b = _register_many(registry, clock, 2)
    before = clock.tick(10)
    clock.tick(10)
    registry.promote_to_production(a)
    during_a = clock.tick(10)
    clock.tick(10)
    registry.promote_to_production(b)
    after = clock.tick(10)
    assert registry.production_at(before) is None
    assert registry.production_at(during_a) == a
    assert registry.production_at(after.isoformat()) == b
    with pytest.raises(InvalidInputError):
        registry.production_at("yesterday-ish")


def test_events_record_every_write_in_order(registry: ModelRegistry, clock: Clock) -> None:
    a, b = _register_many(registry, clock, 2)
    registry.promote_to_production(a)
    registry.promote_to_production(b)
    registry.rollback_to_version()
    actions = [(e.action, e.version) for e in registry.events()]
    assert actions[:5] == [
        ("register", a),
        ("register", b),
        ("promote", a),
        ("promote", b),
        ("rollback", a),
    ]
    lines = (Path(registry.path) / "events.jsonl").read_text().splitlines()
    assert len(lines) == len(actions)
    assert all(ISO_Z.match(json.loads(line)["timestamp"]) for line in lines)


# --- list filters -------------------------------------------------------------------------


@pytest.fixture
def populated(registry: ModelRegistry, clock: Clock) -> list[str]:
    specs = [
        {"direction_accuracy": 0.50, "profit_factor": 1.0, "rmse": 0.30},
        {"direction_accuracy": 0.55, "profit_factor": 1.4, "rmse": 0.20},
        {"direction_accuracy": 0.60, "profit_factor": 1.2, "rmse": 0.10},
    ]
    names = []
    for i, metrics in enumerate(specs):
        result = make_result(i, **metrics)
        result.training_date = clock.now.replace(day=10 + i)
        names.append(registry.register(result))
        clock.tick()
    return names


def test_list_filters(registry: ModelRegistry, populated: list[str]) -> None:
    a, b, c = populated
    assert _names(registry.list_versions()) == [c, b, a]
    assert _names(registry.list_versions(min_direction_accuracy=0.55)) == [c, b]
    assert _names(registry.list_versions(min_profit_factor=1.3)) == [b]
    assert _names(registry.list_versions(0.55, 1.3)) == [b]
    assert _names(registry.list_versions(min_metrics={"rmse": 0.2})) == [b, a]
    assert _names(registry.list_versions(max_metrics={"rmse": 0.2})) == [c, b]
    assert _names(registry.list_versions(min_metrics={"absent": 0})) == []
    assert _names(registry.list_versions(limit=2)) == [c, b]
    assert registry.list_versions(limit=0) == []
    assert _names(registry.list_versions(trained_after="2026-01-11")) == [c, b]
    assert _names(registry.list_versions(trained_before="2026-01-11T12:00:00Z")) == [b, a]
    registry.promote_to_production(a)
    registry.promote_to_production(b)
    assert _names(registry.list_versions(status="production")) == [b]
    assert _names(registry.list_versions(status="archived")) == [a]
    assert _names(registry.list_versions(status="registered")) == [c]
    info = registry.list_versions()[0]
    assert info.path == Path(registry.path) / c
    assert info.metrics["rmse"] == 0.10


@pytest.mark.parametrize(
    "kwargs",
    [
        {"limit": -1},
        {"limit": 1.5},
        {"status": "live"},
        {"trained_after": "soon"},
        {"min_metrics": {"rmse": float("nan")}},
        {"max_metrics": {"rmse": "low"}},
    ],
)
def test_list_rejects_bad_filters(registry: ModelRegistry, kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidInputError):
        registry.list_versions(**kwargs)


# --- compare ------------------------------------------------------------------------------


def test_compare_by_direction(registry: ModelRegistry, clock: Clock) -> None:
    a = registry.register(make_result(0, direction_accuracy=0.5, rmse=0.2, sharpe=1.0, only_a=1))
    clock.tick()
    b = registry.register(make_result(1, direction_accuracy=0.6, rmse=0.3, sharpe=1.0, only_b=2))
    registry.promote_to_production(b)
    result = registry.compare_versions(a, "latest")
    assert result["direction_accuracy"]["winner"] == b
    assert result["rmse"]["winner"] == a, "rmse is better lower"
    assert result["sharpe"]["winner"] is None, "a tie has no winner"
    assert result["only_a"]["winner"] is None and result["only_a"]["value2"] is None
    assert result["only_b"]["winner"] is None and result["only_b"]["value1"] is None
    assert result["direction_accuracy"]["version2"] == b, "latest is resolved to its real name"
    assert result["rmse"]["difference"] == pytest.approx(-0.1)
    assert result["direction_accuracy"][a] == 0.5 and result["direction_accuracy"][b] == 0.6


def test_compare_follows_configured_directions(tmp_path: Path, clock: Clock) -> None:
    registry = ModelRegistry(tmp_path / "m", metric_directions={"rmse": "higher"})
    a = registry.register(make_result(0, rmse=0.2))
    b = registry.register(make_result(1, rmse=0.3))
    assert registry.compare_versions(a, b)["rmse"]["winner"] == b


# --- cleanup ------------------------------------------------------------------------------


def test_cleanup_keeps_newest_and_pointed_to(registry: ModelRegistry, clock: Clock) -> None:
    names = _register_many(registry, clock, 8)
    registry.promote_to_production(names[0])
    registry.promote(names[1], channel="staging")
    assert registry.cleanup_old_versions(keep_versions=3, dry_run=True) == names[2:5][::-1]
    assert len(registry.list_versions()) == 8, "dry_run deletes nothing"
    deleted = registry.cleanup_old_versions(keep_versions=3)
    assert deleted == names[2:5][::-1]
    assert _names(registry.list_versions()) == [*names[5:][::-1], names[1], names[0]]
    assert not any((Path(registry.path) / n).exists() for n in deleted)
    assert [e.version for e in registry.events() if e.action == "delete"] == deleted
    trash = Path(registry.path) / ".trash"
    assert not trash.exists() or list(trash.iterdir()) == []


def test_cleanup_default_keeps_five(registry: ModelRegistry, clock: Clock) -> None:
    names = _register_many(registry, clock, 7)
    assert registry.cleanup_old_versions() == [names[1], names[0]]


def test_cleanup_deletes_through_the_trash(
    registry: ModelRegistry, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The version disappears by one rename into .trash/ before anything is removed."""
    from modelreg import _fsutil

    names = _register_many(registry, clock, 2)
    renames: list[tuple[str, str]] = []
    real_rename = _fsutil.rename

    def spy(source: Path, dest: Path) -> None:
        renames.append((source.name, dest.parent.name))
        real_rename(source, dest)

    monkeypatch.setattr(_fsutil, "rename", spy)
    assert registry.cleanup_old_versions(keep_versions=1) == [names[0]]
    assert renames == [(names[0], ".trash")]


def test_cleanup_removes_stale_staging(registry: ModelRegistry, clock: Clock) -> None:
    registry.register(make_result())
    stale = Path(registry.path) / ".staging" / f"v.{_HOST_TAG}.999999999.deadbeef"
    stale.mkdir(parents=True)
    (stale / "model.pkl").write_bytes(b"half")
    registry.cleanup_old_versions()
    assert not stale.exists()


def test_auto_cleanup_after_register(tmp_path: Path, clock: Clock) -> None:
    registry = ModelRegistry(tmp_path / "m", keep_versions=2, auto_cleanup=True)
    names = _register_many(registry, clock, 4)
    assert _names(registry.list_versions()) == names[2:][::-1]


def test_no_auto_cleanup_by_default(registry: ModelRegistry, clock: Clock) -> None:
    _register_many(registry, clock, 7)
    assert len(registry.list_versions()) == 7


# --- verify -------------------------------------------------------------------------------


def _kinds(report: Any) -> set[str]:
    return {p["kind"] for p in report.problems}


def test_verify_clean_registry(registry: ModelRegistry, clock: Clock) -> None:
    a, _b = _register_many(registry, clock, 2)
    registry.promote_to_production(a)
    report = registry.verify()
    assert report.ok and report.checked == 2 and report.problems == []


def test_verify_finds_and_repairs_stale_staging(registry: ModelRegistry) -> None:
    registry.register(make_result())
    stale = Path(registry.path) / ".staging" / f"v.{_HOST_TAG}.999999999.cafe0001"
    stale.mkdir()
    report = registry.verify()
    assert "staging" in _kinds(report) and not report.ok
    assert stale.exists(), "verify without repair changes nothing"
    assert registry.verify(repair=True).ok
    assert not stale.exists()
    assert registry.verify().problems == []


def test_verify_keeps_a_live_writers_staging(registry: ModelRegistry) -> None:
    registry.register(make_result())
    live = Path(registry.path) / ".staging" / f"v.{_HOST_TAG}.{os.getpid()}.cafe0002"
    live.mkdir()
    registry.verify(repair=True)
    assert live.exists()


def test_staging_of_another_host_waits_a_day(registry: ModelRegistry) -> None:
    """A pid means nothing on another machine sharing the folder: only age makes it stale."""
    registry.register(make_result())
    area = Path(registry.path) / ".staging"
    other_host = area / "v.0000beef.999999999.cafe0003"
    other_host.mkdir()
    registry.verify(repair=True)
    registry.cleanup_old_versions()
    assert other_host.exists()
    day_ago = time.time() - 25 * 3600
    os.utime(other_host, (day_ago, day_ago))
    registry.verify(repair=True)
    assert not other_host.exists()


def test_verify_finds_a_changed_artifact(registry: ModelRegistry, clock: Clock) -> None:
    a, _b = _register_many(registry, clock, 2)
    pkl = Path(registry.path) / a / "model.pkl"
    pkl.write_bytes(pkl.read_bytes()[:-1] + b"X")
    report = registry.verify(repair=True)
    assert [(p["kind"], p["where"]) for p in report.problems] == [("integrity", a)]
    assert pkl.exists(), "corrupt versions are reported, never deleted"
    assert not report.ok


def test_verify_repairs_a_broken_pointer(registry: ModelRegistry, clock: Clock) -> None:
    a, b = _register_many(registry, clock, 2)
    registry.promote_to_production(a)
    registry.promote_to_production(b)
    shutil.rmtree(Path(registry.path) / b)  # deleted behind the registry's back
    report = registry.verify()
    assert "broken-pointer" in _kinds(report)
    registry.verify(repair=True)
    assert registry.channels()["production"] == a
    assert registry.load_version("latest") is not None
    assert registry.verify().problems == []


def test_verify_repairs_stale_status(registry: ModelRegistry, clock: Clock) -> None:
    a, b = _register_many(registry, clock, 2)
    registry.promote_to_production(a)
    meta = _meta(registry, b)
    meta["deployment_status"] = "production"  # as a crash between two writes leaves it
    (Path(registry.path) / b / "metadata.json").write_text(json.dumps(meta))
    assert registry.get_version_info(b)["deployment_status"] == "archived", "the pointer wins"
    report = registry.verify(repair=True)
    assert ("stale-status", b) in [(p["kind"], p["where"]) for p in report.problems]
    assert _meta(registry, b)["deployment_status"] == "archived"
    assert registry.verify().problems == []


# --- promote_if_better --------------------------------------------------------------------


def test_promote_if_better(registry: ModelRegistry, clock: Clock) -> None:
    first = registry.register(make_result(0, direction_accuracy=0.55, rmse=0.2))
    decision = registry.promote_if_better(first)
    assert decision.promoted and decision.production is None
    clock.tick()
    worse = registry.register(make_result(1, direction_accuracy=0.50, rmse=0.3))
    decision = registry.promote_if_better(worse)
    assert not decision.promoted and registry.channels()["production"] == first
    clock.tick()
    better = registry.register(make_result(2, direction_accuracy=0.60, rmse=0.1))
    decision = registry.promote_if_better(better, min_improvement={"direction_accuracy": 0.1})
    assert not decision.promoted, "needs +0.1 accuracy"
    decision = registry.promote_if_better(better)
    assert decision.promoted and decision.production == first
    assert registry.channels()["production"] == better
    assert registry.promote_if_better(better).promoted is False


def test_log_levels(
    registry: ModelRegistry, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """INFO for register, promote and cleanup; WARNING for rollback; under `modelreg`."""
    with caplog.at_level(logging.DEBUG, logger="modelreg"):
        a, b = _register_many(registry, clock, 2)
        registry.promote_to_production(a)
        registry.promote_to_production(b)
        registry.rollback_to_version()
        registry.cleanup_old_versions(keep_versions=1, dry_run=False)
        _register_many(registry, clock, 2)
        registry.cleanup_old_versions(keep_versions=1)
    records = [(r.name, r.levelname, r.getMessage()) for r in caplog.records]
    assert all(name == "modelreg" for name, _, _ in records)

    def level_of(fragment: str) -> set[str]:
        return {level for _, level, message in records if fragment in message}

    assert level_of("registered version") == {"INFO"}
    assert level_of("promote: production now points to") == {"INFO"}
    assert level_of("rolling production back") == {"WARNING"}
    assert level_of("cleanup deleted") == {"INFO"}
