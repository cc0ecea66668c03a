"""modelreg beside MLflow's embedded set-up (SQLite catalog, local artifacts), same workload.

    /tmp/mlflow-venv/bin/python benchmarks/compare_mlflow.py [--quick] [--output FILE]

MLflow is given its pip requirements (it would otherwise infer them in a subprocess, which
takes seconds) and quiet logging. Both registries get the same ~49 KB scikit-learn model, the
same metrics, features and data range, in the same process run, one after the other. Each
operation is the closest equivalent: register (MLflow: a run with params and metrics,
`log_model` with `registered_model_name`), promote (an alias), load by version and by alias,
compare two versions' metrics, a filtered search with a limit, list everything, delete
versions (and the disk each frees). For the large
listings both catalogs are filled by a fast path: modelreg's writes the version folders,
MLflow's copies the rows the API wrote for one version. Skipped, with a message, when mlflow is
not installed; install it in its own venv, never beside the project's packages.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import uuid
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import workload
from _common import Timing, facts, machine, measure, remove, scratch, table

from modelreg import ModelRegistry

NAME = "bench"
_REQUIREMENTS = ["scikit-learn"]
_QUERY = {**workload.FILTER, "limit": workload.LIMIT}
FULL = {"repeat": 20, "registered": 20, "sizes": [1_000, 10_000], "deletes": 10}
QUICK = {"repeat": 3, "registered": 6, "sizes": [100], "deletes": 3}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    try:
        import mlflow  # noqa: F401
    except ImportError:
        print(
            "mlflow is not installed: skipping the comparison. Run it from its own venv:\n"
            "  python -m venv /tmp/mlflow-venv && /tmp/mlflow-venv/bin/pip install mlflow -e .\n"
            "  /tmp/mlflow-venv/bin/python benchmarks/compare_mlflow.py"
        )
        return
    plan = QUICK if args.quick else FULL
    report = _compare(plan)
    print(report)
    output = args.output or (
        None if args.quick else Path(__file__).parent / "results" / "mlflow.md"
    )
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(report)
        print(f"written to {output}", file=sys.stderr)


def _compare(plan: dict[str, Any]) -> str:
    import logging

    import mlflow

    logging.getLogger("mlflow").setLevel(logging.ERROR)

    info = machine()
    info["mlflow"] = mlflow.__version__
    model = workload.train()
    work = scratch("mlflow")
    try:
        ours = _Ours(work / "models", model)
        theirs = _MLflow(work / "mlflow", model)
        rows = []
        for label, op in _operations(plan):
            a = op(ours, plan)
            b = op(theirs, plan)
            rows.append([label, a.cell(), b.cell(), f"{b.median / a.median:.1f}x"])
        freed = [
            "disk freed per deleted version",
            _size(ours.freed),
            _size(theirs.freed),
            "MLflow keeps the artifacts" if theirs.freed == 0 else "",
        ]
        listing = _listings(plan, model, work)
        cold = _cold(work / "cold", model)
        return (
            "# modelreg beside MLflow (embedded: SQLite catalog, local artifacts)\n\n"
            + facts(info)
            + "\n\nmedian (spread) of wall-clock time; ratio = MLflow / modelreg "
            "(higher: modelreg faster).\n\n"
            + table(["operation", "modelreg", "MLflow", "ratio"], [*rows, freed])
            + "\n\n"
            + listing
            + "\n\n"
            + cold
            + "\n"
        )
    finally:
        remove(work)


def _operations(plan: dict[str, Any]) -> list[tuple[str, Any]]:
    return [
        ("register small model", lambda r, p: measure(r.register, p["registered"])),
        ("promote (MLflow: set alias)", lambda r, p: measure(r.promote, p["repeat"])),
        ("load by version", lambda r, p: measure(r.load_version, p["repeat"])),
        ("load production (MLflow: @alias)", lambda r, p: measure(r.load_alias, p["repeat"])),
        ("compare two versions' metrics", lambda r, p: measure(r.compare, p["repeat"])),
        ("search: 2 metric filters, limit 10", lambda r, p: measure(r.search, p["repeat"])),
        ("list all versions", lambda r, p: measure(r.list_all, p["repeat"])),
        ("delete one version (cleanup)", lambda r, p: measure(r.delete_oldest, p["deletes"])),
    ]


def _size(n: float) -> str:
    return f"{n / 1024:.0f} KiB"


def _du(path: Path) -> int:
    """Bytes of the files below `path`, but modelreg's index (a cache whose WAL grows)."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and ".index" not in p.parts)


