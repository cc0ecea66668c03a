"""`import_from_mlflow` against a real MLflow registry in SQLite, with local artifacts.

Versions, order, metadata, aliases as channels, identical predictions, the second run that
copies nothing, an alias moved in MLflow, and an MLflow side that is never written to.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from modelreg import ModelRegistry
from modelreg.importers import MlflowImportReport, import_from_mlflow
from modelreg.versions import sort_newest_first

from .conftest import sqlite_fingerprint, tree_fingerprint
from .mlflow_builder import INPUT, WIDE_PARAMS, Built, _frame, tracking

LIGHTGBM_MODEL = "demand-forecast-137644d2"  # "demand forecast", spelled by our rule


def _by_model(reports: list[MlflowImportReport]) -> dict[str, MlflowImportReport]:
    return {r.mlflow_model: r for r in reports}


def _names(registry: ModelRegistry) -> dict[int, str]:
    """MLflow version number -> modelreg version name, from each version's lineage."""
    found = {}
    for summary in registry.list_versions():
        meta = registry.stored_metadata(summary.version) or {}
        found[int(meta["lineage"]["source"]["version"])] = summary.version
    return dict(sorted(found.items()))


def _pyfunc_predict(registry: ModelRegistry, version: str) -> Any:
    import mlflow.pyfunc

    loaded = registry.load_version(version)
    assert loaded is not None
    return np.asarray(mlflow.pyfunc.load_model(str(loaded.model.path)).predict(_frame()))


def test_every_live_version_arrives_in_order_with_its_metadata(
    mlflow_sqlite: Built, tmp_path: Path
) -> None:
    reports = _by_model(import_from_mlflow(mlflow_sqlite.uri, tmp_path / "models"))
    assert set(reports) == {"churn", "demand forecast", "wide"}
    churn = reports["churn"]
    assert [c.mlflow_version for c in churn.copied] == [1, 3, 4]
    assert [(s.mlflow_version, s.reason) for s in churn.skipped] == [(2, "deleted in MLflow")]
    assert churn.bytes == sum(c.bytes for c in churn.copied) > 0
    registry = ModelRegistry(tmp_path / "models", model="churn")
    names = _names(registry)
    assert list(names) == [1, 3, 4]
    assert sort_newest_first(list(names.values())) == [names[4], names[3], names[1]]
    assert [c.version for c in churn.copied] == [names[1], names[3], names[4]]

    meta = registry.stored_metadata(names[3])
    assert meta is not None
    assert meta["metrics"] == pytest.approx({"rmse": 0.1 / 3, "direction_accuracy": 0.53})
    assert meta["hyperparameters"] == {"alpha": "3", "solver": "auto"}
    assert meta["features"] == ["ema_20", "rsi_14", "vol_20"]
    assert meta["data_range"] == {"start": "2025-01-01T00:00:00Z", "end": "2025-06-30T00:00:00Z"}
    assert meta["description"] == "the good one"
    assert meta["tags"] == {
        "owner": "alice",
        "data_range": "2025-01-01:2025-06-30",
        "reviewed": "yes",
    }
    assert meta["registered_at"] < meta["lineage"]["imported_at"]
    assert meta["training_date"] <= meta["registered_at"]
    assert "v3: metric(s) unstable left out (not finite)" in churn.notes
    source = meta["lineage"]["source"]
    assert source["system"] == "mlflow" and source["tracking_uri"] == mlflow_sqlite.uri
    assert (source["model"], source["version"]) == ("churn", "3") and source["run_id"]
    assert source["model_description"] == "who leaves" and source["model_tags"] == {"team": "crm"}
    assert registry.model_info() == {
        "model": "churn",
        "description": "who leaves",
        "tags": {"team": "crm"},
    }
    assert registry.stored_metadata(names[4])["data_range"]["start"] == "2025-02-01T00:00:00Z"
    assert registry.verify().ok


