"""Metric formulas on tiny hand-made series, and their edge cases."""

from __future__ import annotations

import math

import pytest

from modelreg import InvalidInputError
from modelreg.training import evaluate
from modelreg.training.evaluation import (
    PROFIT_FACTOR_CAP,
    direction_accuracy,
    hit_rate,
    mae,
    profit_factor,
    rmse,
    sharpe,
)

ACTUAL = [0.01, -0.02, 0.03, -0.01]
PREDICTED = [0.02, 0.01, -0.01, -0.03]
# errors p - a: 0.01, 0.03, -0.04, -0.02; positions +1, +1, -1, -1
# pnl = position * a: 0.01, -0.02, -0.03, 0.01


def test_regression_errors_by_hand() -> None:
    assert rmse(ACTUAL, PREDICTED) == pytest.approx(math.sqrt((1 + 9 + 16 + 4) / 4) / 100)
    assert mae(ACTUAL, PREDICTED) == pytest.approx((1 + 3 + 4 + 2) / 4 / 100)


def test_trading_metrics_by_hand() -> None:
    assert direction_accuracy(ACTUAL, PREDICTED) == 0.5  # right on the 1st and 4th
    assert profit_factor(ACTUAL, PREDICTED) == pytest.approx(0.02 / 0.05)
    assert hit_rate(ACTUAL, PREDICTED) == 0.5
    # mean pnl -0.0075; squared deviations (1.75^2 + 1.25^2 + 2.25^2 + 1.75^2)e-4 = 12.75e-4
    expected = -0.0075 / math.sqrt(12.75e-4 / 3) * math.sqrt(252)
    assert sharpe(ACTUAL, PREDICTED) == pytest.approx(expected)  # about -5.775


def test_evaluate_returns_every_metric_at_once() -> None:
    scores = evaluate(ACTUAL, PREDICTED)
    assert set(scores) == {
        "rmse",
        "mae",
        "direction_accuracy",
        "profit_factor",
        "sharpe",
        "hit_rate",
    }
    assert scores["profit_factor"] == profit_factor(ACTUAL, PREDICTED)
    assert evaluate(ACTUAL, PREDICTED, periods_per_year=1)["sharpe"] == pytest.approx(
        scores["sharpe"] / math.sqrt(252)
    )


def test_no_losing_trade_caps_the_profit_factor() -> None:
    assert profit_factor([0.01, -0.02], [0.5, -0.1]) == PROFIT_FACTOR_CAP
    assert hit_rate([0.01, -0.02], [0.5, -0.1]) == 1.0


def test_never_trading_is_neutral_and_finite() -> None:
    actual, flat = [0.01, -0.02, 0.03], [0.0, 0.0, 0.0]
    scores = evaluate(actual, flat)
    assert scores["profit_factor"] == 1.0
    assert scores["hit_rate"] == 0.0
    assert scores["sharpe"] == 0.0
    assert scores["direction_accuracy"] == 0.0
    assert all(math.isfinite(v) for v in scores.values())


def test_zero_actual_move_counts_as_its_own_direction() -> None:
    assert direction_accuracy([0.0, 0.0], [0.0, 0.1]) == 0.5


def test_one_period_and_a_constant_pnl_give_sharpe_zero() -> None:
    assert sharpe([0.01], [1.0]) == 0.0
    assert sharpe([0.01, 0.01], [1.0, 1.0]) == 0.0


@pytest.mark.parametrize(
    ("actual", "predicted", "message"),
    [
        ([], [], "empty"),
        ([0.1, 0.2], [0.1], "differ in length: 2 vs 1"),
        ([0.1, float("nan")], [0.1, 0.2], "actual is not a finite number at position 1"),
        ([0.1, 0.2], [0.1, float("inf")], "predicted is not a finite number at position 1"),
        (["a"], [0.1], "must be numbers"),
    ],
)
def test_bad_input_is_refused(actual: list, predicted: list, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        evaluate(actual, predicted)
