"""Where the time goes on the slow paths of issue 18: one command, Markdown out.

    python benchmarks/profile_paths.py            # 10k (SQL, folder) and 100k (folder) versions
    python benchmarks/profile_paths.py --quick    # 200 versions, for the test suite

Each path is run under cProfile (deterministic, stdlib) a few times; the report gives the
time per call, the share of it in the function named as the culprit (cumulative time, so
everything it calls is included), and the heaviest modelreg functions. cProfile slows pure
Python more than system calls, so shares are approximate; the benchmark tables have the
real times. Beside them: round trips (libpq's trace), fsync calls, and memory
(tracemalloc's top allocation sites). The SQL paths need PostgreSQL and are skipped, with a
line saying so, when it does not answer.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import workload
from _common import facts, load_average, machine, mib, ms, publish, remove, scratch, table

from modelreg import ModelRegistry

FULL = {"sql": 10_000, "folder": 10_000, "folder_large": 100_000, "calls": 10}
QUICK = {"sql": 200, "folder": 200, "folder_large": 0, "calls": 3}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 versions, for the test suite")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    info = machine()
    model = workload.train()
    sections = [_sql(plan, model), _folder(plan["folder"], plan, model)]
    if plan["folder_large"]:
        sections.append(_folder(plan["folder_large"], plan, model))
    report = (
        "# Profiles of the slow paths\n\n"
        + facts(info)
        + f"\n- load average at the end: {load_average()}\n\n"
        + "\n\n".join(sections)
        + "\n"
    )
    publish(report, args.output, "profiles.md", quick=args.quick)


# --- profiling helpers ---------------------------------------------------------------------


class Profile:
    """cProfile over `calls` calls of one action; the share of named functions in it."""

    def __init__(self, action: Callable[[], Any], calls: int) -> None:
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for _ in range(calls):
            action()
        profiler.disable()
        self.per_call = (time.perf_counter() - started) / calls
        self.calls = calls
        self.stats: dict[Any, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
        self.total = sum(entry[2] for entry in self.stats.values())

    def share(self, function: str, where: str = "modelreg") -> float:
        """Cumulative time of `function` (defined in a file whose path contains `where`)."""
        found = [
            entry[3]
            for (path, _line, name), entry in self.stats.items()
            if name == function and where in path
        ]
        return max(found, default=0.0) / self.total if self.total else 0.0

    def row(self, label: str, culprit: str, heaviest: int = 6) -> list[str]:
        """A report row: the path, its time per call, the culprit, the heaviest functions."""
        return [label, ms(self.per_call), culprit, self.top(heaviest)]

    def builtin(self, *fragments: str) -> float:
        """Cumulative time of C functions whose description holds every fragment."""
        found = sum(
            entry[3]
            for (path, _line, name), entry in self.stats.items()
            if path == "~" and all(f in name for f in fragments)
        )
        return found / self.total if self.total else 0.0

    def top(self, count: int = 6) -> str:
        """The heaviest modelreg functions by cumulative time, as `name 41%`."""
        ours = [
            (entry[3], name)
            for (path, _line, name), entry in self.stats.items()
            if "/modelreg/" in path and "benchmarks" not in path
        ]
        ours.sort(reverse=True)
        seen: list[str] = []
        for _cumulative, name in ours:
            if name not in seen and name not in ("<lambda>", "<listcomp>", "__exit__", "__enter__"):
                seen.append(name)
        return ", ".join(
            f"`{name}` {self.share(name):.0%}" for name in seen[1 : count + 1]
        )  # the first is the operation itself


@contextmanager
def counting(module: Any, *names: str) -> Iterator[Counter[str]]:
    """Count the calls of `module.name` for each name (e.g. os.fsync) while inside."""
    counts: Counter[str] = Counter()
    originals = {name: getattr(module, name) for name in names}

    def wrap(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return original(*args, **kwargs)

        return counted

    for name, original in originals.items():
        setattr(module, name, wrap(name, original))
    try:
        yield counts
    finally:
        for name, original in originals.items():
            setattr(module, name, original)


def per_call(counts: Counter[str], calls: int) -> str:
    return ", ".join(f"{n / calls:g} {name}" for name, n in sorted(counts.items())) or "none"


def memory_top(action: Callable[[], Any], count: int = 4) -> tuple[int, str]:
    """Peak traced bytes of one call, and its largest allocation sites at the peak's end."""
    tracemalloc.start(1)
    try:
        action()
        peak = tracemalloc.get_traced_memory()[1]
        snapshot = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    return peak, _sites(snapshot, count)


