"""Which way each metric points, and how two versions compare on their metrics.

A metric is better lower when its name says so by default (`rmse`, `loss`, anything with
`error` ..., also behind a split prefix: `test_rmse`), better higher otherwise;
`registry.metric_directions` in config overrides both.
Metric values must be finite numbers: NaN cannot be compared or ordered, and JSON has no
spelling for it, so a NaN or infinite metric is refused at registration.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

from .errors import InvalidInputError

__all__ = [
    "LOWER_IS_BETTER",
    "SPLIT_PREFIXES",
    "Direction",
    "MetricDirections",
    "compare_metrics",
    "validate_metrics",
]

Direction = Literal["higher", "lower"]

LOWER_IS_BETTER = frozenset(
    {"rmse", "mse", "mae", "mape", "loss", "log_loss", "brier", "max_drawdown"}
)
#: prefixes naming the data split a metric was measured on; they do not change its direction
SPLIT_PREFIXES = ("train_", "val_", "validation_", "test_")


class MetricDirections:
    """Answers "is a bigger value better?" for any metric name."""

    def __init__(self, overrides: Mapping[str, str] | None = None) -> None:
        self._overrides: dict[str, Direction] = {}
        for name, direction in (overrides or {}).items():
            if direction not in ("higher", "lower"):
                raise InvalidInputError(
                    f"metric direction for {name!r} must be 'higher' or 'lower', got {direction!r}",
                    metric=name,
                )
            self._overrides[name] = direction  # type: ignore[assignment]

    def direction(self, name: str) -> Direction:
        if name in self._overrides:
            return self._overrides[name]
        lowered = name.lower()
        for prefix in SPLIT_PREFIXES:  # `test_rmse` points the way `rmse` does
            lowered = lowered.removeprefix(prefix)
        if lowered in LOWER_IS_BETTER or "error" in lowered:
            return "lower"
        return "higher"

    def higher_is_better(self, name: str) -> bool:
        return self.direction(name) == "higher"

    def better(self, name: str, a: float, b: float) -> bool:
        """True when value `a` is strictly better than `b` for metric `name`."""
        return a > b if self.higher_is_better(name) else a < b

    def improvement(self, name: str, new: float, old: float) -> float:
        """How much better `new` is than `old` (negative when worse), in the metric's units."""
        return new - old if self.higher_is_better(name) else old - new


def validate_metrics(metrics: object, *, where: str = "metrics") -> dict[str, float]:
    """Return metrics as a plain {str: float}, or raise InvalidInputError naming the culprit."""
    if not isinstance(metrics, Mapping):
        raise InvalidInputError(
            f"{where} must be a mapping of name to number, got {type(metrics).__name__}"
        )
    clean: dict[str, float] = {}
    for name, value in metrics.items():
        if not isinstance(name, str) or not name or len(name) > 200 or "\x00" in name:
            raise InvalidInputError(
                f"{where}: metric names must be non-empty strings, got {name!r}"
            )
        if isinstance(value, bool) or not _is_number(value):
            raise InvalidInputError(
                f"{where}[{name!r}] must be a number, got {type(value).__name__}",
                metric=name,
            )
        number = float(value)
        if not math.isfinite(number):
            raise InvalidInputError(
                f"{where}[{name!r}] is {number}: metrics must be finite numbers "
                "(NaN and infinity cannot be compared or stored as JSON)",
                metric=name,
            )
        clean[name] = number
    return clean


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return not isinstance(value, (str, bytes))


def compare_metrics(
    version1: str,
    metrics1: Mapping[str, float],
    version2: str,
    metrics2: Mapping[str, float],
    directions: MetricDirections,
) -> dict[str, dict[str, Any]]:
    """Per metric of either side: both values, value1 - value2, the gain, and the winner.

    `gain` is the one signed figure people read (the CLI, the gate, the UI): how much
    version1 beats version2 in the metric's own direction, positive when version1 is better.
    `difference` stays the raw value1 - value2 for scripts.
    """
    result: dict[str, dict[str, Any]] = {}
    for name in sorted(set(metrics1) | set(metrics2)):
        a, b = metrics1.get(name), metrics2.get(name)
        winner: str | None = None
        if a is not None and b is not None and a != b:
            winner = version1 if directions.better(name, a, b) else version2
        result[name] = {
            "version1": version1,
            "version2": version2,
            "value1": a,
            "value2": b,
            version1: a,
            version2: b,
            "difference": None if a is None or b is None else a - b,
            "gain": None if a is None or b is None else directions.improvement(name, a, b),
            "winner": winner,
            "higher_is_better": directions.higher_is_better(name),
        }
    return result
