"""Price features from OHLCV bars, and the target they predict.

Every feature at time t uses bars up to and including t only (pandas rolling and exponential
windows, never centred, never shifted backwards), so training and serving compute the same
numbers and nothing leaks from the future. Features are scale-free (returns, distances,
z-scores), so a model trained on one price level applies to another.

- `ret_N`: close[t] / close[t-N] - 1.
- `ema_N`: close[t] / EMA_N[t] - 1, the distance from the exponential average
  EMA_N[t] = a * close[t] + (1 - a) * EMA_N[t-1], a = 2 / (N + 1), EMA_N[0] = close[0];
  defined from the N-th bar on.
- `rsi_N`: 100 * G / (G + L), where G and L are Wilder's averages (a = 1 / N, started at the
  first change) of the up moves and of the down moves; 50 when there was no move at all.
- `vol_N`: sample standard deviation (ddof 1) of the last N one-bar returns.
- `volume_z_N`: (volume[t] - mean) / std of the last N volumes; 0 when they are all equal.
- `range_1`: (high[t] - low[t]) / close[t].

The target, `next_return`, is close[t+1] / close[t] - 1: the return of the bar after t.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .data import as_bars

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FEATURES", "TARGET", "WARMUP_BARS", "build_features", "compute_features"]

RETURN_HORIZONS = (1, 5, 20)
EMA_SPANS = (10, 20, 50)
RSI_PERIOD = 14
WINDOW = 20

FEATURES = [
    *(f"ret_{n}" for n in RETURN_HORIZONS),
    *(f"ema_{n}" for n in EMA_SPANS),
    f"rsi_{RSI_PERIOD}",
    f"vol_{WINDOW}",
    f"volume_z_{WINDOW}",
    "range_1",
]
TARGET = "next_return"
#: bars of history before every feature is defined (the longest EMA)
WARMUP_BARS = max(EMA_SPANS)


def compute_features(bars: pd.DataFrame) -> pd.DataFrame:
    """The FEATURES columns for each bar (NaN during the first WARMUP_BARS - 1 bars)."""
    import pandas as pd

    bars = as_bars(bars)
    close = bars["close"]
    columns: dict[str, pd.Series] = {}
    for n in RETURN_HORIZONS:
        columns[f"ret_{n}"] = close.pct_change(n)
    for n in EMA_SPANS:
        columns[f"ema_{n}"] = close / ema(close, n) - 1
    columns[f"rsi_{RSI_PERIOD}"] = rsi(close, RSI_PERIOD)
    columns[f"vol_{WINDOW}"] = close.pct_change().rolling(WINDOW).std()
    columns[f"volume_z_{WINDOW}"] = zscore(bars["volume"], WINDOW)
    columns["range_1"] = (bars["high"] - bars["low"]) / close
    return pd.DataFrame(columns, index=bars.index)


def build_features(bars: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Features and the `next_return` target, for training: rows where all are defined.

    Returns the frame (FEATURES columns plus TARGET, indexed by timestamp) and the feature
    names. The warm-up rows and the last bar (whose next return is unknown) are dropped.
    """
    bars = as_bars(bars)
    frame = compute_features(bars)
    frame[TARGET] = bars["close"].shift(-1) / bars["close"] - 1
    return frame.dropna(), list(FEATURES)


def ema(values: pd.Series, span: int) -> pd.Series:
    """Exponential moving average, a = 2/(span+1), seeded with the first value, causal."""
    return values.ewm(span=span, adjust=False, min_periods=span).mean()


def rsi(close: pd.Series, period: int) -> pd.Series:
    """Wilder's relative strength index in [0, 100]; 50 where there was no move at all."""
    change = close.diff()
    gain = change.clip(lower=0).ewm(alpha=1 / period, adjust=False, min_periods=period).mean()
    loss = (-change.clip(upper=0)).ewm(alpha=1 / period, adjust=False, min_periods=period).mean()
    total = gain + loss
    return (100 * gain / total.where(total > 0)).where(total != 0, 50.0)


def zscore(values: pd.Series, window: int) -> pd.Series:
    """(x - rolling mean) / rolling sample std over `window` values; 0 where the std is 0."""
    rolling = values.rolling(window)
    std = rolling.std()
    return ((values - rolling.mean()) / std.where(std > 0)).where(std != 0, 0.0)
