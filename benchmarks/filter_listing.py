"""Filtered listings, before and after a change to how filters compile (issue 13's one rule).

Runs on whichever modelreg is importable, so two checkouts answer the same prepared data:

    python benchmarks/filter_listing.py build AREA --size 100000   # once: folder + SQLite
    PYTHONPATH=/old/checkout/src python benchmarks/filter_listing.py time AREA --size 100000
    python benchmarks/filter_listing.py time AREA --size 100000
    python benchmarks/filter_listing.py sql > after.txt             # the SQL each compiler emits

`time` prints, per listing, the median and the fastest of `--repeat` calls in milliseconds
(on a loaded machine the fastest is the steadier figure). `sql` prints the statements the
SQLAlchemy compiler (SQLite and PostgreSQL dialects) and the folder index emit for a fixed set
of queries: identical output means identical plans, whatever the machine's load.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import workload

from modelreg import ModelRegistry


def _locations(area: Path, size: int) -> tuple[Path, str]:
    return area / f"folder{size}", f"sqlite:///{area / f'catalog{size}.db'}"


def build(area: Path, size: int) -> None:
    """The benchmark suite's folder (with its index built) and SQLite catalog of `size`."""
    folder, url = _locations(area, size)
    model = workload.train()
    workload.build_registry(folder, size, model)
    catalog = ModelRegistry(url, auto_cleanup=False, cache_dir=area / "cache")
    template = catalog.register(workload.training_result(model, 0), workload.DATA_RANGE)
    catalog.set_tags(template, workload.tags(size))
    workload.fill_catalog(url, template, size - 1)
    ModelRegistry(folder).list_versions(limit=1)


def timings(area: Path, size: int, repeat: int) -> dict[str, list[float]]:
    folder, url = _locations(area, size)
    registries = {
        "folder": ModelRegistry(folder, auto_cleanup=False),
        "SQLite": ModelRegistry(url, auto_cleanup=False, cache_dir=area / "cache"),
    }
    asks: dict[str, dict[str, Any]] = {
        "2 metric filters": dict(workload.FILTER),
        "2 tag filters": {"tags": workload.TAG_FILTER},
        "status + date": {"status": "registered", "trained_after": "2020-02-01"},
    }
    found: dict[str, list[float]] = {}
    for where, registry in registries.items():
        for what, ask in asks.items():
            call: Callable[[], object] = lambda r=registry, a=ask: r.list_versions(**a, limit=10)  # noqa: E731
            call()
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                call()
                times.append((time.perf_counter() - start) * 1000)
            found[f"{where}: {what}, limit 10"] = [statistics.median(times), min(times)]
    return found


def emitted_sql() -> list[str]:
    """What each compiler emits for a fixed set of queries, one line each."""
    import sqlalchemy as sa
    from sqlalchemy.dialects import postgresql, sqlite

    from modelreg.backends import local_index, sql_query
    from modelreg.backends.sql_schema import versions
    from modelreg.query import VersionQuery

    when = datetime(2020, 2, 1, tzinfo=UTC)
    queries = [
        VersionQuery(),
        VersionQuery(min_metrics={"direction_accuracy": 0.55}, max_metrics={"rmse": 0.03}),
        VersionQuery(tags=dict(workload.TAG_FILTER)),
        VersionQuery(status="registered", trained_after=when, production="20200101_000000"),
        VersionQuery(status="production", production="20200101_000000"),
        VersionQuery(status="archived", trained_before=when),
        VersionQuery(min_metrics={"a": 1}, tags={"k": "v"}, status="archived", production="x"),
    ]
    lines = []
    for query in queries:
        for dialect in (sqlite.dialect(), postgresql.dialect()):
            select = sa.select(versions.c.id).where(*sql_query.version_filters(query))
            compiled = select.compile(dialect=dialect)
            params = sorted(compiled.params.items(), key=str)
            lines.append(f"{dialect.name}: {' '.join(str(compiled).split())} {params}")
        sql, params = local_index._select(query, 0, 10, reverse=False)
        lines.append(f"index: {sql} {params}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["build", "time", "sql"])
    parser.add_argument("area", nargs="?", type=Path)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    if args.mode == "sql":
        print("\n".join(emitted_sql()))
    elif args.area is None:
        parser.error(f"{args.mode} needs AREA, the folder that holds the prepared registries")
    elif args.mode == "build":
        build(args.area, args.size)
    else:
        print(json.dumps(timings(args.area, args.size, args.repeat)))


if __name__ == "__main__":
    main()
