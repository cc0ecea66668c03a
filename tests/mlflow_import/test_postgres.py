"""The same import from an MLflow registry kept in PostgreSQL (a database of its own)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from modelreg import ModelRegistry
from modelreg.importers import import_from_mlflow

from .conftest import tree_fingerprint
from .mlflow_builder import Built, _frame, tracking

pytestmark = pytest.mark.postgres


def _rows(uri: str) -> dict[str, list[tuple[object, ...]]]:
    """Every row of MLflow's registry and run tables, to prove nothing was written."""
    import sqlalchemy

    tables = (
        "registered_models",
        "model_versions",
        "registered_model_aliases",
        "runs",
        "params",
        "metrics",
        "latest_metrics",
        "tags",
        "model_version_tags",
    )
    engine = sqlalchemy.create_engine(uri)
    try:
        with engine.connect() as conn:
            return {
                t: sorted(map(tuple, conn.exec_driver_sql(f"SELECT * FROM {t}")), key=repr)
                for t in tables
            }
    finally:
        engine.dispose()


def test_import_twice_from_postgres(mlflow_postgres: Built, tmp_path: Path) -> None:
    import mlflow.pyfunc

    rows, files = _rows(mlflow_postgres.uri), tree_fingerprint(mlflow_postgres.artifacts)
    dest = tmp_path / "models"
    first = {r.mlflow_model: r for r in import_from_mlflow(mlflow_postgres.uri, dest)}
    assert [c.mlflow_version for c in first["churn"].copied] == [1, 3, 4]
    assert len(first["wide"].copied) == 1
    churn = ModelRegistry(dest, model="churn")
    names = {c.mlflow_version: c.version for c in first["churn"].copied}
    assert churn.channels() == {"champion": names[3], "production": names[1]}
    meta = churn.stored_metadata(names[3]) or {}
    assert "@" not in meta["lineage"]["source"]["tracking_uri"]
    for number, name in names.items():
        loaded = churn.load_version(name)
        assert loaded is not None
        predicted = mlflow.pyfunc.load_model(str(loaded.model.path)).predict(_frame())
        np.testing.assert_array_equal(predicted, mlflow_postgres.predictions["churn", number])

    assert _rows(mlflow_postgres.uri) == rows  # nothing was written to MLflow
    assert tree_fingerprint(mlflow_postgres.artifacts) == files
    second = import_from_mlflow(mlflow_postgres.uri, dest)
    assert all(r.copied == [] and r.channels == {} for r in second)

    with tracking(mlflow_postgres.uri) as mlflow_api:
        client = mlflow_api.MlflowClient(mlflow_postgres.uri)
        client.set_registered_model_alias("churn", "champion", "4")
    (third,) = import_from_mlflow(mlflow_postgres.uri, dest, models=["churn"])
    assert third.copied == [] and third.channels == {"champion": names[4]}
