"""`compare_mlflow.py --backend postgresql`: the SQL catalog vs MLflow, both on PostgreSQL.

One scratch database on the shared server (created here, dropped at the end): modelreg's
catalog in schema `modelreg`, MLflow's tables in `public`; artifacts in local folders on
both sides (modelreg: its content-addressed store; MLflow: its artifact root). Measured at
the first 25 versions (registered through each API), then after a fast fill to 1,000 and to
10,000 (rows copied from the first version on each side: `workload.fill_catalog` and
`_mlflow_side.clone_versions`), then ANALYZE on the whole database, as autovacuum would do
in time. Each operation runs paired and interleaved. The round trips
of one call of each operation are counted by `_postgres.RoundTrips` (both sides use
SQLAlchemy, so both are counted the same way).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

import workload
from _common import facts, interleaved, load_average, machine, ms, paired_ratio, remove, scratch
from _common import table as markdown_table
from _mlflow_side import MLflowSide, clone_versions
from _modelreg_side import ModelregSide
from _postgres import RoundTrips, analyze, describe, reachable, schema_url, scratch_database

FULL = {"first": 25, "sizes": [1_000, 10_000], "repeat": 20, "register": 20}
QUICK = {"first": 5, "sizes": [30], "repeat": 3, "register": 3}

#: (label, method on both sides): the operations of issue 18's table
OPERATIONS = [
    ("register", "register"),
    ("promote (MLflow: set alias)", "promote"),
    ("load by version", "load_version"),
    ("load production (MLflow: @alias)", "load_alias"),
    ("production metadata (MLflow: alias + run)", "production_metadata"),
    ("filter (2 metrics) + limit 10", "search"),
    ("latest 10", "latest"),
]


def compare(*, quick: bool) -> str | None:
    import mlflow

    why = reachable()
    if why is not None:
        print(f"PostgreSQL is not reachable ({why}): skipping the comparison")
        return None
    plan = QUICK if quick else FULL
    info = machine()
    info["mlflow"] = mlflow.__version__
    model = workload.train()
    work = scratch("pg")
    sections: list[str] = []
    try:
        with scratch_database("catalog") as database, RoundTrips() as trips:
            ours_url = schema_url(database, "modelreg")
            ours = ModelregSide(ours_url, model, artifacts=str(work / "blobs"))
            theirs = MLflowSide(database, (work / "mlflow-artifacts").as_uri(), model)
            try:
                sections.append(_first(plan, ours, theirs, trips))
                filled = 0
                for size in plan["sizes"]:
                    started = time.perf_counter()
                    need = size - len(ours.names) - filled  # both sides registered as many
                    workload.fill_catalog(ours_url, ours.names[0], need, first=filled, seed=size)
                    clone_versions(database, theirs, need, first=filled, seed=size)
                    analyze(database)  # as autovacuum would, in time: see `analyze`
                    filled += need
                    took = ms(time.perf_counter() - started)
                    print(f"... {size} versions (filled in {took})", file=sys.stderr)
                    sections.append(_at(f"{size:,} versions", plan, ours, theirs, trips))
            finally:
                ours.close()
                _close_mlflow_engines()
    finally:
        remove(work)
    return (
        "# SQL catalog vs MLflow, both on PostgreSQL (embedded)\n\n"
        + facts(info)
        + f"\n- load average at the end: {load_average()}\n\n"
        "median (spread) of wall-clock time over paired interleaved runs; ratio = MLflow / "
        "modelreg (higher: modelreg faster) with the IQR of the per-round ratios; round trips "
        "= messages to PostgreSQL in one call (pre-ping at checkout, BEGIN, statements, "
        "COMMIT / ROLLBACK), counted in one extra call.\n\n" + "\n\n".join(sections) + "\n"
    )


def _first(plan: dict[str, Any], ours: ModelregSide, theirs: MLflowSide, trips: RoundTrips) -> str:
    """The first versions, registered through each API; then every operation at that size."""
    before = load_average()
    registered = interleaved({"ours": ours.register, "theirs": theirs.register}, plan["first"])
    return _at(
        f"The first {plan['first']} versions",
        plan,
        ours,
        theirs,
        trips,
        register=(registered["ours"], registered["theirs"]),
        load_before=before,
    )


def _at(
    title: str,
    plan: dict[str, Any],
    ours: ModelregSide,
    theirs: MLflowSide,
    trips: RoundTrips,
    *,
    register: tuple[Any, Any] | None = None,
    load_before: str | None = None,
) -> str:
    load_before = load_before or load_average()
    ours.promote()
    theirs.promote()  # a production version on both sides before anything reads one
    rows = []
    for label, method in OPERATIONS:
        a_action: Callable[[], Any] = getattr(ours, method)
        b_action: Callable[[], Any] = getattr(theirs, method)
        if method == "register" and register is not None:
            a, b = register
        else:
            repeat = plan["register"] if method == "register" else plan["repeat"]
            a_action()
            b_action()  # a warm-up each: pools, caches, first-use imports
            timings = interleaved({"ours": a_action, "theirs": b_action}, repeat)
            a, b = timings["ours"], timings["theirs"]
        trips.take()
        a_action()
        ours_trips = describe(trips.take(), 1)
        b_action()
        theirs_trips = sum(trips.take().values())
        rows.append([label, a.cell(), b.cell(), paired_ratio(a, b), ours_trips, str(theirs_trips)])
    headers = ["operation", "modelreg", "MLflow", "ratio", "round trips: modelreg", "MLflow"]
    return (
        f"## {title}\n\nload average (1 min) {load_before} at the start, {load_average()} at "
        "the end.\n\n" + markdown_table(headers, rows)
    )


def _close_mlflow_engines() -> None:
    """MLflow keeps one engine per store it opened: close them before the database is dropped."""
    import gc

    import sqlalchemy as sa

    for thing in gc.get_objects():
        if isinstance(thing, sa.engine.Engine):
            thing.dispose()
