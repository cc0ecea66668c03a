"""Daily OHLCV bars: a seeded generator so the demo needs no download, and a checked loader.

Bars are a DataFrame indexed by a sorted, unique DatetimeIndex named `timestamp`, with float
columns `open`, `high`, `low`, `close`, `volume`. Every entry point (`load_prices`, features,
serving) goes through `as_bars`, so a bad file fails once, early, saying what and where.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInputError, MissingDependencyError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PRICE_COLUMNS", "as_bars", "generate_prices", "load_prices"]

PRICE_COLUMNS = ("open", "high", "low", "close", "volume")
_TIME_COLUMNS = ("timestamp", "date", "datetime", "time")

# Regimes of the generator: (daily drift, volatility multiplier). Persistent regimes are the
# "exploitable momentum": recent returns say something about tomorrow's drift.
_REGIMES = ((0.0012, 0.8), (-0.0015, 1.4), (0.0, 1.0))
_STAY = 0.985  # chance a regime lasts another day (mean length about 67 days)


def generate_prices(
    n_days: int = 2000,
    *,
    seed: int = 0,
    start: str = "2018-01-01",
    start_price: float = 100.0,
) -> pd.DataFrame:
    """Realistic daily bars, identical for the same seed.

    Returns follow a regime-switching drift (bull, bear, sideways), GARCH(1,1) volatility
    clustering with fat-tailed (Student t) shocks, and a small autocorrelation (momentum);
    volume rises with the size of the move. Business days from `start`.
    """
    import numpy as np
    import pandas as pd

    if isinstance(n_days, bool) or not isinstance(n_days, int) or n_days < 2:
        raise InvalidInputError(f"n_days must be a whole number >= 2, got {n_days!r}")
    if not start_price > 0:
        raise InvalidInputError(f"start_price must be > 0, got {start_price!r}")
    rng = np.random.default_rng(seed)
    returns, sigmas = _simulate_returns(n_days, rng)
    close = start_price * np.exp(np.cumsum(returns))
    prev_close = np.concatenate(([start_price], close[:-1]))
    opened = prev_close * np.exp(rng.normal(0.0, 0.2, n_days) * sigmas)
    wick = np.abs(rng.normal(0.0, 0.5, (2, n_days))) * sigmas
    high = np.maximum(opened, close) * np.exp(wick[0])
    low = np.minimum(opened, close) * np.exp(-wick[1])
    surprise = np.abs(returns) / sigmas
    volume = 1e6 * np.exp(0.25 * rng.normal(size=n_days) + 0.3 * surprise + 8 * sigmas)
    index = pd.bdate_range(start=start, periods=n_days, name="timestamp")
    return pd.DataFrame(
        {"open": opened, "high": high, "low": low, "close": close, "volume": volume.round()},
        index=index,
    )


def _simulate_returns(n_days: int, rng: Any) -> tuple[Any, Any]:
    """Daily log returns and their volatilities: regime drift + AR(1) + GARCH(1,1) noise."""
    import numpy as np

    omega, alpha, beta, phi = 0.010**2 * 0.03, 0.07, 0.90, 0.08
    shocks = rng.standard_t(5, n_days) / np.sqrt(5 / 3)  # unit variance, fat tails
    switch = rng.random(n_days)
    regime, var, prev = 2, 0.010**2, 0.0
    returns, sigmas = np.empty(n_days), np.empty(n_days)
    for t in range(n_days):
        if switch[t] > _STAY:
            regime = int(rng.integers(len(_REGIMES)))
        drift, scale = _REGIMES[regime]
        base = np.sqrt(var)
        sigmas[t] = base * scale
        returns[t] = drift + phi * prev + sigmas[t] * shocks[t]
        var = omega + alpha * (base * shocks[t]) ** 2 + beta * var  # regime-free: stationary
        prev = returns[t]
    return returns, sigmas


def load_prices(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read bars from a CSV or Parquet file and check them (see `as_bars`).

    The file needs a time column (`timestamp` or `date`, any case) and `open`, `high`, `low`,
    `close`, `volume`; other columns are kept.
    """
    import pandas as pd

    source = Path(path)
    suffix = source.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise InvalidInputError(
            f"{source}: expected a .csv or .parquet file, got {suffix or 'no extension'}",
            path=str(source),
        )
    if not source.is_file():
        raise InvalidInputError(f"{source}: no such file", path=str(source))
    try:
        frame = pd.read_csv(source) if suffix == ".csv" else pd.read_parquet(source)
    except ImportError as exc:
        raise MissingDependencyError(
            f"reading {source} needs a Parquet engine: pip install pyarrow", path=str(source)
        ) from exc
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise InvalidInputError(f"{source}: cannot be read: {exc}", path=str(source)) from exc
    return as_bars(frame, where=str(source))