def _sites(snapshot: Any, count: int) -> str:
    stats = snapshot.statistics("lineno")[:count]
    return "; ".join(
        f"{Path(s.traceback[0].filename).name}:{s.traceback[0].lineno} {mib(s.size)}" for s in stats
    )


def _retained_during(action: Callable[[], Any], count: int = 5) -> tuple[int, str]:
    """What `action` holds at its peak: allocation sites of a snapshot taken at the peak.

    tracemalloc snapshots the heap only when asked, so a profile hook looks at the traced
    size every 20,000 function returns and takes a snapshot whenever it has grown by 10%;
    the last one is within 10% of the peak.
    """
    best: dict[str, Any] = {"size": 0, "snapshot": None}
    ticks = [0]

    def hook(_frame: Any, event: str, _arg: Any) -> None:
        if event != "return":
            return
        ticks[0] += 1
        if ticks[0] % 20_000:
            return
        current = tracemalloc.get_traced_memory()[0]
        if current > 1.1 * best["size"]:  # a snapshot is costly: only when 10% higher
            best["size"], best["snapshot"] = current, tracemalloc.take_snapshot()

    tracemalloc.start(1)
    sys.setprofile(hook)
    try:
        action()
    finally:
        sys.setprofile(None)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    sites = _sites(best["snapshot"], count) if best["snapshot"] is not None else ""
    return peak, sites


# --- the SQL catalog -----------------------------------------------------------------------


def _sql(plan: dict[str, Any], model: Any) -> str:
    from _modelreg_side import ModelregSide
    from _postgres import RoundTrips, analyze, reachable, schema_url, scratch_database

    why = reachable()
    if why is not None:
        return f"## SQL catalog\n\nSkipped: PostgreSQL is not reachable ({why})."
    size, calls = plan["sql"], plan["calls"]
    work = scratch("profile-sql")
    try:
        with scratch_database("profile") as database, RoundTrips() as trips:
            url = schema_url(database, "modelreg")
            side = ModelregSide(url, model, artifacts=str(work / "blobs"))
            for _ in range(3):
                side.register()
            workload.fill_catalog(url, side.names[0], size - 3)
            analyze(database)
            side.promote()
            register = Profile(side.register, calls)
            rows = [
                register.row(
                    f"register at {size:,} versions",
                    f"`_names_used_at` (under the model's advisory lock) "
                    f"{register.share('_names_used_at'):.0%}, of which `read_events` "
                    f"{register.share('read_events'):.0%} and `Event.from_dict` "
                    f"{register.share('from_dict'):.0%}",
                )
            ]
            for label, action in (
                ("load by version", side.load_version),
                ("load production", side.load_alias),
                ("production metadata", side.production_metadata),
                ("filter + limit 10", side.search),
                ("latest 10", side.latest),
                ("promote", side.promote),
            ):
                action()
                trips.take()
                action()
                counted = trips.take()
                profile = Profile(action, calls)
                rows.append(
                    profile.row(
                        f"{label} at {size:,}",
                        f"{sum(counted.values())} round trips: "
                        + ", ".join(f"{n} {kind}" for kind, n in sorted(counted.items())),
                        4,
                    )
                )
            side.close()
            costs = _round_trip_costs(url)
    finally:
        remove(work)
    return (
        f"## SQL catalog (PostgreSQL, {size:,} versions, {calls} calls each)\n\n"
        + table(["path", "per call (profiled)", "culprit", "heaviest modelreg functions"], rows)
        + "\n\nWhat one read costs here, unprofiled (median of 200): "
        + "; ".join(f"{label} {ms(seconds)}" for label, seconds in costs)
        + "."
    )


