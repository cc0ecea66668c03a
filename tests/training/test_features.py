"""Features: the documented formulas, checked by hand, and no look-ahead."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelreg.training import FEATURES, TARGET, build_features, compute_features, generate_prices
from modelreg.training.features import WARMUP_BARS, ema, rsi, zscore


def _series(values: list[float]) -> pd.Series:
    return pd.Series(values, index=pd.bdate_range("2024-01-01", periods=len(values)), dtype=float)


def test_ema_matches_the_recursion_by_hand() -> None:
    got = ema(_series([10, 11, 13, 12, 15]), 3)  # a = 2 / (3 + 1) = 0.5
    assert got.iloc[:2].isna().all()  # defined from the 3rd value on
    # 10 -> 0.5*11 + 0.5*10 = 10.5 -> 0.5*13 + 0.5*10.5 = 11.75 -> 11.875 -> 13.4375
    assert got.iloc[2:].tolist() == pytest.approx([11.75, 11.875, 13.4375])


def test_rsi_by_hand() -> None:
    x = _series([10, 12, 11, 14])  # changes +2, -1, +3
    a = 1 / 2
    gain, loss = 2.0, 0.0  # Wilder's averages start at the first change
    gain, loss = a * 0 + (1 - a) * gain, a * 1 + (1 - a) * loss  # after -1: 1.0, 0.5
    expected_2 = 100 * gain / (gain + loss)
    gain, loss = a * 3 + (1 - a) * gain, (1 - a) * loss  # after +3: 2.0, 0.25
    expected_3 = 100 * gain / (gain + loss)
    got = rsi(x, 2)
    assert got.iloc[:2].isna().all()
    assert got.iloc[2] == pytest.approx(expected_2)  # 66.67
    assert got.iloc[3] == pytest.approx(expected_3)  # 88.89


def test_rsi_edges_flat_rising_falling() -> None:
    assert rsi(_series([5.0] * 6), 3).iloc[-1] == 50.0
    assert rsi(_series([1, 2, 3, 4, 5, 6]), 3).iloc[-1] == 100.0
    assert rsi(_series([6, 5, 4, 3, 2, 1]), 3).iloc[-1] == 0.0


def test_zscore_by_hand_and_flat() -> None:
    got = zscore(_series([1, 2, 3, 10]), 3)
    window = [2, 3, 10]
    mean, std = sum(window) / 3, float(np.std(window, ddof=1))
    assert got.iloc[:2].isna().all()
    assert got.iloc[2] == pytest.approx(1.0)  # (3 - 2) / 1
    assert got.iloc[3] == pytest.approx((10 - mean) / std)
    assert zscore(_series([4, 4, 4, 4]), 3).iloc[-1] == 0.0


def _bars(n: int) -> pd.DataFrame:
    close = np.linspace(100, 100 + n - 1, n) + np.sin(np.arange(n))
    return pd.DataFrame(
        {
            "open": close - 0.5,
            "high": close + 1,
            "low": close - 1,
            "close": close,
            "volume": 1000 + 10 * np.arange(n) % 7,
        },
        index=pd.bdate_range("2024-01-01", periods=n, name="timestamp"),
    )


def test_compute_features_follow_the_documented_formulas() -> None:
    bars = _bars(60)
    f = compute_features(bars)
    c, v = bars["close"].to_numpy(), bars["volume"].to_numpy()
    t = 55
    assert list(f.columns) == FEATURES
    assert f["ret_1"].iloc[t] == pytest.approx(c[t] / c[t - 1] - 1)
    assert f["ret_5"].iloc[t] == pytest.approx(c[t] / c[t - 5] - 1)
    assert f["ret_20"].iloc[t] == pytest.approx(c[t] / c[t - 20] - 1)
    level = c[0]
    for value in c[1 : t + 1]:
        level = 2 / 21 * value + (1 - 2 / 21) * level
    assert f["ema_20"].iloc[t] == pytest.approx(c[t] / level - 1)
    one_bar = c[t - 19 : t + 1] / c[t - 20 : t] - 1
    assert f["vol_20"].iloc[t] == pytest.approx(np.std(one_bar, ddof=1))
    last = v[t - 19 : t + 1]
    assert f["volume_z_20"].iloc[t] == pytest.approx((v[t] - last.mean()) / last.std(ddof=1))
    assert f["range_1"].iloc[t] == pytest.approx(2 / c[t])
    assert f.iloc[WARMUP_BARS - 2].isna().any()
    assert f.iloc[WARMUP_BARS - 1 :].notna().all().all()


def test_build_features_adds_the_next_return_and_drops_undefined_rows() -> None:
    bars = _bars(80)
    frame, names = build_features(bars)
    assert names == FEATURES
    assert list(frame.columns) == [*FEATURES, TARGET]
    assert frame.index[0] == bars.index[WARMUP_BARS - 1]
    assert frame.index[-1] == bars.index[-2]  # the last bar has no next return yet
    t = frame.index[10]
    after = bars.index[bars.index.get_loc(t) + 1]
    assert frame.loc[t, TARGET] == pytest.approx(
        bars.loc[after, "close"] / bars.loc[t, "close"] - 1
    )
    assert not frame.isna().any().any()


@settings(max_examples=25, deadline=None)
@given(cut=st.integers(min_value=1, max_value=119), seed=st.integers(0, 2**16))
def test_no_look_ahead_features_at_t_ignore_every_later_bar(cut: int, seed: int) -> None:
    bars = generate_prices(120, seed=1)
    other = generate_prices(120, seed=seed + 2)
    changed = bars.copy()
    changed.iloc[cut:] = other.iloc[cut:].to_numpy()  # rewrite the future, keep the past
    before, after = compute_features(bars), compute_features(changed)
    pd.testing.assert_frame_equal(before.iloc[:cut], after.iloc[:cut])
    assert not before.iloc[cut:].equals(after.iloc[cut:])


def test_features_on_a_prefix_equal_features_on_the_whole() -> None:
    bars = generate_prices(200, seed=5)
    whole = compute_features(bars)
    for cut in (60, 120, 199):
        pd.testing.assert_frame_equal(compute_features(bars.iloc[:cut]), whole.iloc[:cut])


def test_features_are_scale_free() -> None:
    bars = generate_prices(100, seed=2)
    scaled = bars.copy()
    scaled[["open", "high", "low", "close"]] *= 1000
    a, b = compute_features(bars), compute_features(scaled)
    pd.testing.assert_frame_equal(a, b, rtol=1e-9)
    assert math.isfinite(a.iloc[-1].sum())