def test_imported_models_predict_what_mlflow_predicts(mlflow_sqlite: Built, tmp_path: Path) -> None:
    import_from_mlflow(mlflow_sqlite.uri, tmp_path / "models")
    for mlflow_model, model in (("churn", "churn"), ("demand forecast", LIGHTGBM_MODEL)):
        registry = ModelRegistry(tmp_path / "models", model=model)
        for number, name in _names(registry).items():
            expected = mlflow_sqlite.predictions[mlflow_model, number]
            np.testing.assert_array_equal(_pyfunc_predict(registry, name), expected)


@pytest.mark.parametrize("model_format", ["safe", "pickle"])
def test_converted_models_predict_the_same_without_mlflow(
    mlflow_sqlite: Built, tmp_path: Path, model_format: str
) -> None:
    import_from_mlflow(mlflow_sqlite.uri, tmp_path / "models", model_format=model_format)
    expected_flavors = {
        "churn": ("sklearn", "pickle"),
        LIGHTGBM_MODEL: ("lightgbm", "pickle"),
        "wide": ("xgboost", "pickle"),
    }
    mlflow_names = {"churn": "churn", LIGHTGBM_MODEL: "demand forecast", "wide": "wide"}
    for model, flavors in expected_flavors.items():
        registry = ModelRegistry(tmp_path / "models", model=model)
        for number, name in _names(registry).items():
            meta = registry.stored_metadata(name) or {}
            assert meta["model"]["flavor"] == flavors[model_format == "pickle"]
            loaded = registry.load_version(name, trust_pickle=model_format == "pickle")
            assert loaded is not None
            predicted = np.asarray(loaded.model.predict(_frame()))
            expected = mlflow_sqlite.predictions[mlflow_names[model], number]
            np.testing.assert_allclose(predicted, expected, rtol=1e-6)


def test_aliases_become_channels(mlflow_sqlite: Built, tmp_path: Path) -> None:
    reports = _by_model(import_from_mlflow(mlflow_sqlite.uri, tmp_path / "models"))
    churn = ModelRegistry(tmp_path / "models", model="churn")
    names = _names(churn)
    assert churn.channels() == {"champion": names[3], "production": names[1]}
    assert reports["churn"].channels == churn.channels()
    assert churn.current_version() == names[1]
    assert churn.get_version_info("latest")["deployment_status"] == "production"
    assert [e.reason for e in churn.history("champion")] == ["mlflow alias @champion: churn v3"]
    forecast = ModelRegistry(tmp_path / "models", model=LIGHTGBM_MODEL)
    assert forecast.channels() == {"staging": _names(forecast)[2]}  # @Staging, lower-cased


def test_a_run_with_thousands_of_params(mlflow_sqlite: Built, tmp_path: Path) -> None:
    (report,) = import_from_mlflow(mlflow_sqlite.uri, tmp_path / "models", models=["wide"])
    registry = ModelRegistry(tmp_path / "models", model="wide")
    meta = registry.stored_metadata(report.copied[0].version) or {}
    assert len(meta["hyperparameters"]) == WIDE_PARAMS
    assert meta["hyperparameters"]["feature_weight_2999"] == str(2999 / WIDE_PARAMS)


def test_a_second_run_copies_nothing_and_moves_moved_aliases(
    mlflow_sqlite: Built, tmp_path: Path
) -> None:
    dest = tmp_path / "models"
    import_from_mlflow(mlflow_sqlite.uri, dest)
    churn = ModelRegistry(dest, model="churn")
    before = (_names(churn), len(churn.events()))
    again = _by_model(import_from_mlflow(mlflow_sqlite.uri, dest))
    assert all(r.copied == [] and r.channels == {} for r in again.values())
    assert again["churn"].present == [1, 3, 4]
    assert (_names(churn), len(churn.events())) == before

    with tracking(mlflow_sqlite.uri) as mlflow:
        client = mlflow.MlflowClient(mlflow_sqlite.uri)
        client.set_registered_model_alias("churn", "champion", "4")
        client.set_registered_model_alias("churn", "canary", "1")
    third = _by_model(import_from_mlflow(mlflow_sqlite.uri, dest, models=["churn"]))
    names = before[0]
    assert third["churn"].copied == []
    assert third["churn"].channels == {"champion": names[4], "canary": names[1]}
    assert churn.channels() == {"champion": names[4], "canary": names[1], "production": names[1]}
    assert [e.previous for e in churn.history("champion")] == [None, names[3]]


