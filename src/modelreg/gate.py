"""The champion/challenger gate: does a challenger beat production by enough?

`judge_challenger` is a pure judgement over a `compare_metrics` result, so the rule is tested
without storage; `run_gate` supplies the comparison through the facade and acts on the
verdict with a conditional promotion (`ModelRegistry.promote_if_better`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .metrics import MetricDirections, compare_metrics, validate_metrics

if TYPE_CHECKING:
    from .registry import ModelRegistry

__all__ = ["PromotionDecision", "judge_challenger", "run_gate"]


@dataclass(frozen=True)
class PromotionDecision:
    """Why `promote_if_better` did or did not promote."""

    promoted: bool
    version: str
    production: str | None
    reasons: list[str]
    comparison: dict[str, dict[str, Any]]


def judge_challenger(
    comparison: Mapping[str, Mapping[str, Any]],
    checked: Sequence[str],
    min_improvement: float | Mapping[str, float],
    directions: MetricDirections,
) -> tuple[list[str], bool]:
    """One reason per metric in `checked`, and whether the challenger (side 1) wins them all.

    It must improve on production (side 2) by more than `min_improvement` (a number, or one
    per metric), in the metric's own units and direction; a missing value never wins.
    """
    if not checked:
        return ["no metrics to compare"], False
    reasons: list[str] = []
    wins = True
    for metric in checked:
        row = comparison.get(metric)
        if row is None or row["value1"] is None or row["value2"] is None:
            reasons.append(f"{metric}: missing on one side")
            wins = False
            continue
        needed = (
            min_improvement.get(metric, 0.0)
            if isinstance(min_improvement, Mapping)
            else min_improvement
        )
        gain = directions.improvement(metric, row["value1"], row["value2"])
        ok = gain > needed or (needed > 0 and gain == needed)
        wins = wins and ok
        reasons.append(
            f"{metric}: {row['value1']:.6g} vs {row['value2']:.6g} "
            f"(gain {gain:+.6g}, needs > {needed:g}) "
            f"{'better' if ok else 'not better'}"
        )
    return reasons, wins


def run_gate(
    registry: ModelRegistry,
    name: str,
    *,
    metrics: Sequence[str] | None,
    min_improvement: float | Mapping[str, float],
    reason: str | None,
    production_metrics: Mapping[str, float] | None,
) -> PromotionDecision:
    """Compare `name` with production and promote it, conditionally, if it wins."""
    production = registry.current_version()
    if production is None:
        first = registry.promote(name, expected_current=None, reason=reason or "first model")
        return PromotionDecision(first, name, None, ["no production version yet"], {})
    directions = registry.directions
    comparison = registry.compare_versions(name, production, missing_ok=False)
    if production_metrics is not None:
        challenger = {k: r["value1"] for k, r in comparison.items() if r["value1"] is not None}
        rescored = validate_metrics(production_metrics, where="production_metrics")
        comparison = compare_metrics(name, challenger, production, rescored, directions)
    if production == name:
        return PromotionDecision(False, name, production, ["already production"], comparison)
    checked = (
        list(metrics)
        if metrics is not None
        else sorted(k for k, row in comparison.items() if row["value1"] is not None)
    )
    reasons, wins = judge_challenger(comparison, checked, min_improvement, directions)
    promoted = False
    if wins:
        why = reason or "; ".join(reasons)
        promoted = registry.promote(name, expected_current=production, reason=why)
    return PromotionDecision(promoted, name, production, reasons, comparison)
