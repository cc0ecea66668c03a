"""The champion/challenger gate: does a challenger beat production by enough?

`judge_metrics` is the one judgement, pure over a `compare_metrics` result, so the rule is
tested without storage. `run_gate` acts on it with a conditional promotion
(`ModelRegistry.promote_if_better`); `assess` gives the same verdict as a `GateReport` for every
other promote (the store judges under its lock, the REST answers, the UI dialog, the CLI).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import ApprovalRequiredError, VersionNotFoundError
from .metrics import MetricDirections, compare_metrics, validate_metrics

if TYPE_CHECKING:
    from .registry import ModelRegistry

__all__ = [
    "GatePolicy",
    "GateReport",
    "MetricVerdict",
    "PromotionDecision",
    "assess",
    "judge_challenger",
    "judge_metrics",
    "run_gate",
]

log = logging.getLogger("modelreg")


@dataclass(frozen=True)
class PromotionDecision:
    """Why `promote_if_better` did or did not promote."""

    promoted: bool
    version: str
    production: str | None
    reasons: list[str]
    comparison: dict[str, dict[str, Any]]
    #: the approval request filed instead, where production needs a second person's approval
    request: str | None = None


@dataclass(frozen=True)
class GatePolicy:
    """What a candidate is judged on: `registry.gate` in config, and the metric directions.

    `metrics` None: every metric the candidate has. `min_improvement`: one number, or one per
    metric, in the metric's own units and direction.
    """

    metrics: tuple[str, ...] | None = None
    min_improvement: float | Mapping[str, float] = 0.0
    directions: MetricDirections = field(default_factory=MetricDirections)

    @classmethod
    def from_settings(cls, gate: Mapping[str, Any], directions: MetricDirections) -> GatePolicy:
        metrics = gate.get("metrics")
        return cls(
            tuple(metrics) if metrics else None, gate.get("min_improvement", 0.0), directions
        )

    def needed(self, metric: str) -> float:
        if isinstance(self.min_improvement, Mapping):
            return float(self.min_improvement.get(metric, 0.0))
        return float(self.min_improvement)


@dataclass(frozen=True)
class MetricVerdict:
    """One gated metric: both values, the gain (positive: the candidate is better), the verdict."""

    metric: str
    candidate: float | None
    holder: float | None
    gain: float | None
    needed: float
    higher_is_better: bool
    passed: bool

    @property
    def reason(self) -> str:
        if self.candidate is None or self.holder is None:
            return f"{self.metric}: missing on one side"
        return (
            f"{self.metric}: {self.candidate:.6g} vs {self.holder:.6g} "
            f"(gain {self.gain:+.6g}, needs > {self.needed:g}) "
            f"{'better' if self.passed else 'not better'}"
        )


def judge_metrics(
    comparison: Mapping[str, Mapping[str, Any]], checked: Sequence[str], policy: GatePolicy
) -> list[MetricVerdict]:
    """The one judgement: per metric in `checked`, does the candidate (side 1) beat side 2?

    It must improve by more than the metric's `min_improvement` (or by exactly it, when that
    is above 0); a missing value never wins.
    """
    verdicts = []
    for metric in checked:
        row = comparison.get(metric) or {}
        new, old = row.get("value1"), row.get("value2")
        needed = policy.needed(metric)
        gain = (
            None if new is None or old is None else policy.directions.improvement(metric, new, old)
        )
        passed = gain is not None and (gain > needed or (needed > 0 and gain == needed))
        verdicts.append(
            MetricVerdict(
                metric, new, old, gain, needed, policy.directions.higher_is_better(metric), passed
            )
        )
    return verdicts


def judge_challenger(
    comparison: Mapping[str, Mapping[str, Any]],
    checked: Sequence[str],
    min_improvement: float | Mapping[str, float],
    directions: MetricDirections,
) -> tuple[list[str], bool]:
    """One reason per metric in `checked`, and whether the challenger (side 1) wins them all."""
    if not checked:
        return ["no metrics to compare"], False
    verdicts = judge_metrics(comparison, checked, GatePolicy(None, min_improvement, directions))
    return [v.reason for v in verdicts], all(v.passed for v in verdicts)


@dataclass(frozen=True)
class GateReport:
    """The gate's judgement of `candidate` against what `channel` holds now (`holder`).

    `passed` is True when there is nothing to beat (an empty channel, or the candidate holds
    it already). `warnings` name metrics missing on one side. In every row, `gain` is how much
    the candidate beats the holder in the metric's own direction: positive is better.
    """

    candidate: str
    channel: str
    holder: str | None
    passed: bool
    metrics: tuple[MetricVerdict, ...] = ()
    reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The wire and JSON form (REST answers, `--json`, the UI)."""
        return {
            "candidate": self.candidate,
            "channel": self.channel,
            "holder": self.holder,
            "passed": self.passed,
            "metrics": [asdict(m) for m in self.metrics],
            "reasons": list(self.reasons),
            "warnings": list(self.warnings),
            "sign": "gain = how much the candidate beats the holder; positive is better",
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GateReport:
        return cls(
            str(data["candidate"]),
            str(data["channel"]),
            data.get("holder"),
            bool(data["passed"]),
            tuple(MetricVerdict(**m) for m in data.get("metrics") or ()),
            tuple(data.get("reasons") or ()),
            tuple(data.get("warnings") or ()),
        )

    def summary(self, *, forced: bool) -> dict[str, Any]:
        """What the audit event keeps of it: the verdict, against whom, and whether overridden."""
        return {"passed": self.passed, "against": self.holder, "forced": forced and not self.passed}


def assess(
    candidate: str,
    candidate_metrics: Mapping[str, float],
    channel: str,
    holder: str | None,
    holder_metrics: Mapping[str, float],
    policy: GatePolicy,
) -> GateReport:
    """Judge `candidate` against `holder` (what `channel` holds), as `promote_if_better` does."""
    if holder is None:
        return GateReport(candidate, channel, None, True, reasons=(f"no {channel} version yet",))
    if holder == candidate:
        return GateReport(candidate, channel, holder, True, reasons=(f"already {channel}",))
    comparison = compare_metrics(
        candidate, candidate_metrics, holder, holder_metrics, policy.directions
    )
    checked = list(policy.metrics) if policy.metrics is not None else sorted(candidate_metrics)
    verdicts = judge_metrics(comparison, checked, policy)
    warnings = [
        f"{name}: the {'candidate' if row['value1'] is None else 'holder ' + holder} has no value"
        for name, row in comparison.items()
        if (row["value1"] is None or row["value2"] is None)
        and (name in checked or row["value2"] is not None)
    ]
    if not checked:
        return GateReport(
            candidate, channel, holder, False, (), ("no metrics to compare",), tuple(warnings)
        )
    return GateReport(
        candidate,
        channel,
        holder,
        all(v.passed for v in verdicts),
        tuple(verdicts),
        tuple(v.reason for v in verdicts),
        tuple(warnings),
    )


def run_gate(
    registry: ModelRegistry,
    name: str,
    *,
    policy: GatePolicy,
    reason: str | None,
    production_metrics: Mapping[str, float] | None,
) -> PromotionDecision:
    """Compare `name` with production and promote it, conditionally, if it wins."""
    production = registry.current_version()
    if production is None:
        first, request = _promote(registry, name, None, reason or "first model")
        return PromotionDecision(first, name, None, ["no production version yet"], {}, request)
    directions = policy.directions
    comparison = registry.compare_versions(name, production, missing_ok=False)
    if production_metrics is not None:
        challenger = {k: r["value1"] for k, r in comparison.items() if r["value1"] is not None}
        rescored = validate_metrics(production_metrics, where="production_metrics")
        comparison = compare_metrics(name, challenger, production, rescored, directions)
    if production == name:
        return PromotionDecision(False, name, production, ["already production"], comparison)
    checked = (
        list(policy.metrics)
        if policy.metrics is not None
        else sorted(k for k, row in comparison.items() if row["value1"] is not None)
    )
    reasons, wins = judge_challenger(comparison, checked, policy.min_improvement, directions)
    promoted, request = False, None
    if wins:
        why = reason or "; ".join(reasons)
        promoted, request = _promote(registry, name, production, why)
    return PromotionDecision(promoted, name, production, reasons, comparison, request)


def _promote(
    registry: ModelRegistry, name: str, expected: str | None, reason: str
) -> tuple[bool, str | None]:
    """Promote conditionally: (True, None), or (False, the request id) where production needs
    approval, or (False, None) with an ERROR log when the version is gone."""
    try:
        registry.move_pointer(name, expected_current=expected, reason=reason)
    except ApprovalRequiredError as exc:
        log.warning("%s", exc)
        return False, exc.context.get("request")
    except VersionNotFoundError as exc:
        log.error("%s", exc)
        return False, None
    return True, None