class _Ours:
    def __init__(self, root: Path, model: Any) -> None:
        self.registry = ModelRegistry(root, auto_cleanup=False)
        self.model = model
        self.names: list[str] = []
        self.seed = 0
        self.freed = 0.0
        self.flip = 0

    def register(self) -> None:
        self.seed += 1
        result = workload.training_result(self.model, self.seed)
        self.names.append(self.registry.register(result, workload.DATA_RANGE))

    def promote(self) -> None:
        self.flip += 1
        self.registry.promote_to_production(self.names[-1 - self.flip % 2])

    def load_version(self) -> None:
        assert self.registry.load_version(self.names[-3]) is not None

    def load_alias(self) -> None:
        assert self.registry.load_version("latest") is not None

    def compare(self) -> None:
        self.registry.compare_versions(self.names[-1], self.names[-2])

    def search(self) -> None:
        self.registry.list_versions(**workload.FILTER, limit=workload.LIMIT)

    def list_all(self) -> None:
        self.registry.list_versions()

    def delete_oldest(self) -> None:
        root = Path(self.registry.path)
        before = _du(root)
        name = self.names.pop(0)
        assert self.registry.delete_version(name)
        self.freed = before - _du(root)


class _MLflow:
    def __init__(self, root: Path, model: Any) -> None:
        import mlflow
        from mlflow import MlflowClient

        root.mkdir(parents=True)
        self.root = root
        uri = f"sqlite:///{root}/mlflow.db"
        mlflow.set_tracking_uri(uri)
        mlflow.set_registry_uri(uri)
        self.experiment = mlflow.create_experiment("bench", artifact_location=f"{root}/artifacts")
        self.client = MlflowClient(uri, uri)
        self.client.create_registered_model(NAME)
        self.model = model
        self.versions: list[str] = []
        self.seed = 0
        self.freed = 0.0
        self.flip = 0

    def register(self) -> None:
        import mlflow
        import mlflow.sklearn

        self.seed += 1
        result = workload.training_result(self.model, self.seed)
        with mlflow.start_run(experiment_id=self.experiment):
            mlflow.log_params({**result.hyperparameters, **_data_params(result.features)})
            mlflow.log_metrics(result.metrics)
            info = mlflow.sklearn.log_model(
                self.model,
                name="model",
                registered_model_name=NAME,
                serialization_format="pickle",
                pip_requirements=_REQUIREMENTS,  # inferring them takes seconds: not measured
            )
        self.versions.append(str(info.registered_model_version))

    def promote(self) -> None:
        self.flip += 1
        version = self.versions[-1 - self.flip % 2]
        self.client.set_registered_model_alias(NAME, "production", version)

    def load_version(self) -> None:
        import mlflow.sklearn

        assert mlflow.sklearn.load_model(f"models:/{NAME}/{self.versions[-3]}") is not None

    def load_alias(self) -> None:
        import mlflow.sklearn

        assert mlflow.sklearn.load_model(f"models:/{NAME}@production") is not None

    def compare(self) -> None:
        runs = [
            self.client.get_run(self.client.get_model_version(NAME, v).run_id)
            for v in self.versions[-2:]
        ]
        a, b = (run.data.metrics for run in runs)
        {k: (a.get(k), b.get(k)) for k in a.keys() | b.keys()}

    def search(self) -> None:
        self.client.search_runs(
            [self.experiment],
            "metrics.direction_accuracy >= 0.55 and metrics.rmse <= 0.03",
            max_results=workload.LIMIT,
            order_by=["attributes.start_time DESC"],
        )

    def list_all(self) -> None:
        token = None
        while True:
            page = self.client.search_model_versions(
                f"name = '{NAME}'", max_results=10_000, page_token=token
            )
            token = page.token
            if not token:
                return

    def delete_oldest(self) -> None:
        before = _du(self.root / "artifacts")
        self.client.delete_model_version(NAME, self.versions.pop(0))
        self.freed = before - _du(self.root / "artifacts")


