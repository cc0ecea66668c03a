"""The gate in front of every promote, and approvals: the same on every backend.

These use the `as_person` fixture (`modelreg.testing.fixtures`): two people, "alice" and "bob",
on the same storage, for the rule that nobody approves their own request.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ...errors import (
    ApprovalRequiredError,
    ForbiddenError,
    GateRefusedError,
    InvalidInputError,
    PromotionConflict,
    RequestNotFoundError,
)
from ..support import Clock, Open, OpenAs, make_result


def _versions(registry: object, clock: Clock, *metrics: dict[str, float]) -> list[str]:
    names = []
    for seed, values in enumerate(metrics):
        names.append(registry.register(make_result(seed, **values)))  # type: ignore[attr-defined]
        clock.tick(60)
    return names


GOOD = {"rmse": 0.010, "direction_accuracy": 0.56}
WORSE = {"rmse": 0.012, "direction_accuracy": 0.446}


def _approval_config(tmp_path: Path, gate: str = "") -> Path:
    config = tmp_path / "approval.yaml"
    config.write_text(
        f"registry:\n  channels:\n    production: {{require_approval: true}}\n{gate}",
        encoding="utf-8",
    )
    return config


def test_the_gate_reports_candidate_against_holder(backend_factory: Open, clock: Clock) -> None:
    registry = backend_factory()
    good, worse, partial = _versions(registry, clock, GOOD, WORSE, {"rmse": 0.009})
    first = registry.check_promotion(good)
    assert first.passed and first.holder is None and first.metrics == ()
    registry.promote_to_production(good)
    report = registry.check_promotion(worse)
    assert (report.candidate, report.holder, report.passed) == (worse, good, False)
    rows = {m.metric: m for m in report.metrics}
    assert rows["direction_accuracy"].gain == pytest.approx(0.446 - 0.56)
    assert rows["rmse"].gain == pytest.approx(0.010 - 0.012)  # lower is better: gain < 0
    assert not rows["rmse"].passed and not rows["rmse"].higher_is_better
    missing = registry.check_promotion(partial)
    assert missing.passed  # it beats production on rmse, the one metric it has
    assert missing.warnings == ("direction_accuracy: the candidate has no value",)
    assert registry.check_promotion(good).reasons == ("already production",)


def test_a_losing_promote_is_refused_unless_forced(backend_factory: Open, clock: Clock) -> None:
    registry = backend_factory()
    good, worse = _versions(registry, clock, GOOD, WORSE)
    registry.promote_checked(good, reason="first")
    with pytest.raises(GateRefusedError) as refused:
        registry.promote_checked(worse, reason="try")
    assert refused.value.context["gate"]["holder"] == good
    assert registry.channels() == {"production": good}
    done = registry.promote_checked(worse, reason="hotfix", force=True)
    assert done.move is not None and done.move.previous == good and not done.gate.passed
    last = registry.history()[-1]
    assert (last.version, last.reason) == (worse, "hotfix")
    assert last.details == {"gate": {"passed": False, "against": good, "forced": True}}


def test_every_promote_records_the_gate(backend_factory: Open, clock: Clock) -> None:
    registry = backend_factory()
    good, worse = _versions(registry, clock, GOOD, WORSE)
    assert registry.promote_to_production(good) is True
    assert registry.promote_to_production(worse) is True  # the original API promotes anyway
    gates = [e.details["gate"] for e in registry.history() if e.details]
    assert gates == [
        {"passed": True, "against": None, "forced": False},
        {"passed": False, "against": good, "forced": True},
    ]


def test_an_approval_moves_production_only_then(
    as_person: OpenAs, clock: Clock, tmp_path: Path
) -> None:
    config = _approval_config(tmp_path)
    alice, bob = as_person("alice", config_path=config), as_person("bob", config_path=config)
    good, better = _versions(alice, clock, WORSE, GOOD)
    filed = alice.promote_checked(good, reason="first model")
    assert filed.move is None and filed.request is not None
    assert alice.channels().get("production") is None
    pending = bob.promotion_requests()
    assert [(r.id, r.version, r.requested_by, r.status) for r in pending] == [
        (filed.request.id, good, "alice", "pending")
    ]
    with pytest.raises(ForbiddenError, match="another person"):
        alice.approve_request(filed.request.id, reason="looks fine to me")
    decided = bob.approve_request(filed.request.id, reason="checked the backtest")
    assert (decided.status, decided.decided_by) == ("approved", "bob")
    assert alice.channels() == {"production": good}
    assert bob.promotion_requests() == []
    second = alice.promote_checked(better, reason="beats it")
    assert second.request is not None and second.request.expected_current == good
    bob.reject_request(second.request.id, reason="wait for Monday")
    assert alice.channels() == {"production": good}
    kinds = [(e.action, e.user) for e in bob.events() if e.action != "register"]
    assert kinds == [
        ("request", "alice"),
        ("promote", "bob"),
        ("approve", "bob"),
        ("request", "alice"),
        ("reject", "bob"),
    ]
    with pytest.raises(PromotionConflict, match="rejected"):
        bob.approve_request(second.request.id, reason="changed my mind")


def test_approving_after_the_channel_moved_is_a_conflict(
    as_person: OpenAs, clock: Clock, tmp_path: Path
) -> None:
    config = _approval_config(tmp_path)
    alice, bob = as_person("alice", config_path=config), as_person("bob", config_path=config)
    a, b = _versions(alice, clock, GOOD, {"rmse": 0.001, "direction_accuracy": 0.9})
    first = alice.promote_checked(a, reason="a").request
    second = alice.promote_checked(b, reason="b").request
    assert first is not None and second is not None
    bob.approve_request(first.id, reason="ok")
    with pytest.raises(PromotionConflict, match="since request"):
        bob.approve_request(second.id, reason="ok too")
    assert alice.channels() == {"production": a}
    assert [r.id for r in alice.promotion_requests()] == [second.id]  # still to reject


def test_a_channel_needing_approval_is_never_moved_directly(
    as_person: OpenAs, clock: Clock, tmp_path: Path
) -> None:
    config = _approval_config(tmp_path)
    alice, bob = as_person("alice", config_path=config), as_person("bob", config_path=config)
    a, b = _versions(alice, clock, GOOD, WORSE)
    assert alice.promote_to_production(a) is False  # filed, not moved
    with pytest.raises(ApprovalRequiredError) as held:
        alice.move_pointer(a)
    assert held.value.context["request"]
    assert alice.channels().get("production") is None
    bob.approve_request(alice.promotion_requests()[0].id, reason="ok")
    with pytest.raises(ApprovalRequiredError, match="never did"):
        alice.rollback_to_version(b)
    assert alice.promote(b, "staging") is True  # other channels are not affected
    decision = alice.promote_if_better(b)
    assert decision.promoted is False and decision.request is None  # it loses anyway


def test_request_ids_are_checked(as_person: OpenAs, tmp_path: Path) -> None:
    bob = as_person("bob", config_path=_approval_config(tmp_path))
    with pytest.raises(RequestNotFoundError):
        bob.approve_request("0123456789abcdef", reason="forged")
    for forged in ("../../etc", "0123456789ABCDEF", "1" * 17, "", "1; DROP TABLE"):
        with pytest.raises(InvalidInputError):
            bob.reject_request(forged, reason="forged")
    with pytest.raises(InvalidInputError, match="reason"):
        bob.reject_request("0123456789abcdef", reason="")
