"""PostgreSQL round trips and Python bytecodes per call of the catalog's hot paths: one
command, Markdown out.

    python benchmarks/round_trips.py
    PYTHONPATH=/path/to/other/src python benchmarks/round_trips.py   # another checkout's code

A small catalog in a scratch database (4 versions, production set); each operation runs
`_WARM` times to warm the pool, the caches and psycopg's prepared statements (it prepares a
statement on its fifth use, one extra round trip then), then once counted by libpq's own
trace (`_postgres.RoundTrips`), and the Python bytecodes that call ran (`sys.settrace`
with opcode events: the client's own work in Python, not what C code such as `json` or
libpq does).
Exact counts, so they need no quiet machine: the before/after figures of issue 18 come from it.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import workload
from _postgres import RoundTrips, describe, reachable, schema_url, scratch_database

from modelreg import ModelRegistry
from modelreg.query import VersionQuery

#: a filtered page that is full (every version passes), so the route must give its total
_FULL_PAGE = VersionQuery.checked(min_metrics={"direction_accuracy": 0.0}, limit=2)

#: calls before the counted one: past psycopg's `prepare_threshold` (5)
_WARM = 6


def main() -> None:
    why = reachable()
    if why is not None:
        print(f"PostgreSQL is not reachable ({why}): nothing to count")
        return
    work = tempfile.mkdtemp(prefix="modelreg-rt-")
    model = workload.train()
    print("| operation | round trips per call | Python bytecodes (functions) |\n|---|---|---|")
    with scratch_database("rt") as database, RoundTrips() as trips:
        registry = ModelRegistry(
            schema_url(database, "modelreg"),
            artifacts=f"{work}/blobs",
            cache_dir=f"{work}/cache",
            trust_pickle=True,
        )
        names = [registry.register(workload.training_result(model, i)) for i in range(3)]
        registry.promote_to_production(names[0])
        flip = list(range(_WARM + 1))  # each call moves production to the other of names[0:2]
        doomed = [registry.register(workload.training_result(model, 20 + i)) for i in range(8)]
        first_file = next(iter((registry.stored_metadata(names[1]) or {})["files"]))
        operations: dict[str, Callable[[], object]] = {
            "register": lambda: registry.register(workload.training_result(model, 9)),
            "promote (already production: status checked only)": lambda: (
                registry.promote_to_production(names[1])
            ),
            "promote (a move, as `compare_mlflow.py` times it)": lambda: (
                registry.promote_to_production(names[flip.pop() % 2])
            ),
            "rollback (production back to the version before)": lambda: registry.rollback(),
            "delete a version": lambda: registry.delete_version(doomed.pop()),
            "load by version": lambda: registry.load_version(names[1]),
            "load production": lambda: registry.load_version("latest"),
            "production metadata": lambda: registry.get_version_info("latest"),
            "filter (2 metrics) + limit 10": lambda: registry.list_versions(
                **workload.FILTER, limit=workload.LIMIT
            ),
            "latest 10": lambda: registry.list_versions(limit=workload.LIMIT),
            "the server's filtered latest 10 (a full page and X-Total-Count)": lambda: (
                page_and_total(registry, _FULL_PAGE)
            ),
            "open an artifact (a download)": lambda: registry.open_artifact(
                names[1], first_file
            ).close(),
        }
        for label, operation in operations.items():
            for _ in range(_WARM):
                operation()
            trips.take()
            opcodes, calls = python_work(operation)
            print(f"| {label} | {describe(trips.take(), 1)} | {opcodes:,} ({calls:,}) |")
        registry.close()


def python_work(operation: Callable[[], object]) -> tuple[int, int]:
    """The Python bytecodes and function calls (generator resumptions included) of one call."""
    counts = [0, 0]

    def trace(frame: FrameType, event: str, _arg: Any) -> Any:
        if event == "opcode":
            counts[0] += 1
        elif event == "call":
            counts[1] += 1
            frame.f_trace_opcodes = True
        return trace

    sys.settrace(trace)
    try:
        operation()
    finally:
        sys.settrace(None)
    return counts[0], counts[1]


def page_and_total(registry: ModelRegistry, query: VersionQuery) -> object:
    """What `GET /api/versions` reads for a full page: the page and its total (a checkout
    without `find_page` lists, then counts, as its route did)."""
    find_page = getattr(registry, "find_page", None)
    if find_page is not None:
        return find_page(query)
    return registry.find_versions(query), registry.count_versions(query)


if __name__ == "__main__":
    main()
