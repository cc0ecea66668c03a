"""MLflow's side of every comparison: the same operations through its client, and a fast fill.

`MLflowSide` speaks to any tracking URI: a SQLite or PostgreSQL store (embedded: the client
opens the database itself) or `http://` (a `mlflow server`). Each operation is the closest
equivalent of modelreg's: register = a run with params and metrics plus `log_model` with
`registered_model_name`; promote = the `production` alias; production metadata = the
version behind the alias plus its run (where the metrics live); filtered search = runs with
two metric filters, newest first, limit 10; latest 10 = model versions, newest first.
"""

from __future__ import annotations

import random
import uuid
from pathlib import Path
from typing import Any

import workload

NAME = "bench"
REQUIREMENTS = ["scikit-learn"]
_FILTER = "metrics.direction_accuracy >= 0.55 and metrics.rmse <= 0.03"
#: the tables `log_model` with a registered name writes, keyed by run (copied by the fast fill)
_RUN_TABLES = ("runs", "params", "tags", "metrics", "latest_metrics")


def quiet() -> None:
    """MLflow's own INFO lines (one per run and version) would bury the report."""
    import logging
    import os

    os.environ.setdefault("MLFLOW_ENABLE_ASYNC_LOGGING", "false")
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.ERROR)


class MLflowSide:
    """One registered model in MLflow, driven through its public client."""

    def __init__(self, uri: str, artifacts: str, model: Any, *, experiment: str = "bench") -> None:
        import mlflow
        from mlflow import MlflowClient

        quiet()
        mlflow.set_tracking_uri(uri)
        mlflow.set_registry_uri(uri)
        self.uri = uri
        self.client = MlflowClient(uri, uri)
        found = self.client.get_experiment_by_name(experiment)
        self.experiment = (
            found.experiment_id
            if found is not None
            else self.client.create_experiment(experiment, artifact_location=artifacts)
        )
        if not self.client.search_registered_models(f"name = '{NAME}'"):
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
                pip_requirements=REQUIREMENTS,  # inferring them takes seconds: not measured
            )
        self.versions.append(str(info.registered_model_version))

    def register_and_promote(self) -> None:
        self.register()
        self.client.set_registered_model_alias(NAME, "production", self.versions[-1])

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

    def production_metadata(self) -> dict[str, Any]:
        version = self.client.get_model_version_by_alias(NAME, "production")
        run = self.client.get_run(version.run_id)
        return {"version": version.version, **run.data.metrics, **run.data.params}

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
            _FILTER,
            max_results=workload.LIMIT,
            order_by=["attributes.start_time DESC"],
        )

    def latest(self) -> None:
        self.client.search_model_versions(
            f"name = '{NAME}'", max_results=workload.LIMIT, order_by=["version_number DESC"]
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

    def delete_oldest(self, artifacts: Path) -> None:
        before = du(artifacts)
        self.client.delete_model_version(NAME, self.versions.pop(0))
        self.freed = before - du(artifacts)


def du(path: Path) -> int:
    """Bytes of the files below `path`, but modelreg's index (a cache whose WAL grows)."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and ".index" not in p.parts)


def _data_params(features: list[str]) -> dict[str, str]:
    return {
        "features": ",".join(features),
        "data_start": workload.DATA_RANGE["start"],
        "data_end": workload.DATA_RANGE["end"],
    }


def clone_versions(
    database_url: str, side: MLflowSide, count: int, *, first: int = 0, seed: int = 1
) -> None:
    """MLflow's fast fill: copy the rows its API wrote for one run and version, `count` times.

    Works on any SQL store (SQLite or PostgreSQL). The copies are older than every version
    registered through the API (earlier start times), each with metrics of its own.
    """
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    try:
        tables = sa.MetaData()
        tables.reflect(engine, only=[*_RUN_TABLES, "model_versions"])
        template = side.client.get_model_version(NAME, side.versions[0])
        with engine.begin() as conn:
            copies = {
                name: [dict(r._mapping) for r in conn.execute(_where(tables, name, template))]
                for name in _RUN_TABLES
            }
            (version_row,) = conn.execute(
                sa.select(tables.tables["model_versions"]).where(
                    tables.tables["model_versions"].c.name == NAME,
                    tables.tables["model_versions"].c.version == int(template.version),
                )
            ).mappings()
            top = conn.execute(
                sa.select(sa.func.max(tables.tables["model_versions"].c.version))
            ).scalar_one()
            rng = random.Random(seed)
            batch: dict[str, list[dict[str, Any]]] = {name: [] for name in copies}
            batch["model_versions"] = []
            for i in range(count):
                run = uuid.uuid4().hex
                values = workload.metrics(rng)
                for name, rows in copies.items():
                    for row in rows:
                        record = {**row, "run_uuid": run}
                        if "start_time" in record:
                            record["start_time"] = 1_500_000_000_000 + (first + i) * 60_000
                        if name in ("metrics", "latest_metrics"):
                            record["value"] = values.get(record["key"], record["value"])
                        batch[name].append(record)
                batch["model_versions"].append(
                    {**version_row, "version": top + i + 1, "run_id": run}
                )
                if len(batch["model_versions"]) >= 1000 or i == count - 1:
                    for name, records in batch.items():
                        if records:
                            conn.execute(tables.tables[name].insert(), records)
                            records.clear()
    finally:
        engine.dispose()


def _where(tables: Any, name: str, template: Any) -> Any:
    table = tables.tables[name]
    return table.select().where(table.c.run_uuid == template.run_id)
