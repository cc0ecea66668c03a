"""The one gate behind every promote: its config, its report, and approvals as a fold."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import make_result
from modelreg import InvalidInputError, ModelRegistry
from modelreg.approvals import fold_requests, pending_requests, validate_reason
from modelreg.events import Event
from modelreg.gate import GatePolicy, assess, judge_challenger
from modelreg.metrics import MetricDirections, compare_metrics


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "model.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_gate_metrics_and_thresholds_come_from_config(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        "registry:\n  gate:\n    metrics: [direction_accuracy]\n"
        "    min_improvement: {direction_accuracy: 0.05}\n",
    )
    registry = ModelRegistry(tmp_path / "models", config_path=config)
    base = registry.register(make_result(rmse=0.01, direction_accuracy=0.56))
    slightly = registry.register(make_result(rmse=0.5, direction_accuracy=0.58))
    clearly = registry.register(make_result(rmse=0.5, direction_accuracy=0.62))
    registry.promote_to_production(base)
    report = registry.check_promotion(slightly)
    assert [m.metric for m in report.metrics] == ["direction_accuracy"]
    assert not report.passed and report.metrics[0].needed == 0.05
    assert registry.check_promotion(clearly).passed  # rmse is worse, but not gated
    assert registry.promote_if_better(slightly).promoted is False  # the same judgement
    assert registry.promote_if_better(clearly).promoted is True
    assert registry.promote_if_better(slightly, min_improvement=0.0).promoted is False  # 0.58<0.62


@pytest.mark.parametrize(
    "text",
    [
        "gate: {metrics: rmse}",
        "gate: {metrics: []}",
        "gate: {min_improvement: -1}",
        "gate: {min_improvement: {rmse: yes}}",
        "gate: {threshold: 1}",
        "channels: {production: {require_approval: yes please}}",
        "channels: {production: {approvers: [bob]}}",
        "channels: [production]",
    ],
)
def test_a_bad_gate_or_channel_setting_is_refused(tmp_path: Path, text: str) -> None:
    config = _config(tmp_path, "registry:\n  " + text + "\n")
    with pytest.raises(InvalidInputError, match=r"gate|channels"):
        ModelRegistry(tmp_path / "models", config_path=config)


def test_assess_is_promote_if_betters_judgement() -> None:
    directions = MetricDirections()
    candidate, holder = {"rmse": 0.02, "sharpe": 1.5}, {"rmse": 0.01, "sharpe": 1.0, "pf": 2.0}
    report = assess("b", candidate, "production", "a", holder, GatePolicy(directions=directions))
    comparison = compare_metrics("b", candidate, "a", holder, directions)
    reasons, wins = judge_challenger(comparison, ["rmse", "sharpe"], 0.0, directions)
    assert (list(report.reasons), report.passed) == (reasons, wins) == (reasons, False)
    assert report.warnings == ("pf: the candidate has no value",)
    assert report.to_dict()["metrics"][0] == {
        "metric": "rmse",
        "candidate": 0.02,
        "holder": 0.01,
        "gain": pytest.approx(-0.01),
        "needed": 0.0,
        "higher_is_better": False,
        "passed": False,
    }
    empty = assess("b", {}, "production", "a", holder, GatePolicy(directions=directions))
    assert not empty.passed and empty.reasons == ("no metrics to compare",)


def _event(action: str, rid: str, user: str, **fields: object) -> Event:
    return Event("2026-01-26T10:30:00Z", action, user=user, details={"request": rid}, **fields)  # type: ignore[arg-type]


def test_requests_fold_from_the_log_and_forged_entries_are_ignored() -> None:
    rid, other = "0123456789abcdef", "fedcba9876543210"
    log = [
        _event("request", rid, "alice", version="v1", channel="production", previous="v0"),
        _event("approve", other, "bob", version="v1", channel="production"),  # never filed
        _event("request", "not-an-id", "alice", version="v2", channel="production"),
        _event("request", other, "alice", version="v2", channel="production", previous="v0"),
        _event("promote", rid, "bob", version="v1", channel="production", previous="v0"),
        _event("reject", rid, "carol", version="v1", channel="production"),  # too late
    ]
    folded = fold_requests(log)
    assert set(folded) == {rid, other}
    assert (folded[rid].status, folded[rid].decided_by) == ("approved", "bob")
    assert [r.id for r in pending_requests(log)] == [other]


def test_reasons_are_bounded() -> None:
    assert validate_reason("  why  ", required=True) == "why"
    assert validate_reason(None, required=False) is None
    for bad in ("", "x" * 2001, "a\x00b", 5):
        with pytest.raises(InvalidInputError):
            validate_reason(bad, required=True)
