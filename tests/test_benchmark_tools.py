"""The benchmarks' own instruments: interleaving, paired ratios, round-trip counting.

Timing is never asserted (benchmarks/RESULTS.md holds the figures); what is asserted is that
the harnesses measure what their tables say they measure. The scripts themselves run in CI
with `--quick` (.ci/run).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from _common import Timing, interleaved, paired_ratio, process_rss


def test_interleaved_alternates_which_side_goes_first() -> None:
    calls: list[str] = []
    timings = interleaved(
        {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, repeat=4
    )
    assert calls == ["a", "b", "b", "a", "a", "b", "b", "a"]
    assert {key: len(t.samples) for key, t in timings.items()} == {"a": 4, "b": 4}


def test_paired_ratio_is_theirs_over_ours_with_the_spread_of_rounds() -> None:
    ours = Timing((1.0, 1.0, 2.0, 2.0))
    theirs = Timing((10.0, 10.0, 10.0, 10.0))
    assert paired_ratio(ours, theirs).startswith("6.7x (")  # 10 / median 1.5
    assert paired_ratio(Timing((1.0,)), Timing((3.0,))) == "3.0x (3.0-3.0)"


def test_process_rss_reads_this_process() -> None:
    import os

    current, peak = process_rss(os.getpid())
    assert 0 < current <= peak
    assert process_rss(2**22 + 12345) == (0, 0)  # no such process: nothing, not an error


def test_round_trips_are_labelled_by_what_was_sent() -> None:
    from _postgres import _kind

    assert _kind(' "BEGIN"') == "BEGIN"
    assert _kind(' ";"') == "pre-ping"
    assert _kind(' "" "SELECT modelreg_versions.meta ') == "statement"
    assert _kind(' "SET LOCAL lock_timeout = 60000"') == "other"


@pytest.mark.postgres
def test_round_trips_count_every_wait_for_the_server() -> None:
    pytest.importorskip("psycopg")
    import sqlalchemy as sa
    from _postgres import RoundTrips, reachable, scratch_database

    if reachable() is not None:
        pytest.skip("PostgreSQL is not reachable")
    with scratch_database("tools") as url, RoundTrips() as trips:
        engine = sa.create_engine(url, pool_pre_ping=True)
        try:
            with engine.connect() as conn:  # the first checkout of a new connection: no ping
                conn.exec_driver_sql("SELECT 1").all()
            setup = trips.take()
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1").all()
                conn.exec_driver_sql("SELECT 2").all()
            counted = trips.take()
        finally:
            engine.dispose()
    assert setup["statement"] >= 1
    assert counted == {"pre-ping": 1, "BEGIN": 1, "statement": 2, "ROLLBACK": 1}
