"""The champion/challenger gate: does a challenger beat production by enough?

A pure judgement over a `compare_metrics` result, so the rule is tested without storage;
`ModelRegistry.promote_if_better` supplies the comparison and acts on the verdict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .metrics import MetricDirections

__all__ = ["PromotionDecision", "judge_challenger"]


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
            f"({'+' if gain >= 0 else ''}{gain:.6g}, needs > {needed:g}) "
            f"{'better' if ok else 'not better'}"
        )
    return reasons, wins