def _data_params(features: list[str]) -> dict[str, str]:
    return {
        "features": ",".join(features),
        "data_start": workload.DATA_RANGE["start"],
        "data_end": workload.DATA_RANGE["end"],
    }


# --- large listings ---------------------------------------------------------------------------


def _listings(plan: dict[str, Any], model: Any, work: Path) -> str:
    rows = []
    for size in plan["sizes"]:
        ours = ModelRegistry(workload_root := work / f"ours-{size}" / "models", auto_cleanup=False)
        workload.build_registry(workload_root, size, model)
        ours.list_versions(limit=1)  # builds the index, as any first listing does
        theirs = _MLflow(work / f"mlflow-{size}", model)
        theirs.register()
        _clone_versions(theirs, size - 1)
        repeat = plan["repeat"] if size < 10_000 else 5
        for label, a, b in (
            ("list all", ours.list_versions, theirs.list_all),
            (
                "search: 2 metric filters, limit 10",
                partial(ours.list_versions, **_QUERY),
                theirs.search,
            ),
        ):
            ta, tb = measure(a, repeat), measure(b, repeat)
            rows.append([f"{label} ({size:,} versions)", ta.cell(), tb.cell(), _ratio(ta, tb)])
        ours.close()
    return "## Large registries\n\n" + table(["operation", "modelreg", "MLflow", "ratio"], rows)


def _ratio(ours: Timing, theirs: Timing) -> str:
    return f"{theirs.median / ours.median:.1f}x"


def _clone_versions(theirs: _MLflow, count: int) -> None:
    """MLflow's fast path: copy the rows the API wrote for one run and version, `count` times."""
    import random

    db = sqlite3.connect(theirs.root / "mlflow.db")
    run_id = theirs.client.get_model_version(NAME, theirs.versions[0]).run_id
    copies = {
        table: _rows(db, table, "run_uuid", run_id)
        for table in ("runs", "params", "tags", "metrics", "latest_metrics")
    }
    versions = _rows(db, "model_versions", "version", int(theirs.versions[0]))
    rng = random.Random(1)
    for i in range(count):
        new_run = uuid.uuid4().hex
        values = workload.metrics(rng)
        for name, (columns, rows) in copies.items():
            for row in rows:
                record = dict(zip(columns, row, strict=True))
                record["run_uuid"] = new_run
                if "start_time" in record:
                    record["start_time"] = (record["start_time"] or 0) + i + 1
                if name in ("metrics", "latest_metrics"):
                    record["value"] = values.get(record["key"], record["value"])
                _insert(db, name, record)
        columns, rows = versions
        record = dict(zip(columns, rows[0], strict=True))
        record.update(version=i + 2, run_id=new_run)
        _insert(db, "model_versions", record)
    db.commit()
    db.close()


def _rows(db: sqlite3.Connection, table: str, key: str, value: Any) -> tuple[list[str], list[Any]]:
    cursor = db.execute(f"SELECT * FROM {table} WHERE {key} = ?", (value,))
    return [c[0] for c in cursor.description], cursor.fetchall()


def _insert(db: sqlite3.Connection, table: str, record: dict[str, Any]) -> None:
    names = ", ".join(record)
    marks = ", ".join("?" for _ in record)
    db.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(record.values()))


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