def as_bars(frame: pd.DataFrame, *, where: str = "bars") -> pd.DataFrame:
    """The frame as checked bars: timestamp index, lower-case columns, no gaps in the data.

    Raises InvalidInputError naming the file (`where`), the column and the first bad row for
    missing columns, unparseable, unsorted or duplicate timestamps, non-numeric values, NaNs,
    and prices that are not positive.
    """
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise InvalidInputError(f"{where}: expected a pandas DataFrame, got {type(frame).__name__}")
    bars = frame.rename(columns=lambda c: str(c).strip().lower())
    if not isinstance(bars.index, pd.DatetimeIndex):
        bars = bars.set_index(_time_column(bars, where))
    missing = [c for c in PRICE_COLUMNS if c not in bars.columns]
    if missing:
        raise InvalidInputError(
            f"{where}: missing column(s) {', '.join(missing)}; bars need a timestamp and "
            f"{', '.join(PRICE_COLUMNS)} (found: {', '.join(map(str, bars.columns)) or 'none'})",
            missing=missing,
        )
    bars.index = _timestamps(bars.index, where)
    _check_order(bars.index, where)
    for column in PRICE_COLUMNS:
        bars[column] = _numeric(bars[column], column, where)
    return bars


def _time_column(bars: pd.DataFrame, where: str) -> str:
    for name in _TIME_COLUMNS:
        if name in bars.columns:
            return name
    raise InvalidInputError(
        f"{where}: missing the time column; name it timestamp or date, or pass a DatetimeIndex",
        missing=["timestamp"],
    )


def _timestamps(index: Any, where: str) -> pd.DatetimeIndex:
    import pandas as pd

    try:
        stamps = pd.DatetimeIndex(pd.to_datetime(index))
    except (ValueError, TypeError) as exc:
        raise InvalidInputError(f"{where}: timestamps cannot be parsed: {exc}") from exc
    if stamps.hasnans:
        row = int(stamps.isna().argmax())
        raise InvalidInputError(f"{where}: timestamp is missing at row {row}", row=row)
    return stamps.rename("timestamp")


def _check_order(index: pd.DatetimeIndex, where: str) -> None:
    if index.has_duplicates:
        first = index[index.duplicated()][0]
        raise InvalidInputError(
            f"{where}: duplicate timestamp {first}; each bar needs its own time",
            timestamp=str(first),
        )
    if not index.is_monotonic_increasing:
        row = int((index[1:] < index[:-1]).argmax()) + 1
        raise InvalidInputError(
            f"{where}: timestamps are not sorted: row {row} ({index[row]}) comes before the "
            f"row above it ({index[row - 1]}); sort the bars by time",
            row=row,
        )


def _numeric(values: pd.Series, column: str, where: str) -> pd.Series:
    import pandas as pd

    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    bad = numbers.isna()
    if bad.any():
        stamp = values.index[int(bad.to_numpy().argmax())]
        what = "NaN" if values[bad].isna().all() else "not a number"
        raise InvalidInputError(
            f"{where}: column {column} is {what} at {stamp} ({int(bad.sum())} bad row(s))",
            column=column,
            timestamp=str(stamp),
        )
    floor_ok = numbers >= 0 if column == "volume" else numbers > 0
    if not floor_ok.all():
        stamp = values.index[int((~floor_ok).to_numpy().argmax())]
        limit = "negative" if column == "volume" else "not positive"
        raise InvalidInputError(
            f"{where}: column {column} is {limit} at {stamp}", column=column, timestamp=str(stamp)
        )
    return numbers
