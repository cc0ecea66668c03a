"""An argument-free rollback on PostgreSQL at 1,000 and 10,000 versions: one command, Markdown out.

    python benchmarks/rollback_growth.py [--rounds 30]
    python benchmarks/rollback_growth.py --quick    # 20 and 40 versions, 2 rounds: for CI
    PYTHONPATH=/path/to/other/src python benchmarks/rollback_growth.py   # another checkout's code

A scratch database: two versions registered and promoted one after the other, then the
catalog filled (`workload.fill_catalog`) to 1,000 and to 10,000 versions and ANALYZEd. Each
round times one `rollback()` (production back to the first) and then promotes the second
again, untimed, so every round rolls back the same move. Per size: the wall and CPU
(`time.thread_time`) medians, and the round trips of one rollback (`_postgres.RoundTrips`).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import workload
from _postgres import RoundTrips, analyze, describe, reachable, schema_url, scratch_database

import modelreg
from modelreg import ModelRegistry

_SIZES, _QUICK_SIZES = (1_000, 10_000), (20, 40)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rounds, sizes = (2, _QUICK_SIZES) if args.quick else (args.rounds, _SIZES)
    logging.getLogger("modelreg").setLevel(logging.ERROR)  # each rollback's WARNING line
    why = reachable()
    if why is not None:
        print(f"PostgreSQL is not reachable ({why}): nothing to measure")
        return
    work = tempfile.mkdtemp(prefix="modelreg-rollback-")
    model = workload.train()
    print(f"code: `{Path(modelreg.__file__).parent}`; load {os.getloadavg()[0]:.1f}\n")
    print("| versions | wall median (IQR), ms | CPU median, ms | round trips |\n|---|---|---|---|")
    with scratch_database("rollback") as database, RoundTrips() as trips:
        url = schema_url(database, "modelreg")
        registry = ModelRegistry(
            url, artifacts=f"{work}/blobs", cache_dir=f"{work}/cache", trust_pickle=True
        )
        first, second = (registry.register(workload.training_result(model, i)) for i in (0, 1))
        registry.promote_to_production(first)
        registry.promote_to_production(second)
        filled = 2
        for size in sizes:
            workload.fill_catalog(url, first, size - filled, first=filled)
            filled = size
            analyze(database)
            walls, cpus = [], []
            for i in range(rounds + 1):
                trips.take()
                wall, cpu = time.perf_counter(), time.thread_time()
                registry.rollback()
                cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
                counted = trips.take()
                registry.promote_to_production(second)
                if i:  # the first warms the pool and the prepared statements
                    walls.append(wall * 1000)
                    cpus.append(cpu * 1000)
            q1, median, q3 = statistics.quantiles(walls, n=4)
            print(
                f"| {size:,} | {median:.2f} ({q1:.2f}-{q3:.2f}) | "
                f"{statistics.median(cpus):.2f} | {describe(counted, 1)} |"
            )
        registry.close()
    print(f"\nload at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
