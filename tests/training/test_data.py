"""Built-in prices and load_prices: realistic, reproducible, and strict about bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from modelreg import InvalidInputError, MissingDependencyError
from modelreg.training import as_bars, generate_prices, load_prices


def test_same_seed_same_prices_other_seed_other_prices() -> None:
    pd.testing.assert_frame_equal(generate_prices(300, seed=3), generate_prices(300, seed=3))
    assert not generate_prices(300, seed=3).equals(generate_prices(300, seed=4))


def test_generated_bars_look_like_a_market() -> None:
    bars = generate_prices(2000, seed=0)
    assert list(bars.columns) == ["open", "high", "low", "close", "volume"]
    assert bars.index.is_monotonic_increasing and bars.index.is_unique
    assert (bars["high"] >= bars[["open", "close"]].max(axis=1)).all()
    assert (bars["low"] <= bars[["open", "close"]].min(axis=1)).all()
    assert (bars[["open", "high", "low", "close"]] > 0).all().all()
    returns = np.log(bars["close"]).diff().dropna()
    assert 0.05 < returns.std() * np.sqrt(252) < 0.6  # an equity-like yearly volatility
    assert returns.abs().autocorr(1) > 0.1  # volatility clusters
    assert returns.autocorr(1) > 0.02  # some momentum to exploit
    assert returns.kurt() > 1  # fat tails
    assert np.corrcoef(returns.abs(), bars["volume"].iloc[1:])[0, 1] > 0.2


def test_load_prices_round_trips_a_csv(tmp_path: Path) -> None:
    bars = generate_prices(100)
    bars.to_csv(tmp_path / "p.csv")
    loaded = load_prices(tmp_path / "p.csv")
    pd.testing.assert_frame_equal(loaded, bars, check_freq=False)


def test_load_prices_accepts_a_date_column_in_any_case(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,0.5,1.5,10\n")
    loaded = load_prices(path)
    assert loaded.index[0] == pd.Timestamp("2024-01-02")
    assert loaded.loc["2024-01-02", "close"] == 1.5


def test_parquet_without_an_engine_names_the_package(tmp_path: Path) -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        (tmp_path / "p.parquet").write_bytes(b"PAR1")
        with pytest.raises(MissingDependencyError, match="pip install pyarrow"):
            load_prices(tmp_path / "p.parquet")
    else:
        generate_prices(50).to_parquet(tmp_path / "p.parquet")
        assert len(load_prices(tmp_path / "p.parquet")) == 50


HEADER = "timestamp,open,high,low,close,volume\n"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("timestamp,open,high,low,close\n2024-01-01,1,1,1,1\n", r"missing column\(s\) volume"),
        ("open,high,low,close,volume\n1,1,1,1,1\n", "missing the time column"),
        (HEADER + "2024-01-02,1,1,1,1,1\n2024-01-01,1,1,1,1,1\n", "not sorted: row 1"),
        (HEADER + "2024-01-01,1,1,1,1,1\n2024-01-01,1,1,1,1,1\n", "duplicate timestamp"),
        (HEADER + "2024-01-01,1,1,1,,1\n", "column close is NaN at 2024-01-01"),
        (HEADER + "2024-01-01,1,1,1,abc,1\n", "column close is not a number"),
        (HEADER + "2024-01-01,1,1,1,0,1\n", "column close is not positive"),
        (HEADER + "2024-01-01,1,1,1,1,-5\n", "column volume is negative"),
        (HEADER + "yesterday,1,1,1,1,1\n", "timestamps cannot be parsed"),
        (HEADER + ",1,1,1,1,1\n", "timestamp is missing at row 0"),
    ],
)
def test_bad_files_fail_with_what_and_where(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "prices.csv"
    path.write_text(body)
    with pytest.raises(InvalidInputError, match=message) as caught:
        load_prices(path)
    assert "prices.csv" in str(caught.value)


def test_missing_file_and_wrong_kind_are_clear(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="no such file"):
        load_prices(tmp_path / "absent.csv")
    (tmp_path / "prices.xlsx").write_bytes(b"")
    with pytest.raises(InvalidInputError, match=r"expected a \.csv or \.parquet"):
        load_prices(tmp_path / "prices.xlsx")


def test_as_bars_does_not_modify_the_callers_frame() -> None:
    frame = generate_prices(30).reset_index()
    frame.columns = [c.upper() for c in frame.columns]
    before = frame.copy()
    bars = as_bars(frame)
    assert bars.index.name == "timestamp"
    pd.testing.assert_frame_equal(frame, before)
