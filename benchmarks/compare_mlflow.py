"""modelreg beside MLflow, same workload, same process, paired and interleaved.

    PY=/work/venvs/mlflow/bin/python   # a venv with `pip install -e ".[sql,s3,server,bench]"`
    $PY benchmarks/compare_mlflow.py                          # folder vs MLflow on SQLite
    $PY benchmarks/compare_mlflow.py --backend postgresql     # SQL catalog vs MLflow on PostgreSQL
    $PY benchmarks/compare_mlflow.py --server                 # modelreg server vs mlflow server
    ... --quick                                               # tiny sizes, for the test suite

The folder mode (the default) compares the folder registry with MLflow's embedded set-up
(SQLite catalog, local artifacts). `--backend postgresql` compares the SQL catalog with MLflow
embedded on the same PostgreSQL server, at the first 25 versions, then at 1,000 and 10,000
(`_catalog_vs_mlflow.py`). `--server` puts both behind their HTTP servers
(`_servers_vs_mlflow.py`). MLflow is given its pip requirements (it would otherwise infer
them in a subprocess, which takes seconds) and quiet logging; both get the same ~49 KB
scikit-learn model, metrics, features and data range. Each pair of measurements runs
interleaved (one of each per round, order alternating), so load from other processes lands
on both sides alike; ratios come with the spread of the per-round ratios. Skipped, with a
message, when mlflow is not installed; install it in its own venv, never beside the
project's packages.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import workload
from _common import (
    Timing,
    facts,
    interleaved,
    load_average,
    machine,
    measure,
    paired_ratio,
    publish,
    remove,
    scratch,
    table,
)
from _mlflow_side import MLflowSide, clone_versions, du
from _modelreg_side import ModelregSide

from modelreg import ModelRegistry

_QUERY = {**workload.FILTER, "limit": workload.LIMIT}
FULL = {"repeat": 20, "registered": 20, "sizes": [1_000, 10_000], "deletes": 10}
QUICK = {"repeat": 3, "registered": 6, "sizes": [100], "deletes": 3}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for the test suite")
    parser.add_argument("--output", type=Path, help="Markdown file to write")
    parser.add_argument(
        "--backend",
        choices=["folder", "postgresql"],
        default="folder",
        help="modelreg's side: the folder registry (MLflow on SQLite) or the SQL catalog "
        "(both on PostgreSQL)",
    )
    parser.add_argument(
        "--server", action="store_true", help="modelreg server vs mlflow server (PostgreSQL)"
    )
    parser.add_argument(
        "--parts",
        default="reads,writes,big,scaling",
        help="with --server: which parts to run, comma-separated (default: all of "
        "reads,writes,big,scaling; e.g. reads,scaling leaves out the writes and the 1 GiB file)",
    )
    parser.add_argument("--rounds", type=int, help="with --server: rounds per scenario (3)")
    parser.add_argument("--seconds", type=float, help="with --server: seconds per round (8)")
    parser.add_argument(
        "--client",
        choices=["wrk", "httpx"],
        help="with --server: the load generator (default wrk when installed, else httpx)",
    )
    args = parser.parse_args()
    try:
        import mlflow  # noqa: F401
    except ImportError:
        print(
            "mlflow is not installed: skipping the comparison. Run it from its own venv:\n"
            "  python -m venv /tmp/mlflow-venv && "
            "/tmp/mlflow-venv/bin/pip install -e '.[sql,s3,server,bench]'\n"
            "  /tmp/mlflow-venv/bin/python benchmarks/compare_mlflow.py"
        )
        return
    if args.server:
        from functools import partial

        from _servers_vs_mlflow import compare as server_compare

        parts = frozenset(p.strip() for p in args.parts.split(",") if p.strip())
        run = partial(
            server_compare,
            parts=parts,
            rounds=args.rounds,
            seconds=args.seconds,
            client=args.client,
        )
        default = "mlflow-server.md"
    elif args.backend == "postgresql":
        from _catalog_vs_mlflow import compare as run

        default = "mlflow-postgresql.md"
    else:
        run, default = _compare, "mlflow.md"
    report = run(quick=args.quick)
    if report is None:
        return
    publish(report, args.output, default, quick=args.quick)


def _compare(*, quick: bool) -> str:
    import mlflow

    plan = QUICK if quick else FULL
    info = machine()
    info["mlflow"] = mlflow.__version__
    model = workload.train()
    work = scratch("mlflow")
    try:
        ours = ModelregSide(work / "models", model)
        theirs = _sqlite_mlflow(work / "mlflow", model)
        rows = []
        for label, method, repeat in _operations(plan):
            timings = interleaved(
                {"ours": getattr(ours, method), "theirs": getattr(theirs, method)}, repeat
            )
            a, b = timings["ours"], timings["theirs"]
            rows.append([label, a.cell(), b.cell(), paired_ratio(a, b)])
        timings = interleaved(
            {
                "ours": partial(ours.delete_oldest, du),
                "theirs": partial(theirs.delete_oldest, work / "mlflow" / "artifacts"),
            },
            plan["deletes"],
        )
        a, b = timings["ours"], timings["theirs"]
        rows.append(["delete one version (cleanup)", a.cell(), b.cell(), paired_ratio(a, b)])
        freed = [
            "disk freed per deleted version",
            _size(ours.freed),
            _size(theirs.freed),
            "MLflow keeps the artifacts" if theirs.freed == 0 else "",
        ]
        ours.close()
        listing = _listings(plan, model, work)
        cold = _cold(work / "cold", model)
        return (
            "# modelreg beside MLflow (embedded: SQLite catalog, local artifacts)\n\n"
            + facts(info)
            + f"\n- load average at the end: {load_average()}"
            + "\n\nmedian (spread) of wall-clock time, paired interleaved runs; ratio = "
            "MLflow / modelreg (higher: modelreg faster), with the IQR of the per-round ratios.\n\n"
            + table(["operation", "modelreg", "MLflow", "ratio"], [*rows, freed])
            + "\n\n"
            + listing
            + "\n\n"
            + cold
            + "\n"
        )
    finally:
        remove(work)


def _sqlite_mlflow(root: Path, model: Any) -> MLflowSide:
    root.mkdir(parents=True)
    return MLflowSide(f"sqlite:///{root}/mlflow.db", f"{root}/artifacts", model)


def _operations(plan: dict[str, Any]) -> list[tuple[str, str, int]]:
    repeat = plan["repeat"]
    return [
        ("register small model", "register", plan["registered"]),
        ("promote (MLflow: set alias)", "promote", repeat),
        ("load by version", "load_version", repeat),
        ("load production (MLflow: @alias)", "load_alias", repeat),
        ("compare two versions' metrics", "compare", repeat),
        ("search: 2 metric filters, limit 10", "search", repeat),
        ("list all versions", "list_all", repeat),
    ]


def _size(n: float) -> str:
    return f"{n / 1024:.0f} KiB"


# --- large listings ---------------------------------------------------------------------------


def _listings(plan: dict[str, Any], model: Any, work: Path) -> str:
    rows = []
    for size in plan["sizes"]:
        ours = ModelRegistry(workload_root := work / f"ours-{size}" / "models", auto_cleanup=False)
        workload.build_registry(workload_root, size, model)
        ours.list_versions(limit=1)  # builds the index, as any first listing does
        theirs = _sqlite_mlflow(work / f"mlflow-{size}", model)
        theirs.register()
        clone_versions(theirs.uri, theirs, size - 1)
        repeat = plan["repeat"] if size < 10_000 else 5
        for label, a, b in (
            ("list all", ours.list_versions, theirs.list_all),
            (
                "search: 2 metric filters, limit 10",
                partial(ours.list_versions, **_QUERY),
                theirs.search,
            ),
        ):
            timings = interleaved({"ours": a, "theirs": b}, repeat)
            ta, tb = timings["ours"], timings["theirs"]
            label = f"{label} ({size:,} versions)"
            rows.append([label, ta.cell(), tb.cell(), paired_ratio(ta, tb)])
        ours.close()
    return "## Large registries\n\n" + table(["operation", "modelreg", "MLflow", "ratio"], rows)


# --- cold starts ------------------------------------------------------------------------------


def _cold(root: Path, model: Any) -> str:
    workload.build_registry(root, 1_000, model)
    ModelRegistry(root).list_versions(limit=1)
    python = sys.executable
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}

    def run(*command: str) -> Timing:
        return measure(
            lambda: subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env), 5
        )

    ours = run(python, "-m", "modelreg", "--registry", str(root), "list", "--json")
    mlflow_import = run(python, "-c", "import mlflow")
    bare = run(python, "-c", "pass")
    without_startup = (mlflow_import.median - bare.median) / (ours.median - bare.median)
    rows = [
        ["`modelreg list --json`, 1,000 versions (whole process)", ours.cell()],
        ["`python -c 'import mlflow'` (whole process)", mlflow_import.cell()],
        ["`python -c pass` (interpreter start-up)", bare.cell()],
    ]
    return (
        "## Cold start\n\n"
        + table(["command", "time"], rows)
        + f"\n\nimport mlflow / modelreg list = {mlflow_import.median / ours.median:.1f}x "
        + f"(interpreter start-up subtracted from both: {without_startup:.1f}x)."
    )


if __name__ == "__main__":
    main()