def _round_trip_costs(url: str) -> list[tuple[str, float]]:
    """One small SELECT as the catalog reads today (checkout with pre-ping, BEGIN, query,
    ROLLBACK) beside the same SELECT on an autocommit connection without pre-ping, and a
    bare round trip on the driver."""
    import statistics

    import sqlalchemy as sa

    def median(action: Callable[[], Any]) -> float:
        samples = []
        for _ in range(200):
            started = time.perf_counter()
            action()
            samples.append(time.perf_counter() - started)
        return statistics.median(samples)

    query = sa.text("SELECT version FROM modelreg_pointers WHERE channel = 'production'")
    today = sa.create_engine(url, pool_pre_ping=True)
    lean = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:

        def as_today() -> None:
            with today.connect() as conn:
                conn.execute(query).scalar()

        with lean.connect() as held:
            autocommit = median(lambda: held.execute(query).scalar())
            raw = held.connection.dbapi_connection
            assert raw is not None
            bare = median(lambda: raw.execute(";"))
        return [
            ("as the catalog reads today (4 round trips)", median(as_today)),
            ("autocommit, no pre-ping (1)", autocommit),
            ("a bare round trip on the driver", bare),
        ]
    finally:
        today.dispose()
        lean.dispose()


# --- the folder ----------------------------------------------------------------------------


def _folder(size: int, plan: dict[str, Any], model: Any) -> str:
    import getpass
    import pwd

    calls = plan["calls"]
    work = scratch(f"profile-{size}")
    try:
        root = work / "models"
        names = workload.build_registry(root, size, model)
        registry = ModelRegistry(root, auto_cleanup=False)
        registry.list_versions(limit=1)
        registry.promote_to_production(names[-1])
        rows = []

        pair = iter([names[-2], names[-1]] * calls * 4)
        promote = lambda: registry.promote_to_production(next(pair))  # noqa: E731
        with (
            counting(os, "fsync", "fdatasync") as syncs,
            counting(getpass, "getuser") as users,
            counting(pwd, "getpwuid") as lookups,
        ):
            for _ in range(calls):
                promote()
        profile = Profile(promote, calls)
        rows.append(
            profile.row(
                "promote",
                f"{per_call(syncs, calls)} per call (Python's os calls; SQLite's own syncs "
                f"are not counted); `write_metadata` {profile.share('write_metadata'):.0%}, "
                f"`_mark_dirty` {profile.share('_mark_dirty'):.0%}; user lookups: "
                f"{per_call(users + lookups, calls)}",
            )
        )

        oldest = iter(names[: 3 * calls])
        delete = lambda: registry.delete_version(next(oldest))  # noqa: E731
        with counting(os, "fsync", "fdatasync") as syncs:
            for _ in range(calls):
                delete()
        profile = Profile(delete, calls)
        rows.append(
            profile.row(
                "delete one version",
                f"`channel_names` {profile.share('channel_names'):.0%}; "
                f"{per_call(syncs, calls)} per call",
            )
        )

        list_all = Profile(registry.list_versions, 1)
        peak, sites = memory_top(registry.list_versions)
        rows.append(
            list_all.row(
                "list all",
                f"`location_of` (a Path per row) {list_all.share('location_of'):.0%}, "
                f"`_summary` {list_all.share('_summary'):.0%}; peak {mib(peak)}: {sites}",
            )
        )

        verify = Profile(registry.verify, 1)
        peak, sites = _retained_during(registry.verify)
        rows.append(
            verify.row(
                "verify",
                f"sha256 {verify.builtin('update', '_hashlib'):.0%}, file reads "
                f"{verify.builtin('read', '_io.'):.0%}, "
                f"`glob` {verify.share('glob', 'pathlib'):.0%}; peak traced {mib(peak)}, "
                f"held at the peak: {sites}",
            )
        )
        registry.close()
        rows.append(_list_json(root))
    finally:
        remove(work)
    return f"## Folder registry, {size:,} versions ({calls} calls each where repeated)\n\n" + table(
        ["path", "per call (profiled)", "culprit", "heaviest modelreg functions"], rows
    )


def _list_json(root: Path) -> list[str]:
    """`modelreg list --json` in this process (stdout to a file), profiled."""
    from click.testing import CliRunner

    from modelreg.cli import cli

    runner = CliRunner()

    def run() -> None:
        result = runner.invoke(cli, ["--registry", str(root), "list", "--json"])
        assert result.exit_code == 0, result.output[-500:]

    profile = Profile(run, 1)
    peak, sites = memory_top(run)
    return profile.row(
        "`modelreg list --json` (in-process)",
        f"JSON encoding (`json.dumps` and its encoder) {profile.share('dumps', 'json'):.0%}, "
        f"listing {profile.share('list_versions'):.0%}; peak traced {mib(peak)}: {sites}",
    )


if __name__ == "__main__":
    main()