def test_a_new_mlflow_version_lands_after_the_others(mlflow_sqlite: Built, tmp_path: Path) -> None:
    dest = tmp_path / "models"
    import_from_mlflow(mlflow_sqlite.uri, dest, models=["churn"])
    with tracking(mlflow_sqlite.uri) as mlflow:
        client = mlflow.MlflowClient(mlflow_sqlite.uri)
        source = client.get_model_version("churn", "4").source
        client.create_model_version(
            "churn", source, run_id=client.get_model_version("churn", "4").run_id
        )
    (report,) = import_from_mlflow(mlflow_sqlite.uri, dest, models=["churn"])
    assert [c.mlflow_version for c in report.copied] == [5]
    names = _names(ModelRegistry(dest, model="churn"))
    assert sort_newest_first(list(names.values()))[0] == names[5]


def test_nothing_is_written_to_mlflow(mlflow_sqlite: Built, tmp_path: Path) -> None:
    database = sqlite_fingerprint(mlflow_sqlite.uri)
    files = tree_fingerprint(mlflow_sqlite.artifacts)
    assert len(files) > 20
    for model_format in ("mlflow", "safe"):
        import_from_mlflow(mlflow_sqlite.uri, tmp_path / model_format, model_format=model_format)
    import_from_mlflow(mlflow_sqlite.uri, tmp_path / "mlflow")
    assert sqlite_fingerprint(mlflow_sqlite.uri) == database
    assert tree_fingerprint(mlflow_sqlite.artifacts) == files


def test_a_dry_run_lists_and_writes_nothing(mlflow_sqlite: Built, tmp_path: Path) -> None:
    dest = tmp_path / "models"
    planned = _by_model(import_from_mlflow(mlflow_sqlite.uri, dest, dry_run=True))
    assert not dest.exists()
    done = _by_model(import_from_mlflow(mlflow_sqlite.uri, dest))
    for name, report in planned.items():
        assert report.dry_run and not done[name].dry_run
        assert report.copied == done[name].copied  # names, numbers and bytes
        assert report.channels == done[name].channels
        assert report.skipped == done[name].skipped
    assert planned["churn"].bytes > 0


def test_a_sql_catalog_destination(mlflow_sqlite: Built, tmp_path: Path) -> None:
    pytest.importorskip("sqlalchemy")
    catalog = f"sqlite:///{tmp_path / 'catalog.db'}"
    options = {"artifacts": str(tmp_path / "blobs")}
    import_from_mlflow(mlflow_sqlite.uri, catalog, models=["churn"], dest_options=options)
    registry = ModelRegistry(catalog, model="churn", **options)
    try:
        names = _names(registry)
        assert list(names) == [1, 3, 4] and registry.current_version() == names[1]
        np.testing.assert_array_equal(
            _pyfunc_predict(registry, names[3]), mlflow_sqlite.predictions["churn", 3]
        )
        again = import_from_mlflow(
            mlflow_sqlite.uri, catalog, models=["churn"], dest_options=options
        )
        assert again[0].copied == [] and again[0].present == [1, 3, 4]
    finally:
        registry.close()


def test_input_is_what_the_models_were_built_for() -> None:
    assert INPUT.shape == (12, 3)


def test_a_registry_server_destination(mlflow_sqlite: Built, tmp_path: Path) -> None:
    pytest.importorskip("fastapi")
    from server.support import WRITE_TOKEN, running_server

    served = ModelRegistry(tmp_path / "served")
    with running_server(served) as url:
        options = {"token": WRITE_TOKEN}
        (report,) = import_from_mlflow(
            mlflow_sqlite.uri, url, models=["churn"], dest_options=options
        )
        assert [c.mlflow_version for c in report.copied] == [1, 3, 4]
        (again,) = import_from_mlflow(
            mlflow_sqlite.uri, url, models=["churn"], dest_options=options
        )
        assert again.copied == [] and again.present == [1, 3, 4]
    churn = ModelRegistry(tmp_path / "served", model="churn")
    names = _names(churn)
    assert churn.channels() == {"champion": names[3], "production": names[1]}
    assert churn.verify().ok
