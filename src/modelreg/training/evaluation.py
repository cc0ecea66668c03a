"""How good a return forecast is: as a regression, and as the trading signal it implies.

With actual returns a[i], predicted returns p[i] (n periods) and the strategy that holds the
predicted sign, position[i] = sign(p[i]) in {-1, 0, +1}, earning pnl[i] = position[i] * a[i]:

| metric               | formula                                                                 |
|----------------------|-------------------------------------------------------------------------|
| `rmse`               | sqrt(mean((p - a)^2))                                                   |
| `mae`                | mean(abs(p - a))                                                        |
| `direction_accuracy` | mean(sign(p) == sign(a)): share of periods whose direction was right    |
| `profit_factor`      | sum(pnl > 0) / -sum(pnl < 0): gross gains over gross losses             |
| `sharpe`             | mean(pnl) / std(pnl, ddof=1) * sqrt(periods_per_year), annualised        |
| `hit_rate`           | share of traded periods (position != 0) with pnl > 0                     |

Every value is a finite number, because the registry refuses NaN metrics. Edge cases: no
losing trade gives profit_factor PROFIT_FACTOR_CAP when something was gained and 1.0 (neutral)
when nothing was traded; a flat pnl (std 0) or fewer than two periods gives sharpe 0.0; no
trade at all gives hit_rate 0.0.
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import InvalidInputError

__all__ = [
    "METRICS",
    "PROFIT_FACTOR_CAP",
    "direction_accuracy",
    "evaluate",
    "hit_rate",
    "mae",
    "profit_factor",
    "rmse",
    "sharpe",
]

METRICS = ("rmse", "mae", "direction_accuracy", "profit_factor", "sharpe", "hit_rate")
#: profit factor reported when there were gains and no loss at all (infinity is not a metric)
PROFIT_FACTOR_CAP = 100.0
TRADING_DAYS = 252


def evaluate(
    actual: Any, predicted: Any, *, periods_per_year: int = TRADING_DAYS
) -> dict[str, float]:
    """All METRICS for one set of forecasts, keyed by name."""
    a, p = _pair(actual, predicted)
    return {
        "rmse": rmse(a, p),
        "mae": mae(a, p),
        "direction_accuracy": direction_accuracy(a, p),
        "profit_factor": profit_factor(a, p),
        "sharpe": sharpe(a, p, periods_per_year=periods_per_year),
        "hit_rate": hit_rate(a, p),
    }


def rmse(actual: Any, predicted: Any) -> float:
    """Root mean squared error, in return units: sqrt(mean((p - a)^2))."""
    a, p = _pair(actual, predicted)
    return float(math.sqrt(((p - a) ** 2).mean()))


def mae(actual: Any, predicted: Any) -> float:
    """Mean absolute error, in return units: mean(|p - a|)."""
    a, p = _pair(actual, predicted)
    return float(abs(p - a).mean())


def direction_accuracy(actual: Any, predicted: Any) -> float:
    """Share of periods where sign(p) == sign(a) (a zero counts as its own direction)."""
    import numpy as np

    a, p = _pair(actual, predicted)
    return float((np.sign(p) == np.sign(a)).mean())


def profit_factor(actual: Any, predicted: Any) -> float:
    """Gross gains over gross losses of trading sign(p): sum(pnl > 0) / -sum(pnl < 0)."""
    pnl = _pnl(actual, predicted)
    gains = float(pnl[pnl > 0].sum())
    losses = float(-pnl[pnl < 0].sum())
    if losses == 0:
        return PROFIT_FACTOR_CAP if gains > 0 else 1.0
    return min(gains / losses, PROFIT_FACTOR_CAP)


def sharpe(actual: Any, predicted: Any, *, periods_per_year: int = TRADING_DAYS) -> float:
    """Annualised Sharpe ratio of trading sign(p), risk-free rate 0."""
    pnl = _pnl(actual, predicted)
    if len(pnl) < 2:
        return 0.0
    std = float(pnl.std(ddof=1))
    if std == 0 or not math.isfinite(std):
        return 0.0
    return float(pnl.mean() / std * math.sqrt(periods_per_year))


def hit_rate(actual: Any, predicted: Any) -> float:
    """Share of traded periods (p != 0) that made money; 0.0 when nothing was traded."""
    import numpy as np

    a, p = _pair(actual, predicted)
    traded = p != 0
    if not traded.any():
        return 0.0
    return float((np.sign(p[traded]) * a[traded] > 0).mean())


def _pnl(actual: Any, predicted: Any) -> Any:
    import numpy as np

    a, p = _pair(actual, predicted)
    return np.sign(p) * a


def _pair(actual: Any, predicted: Any) -> tuple[Any, Any]:
    """Both series as float arrays of one length, with no NaN: metrics never hide a bad row."""
    import numpy as np

    try:
        a = np.asarray(actual, dtype="float64").ravel()
        p = np.asarray(predicted, dtype="float64").ravel()
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"actual and predicted must be numbers: {exc}") from exc
    if len(a) != len(p):
        raise InvalidInputError(
            f"actual and predicted differ in length: {len(a)} vs {len(p)} values"
        )
    if len(a) == 0:
        raise InvalidInputError("cannot evaluate an empty set of predictions")
    for name, values in (("actual", a), ("predicted", p)):
        if not np.isfinite(values).all():
            row = int((~np.isfinite(values)).argmax())
            raise InvalidInputError(f"{name} is not a finite number at position {row}", row=row)
    return a, p
