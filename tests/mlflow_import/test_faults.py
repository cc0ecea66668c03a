"""What goes wrong on either side: unreadable artifacts, stores that are not there, a channel
moved by hand, a version deleted here, MLflow not installed."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from modelreg import ModelRegistry
from modelreg.errors import InvalidInputError, MissingDependencyError, StorageError
from modelreg.importers import import_from_mlflow
from modelreg.importers.mlflow_source import UnreadableArtifact, describe_model_folder
from modelreg.versions import sort_newest_first

from .conftest import tree_fingerprint
from .mlflow_builder import Built, build_small_registry, tracking


def test_an_unreadable_artifact_is_named_and_the_rest_goes_on(tmp_path: Path) -> None:
    built = build_small_registry(tmp_path / "mlflow", versions=3)
    with tracking(built.uri) as mlflow:
        broken = mlflow.MlflowClient(built.uri).get_model_version_download_uri("small", "2")
    shutil.rmtree(broken.removeprefix("file://"))
    (report,) = import_from_mlflow(built.uri, tmp_path / "models")
    assert [c.mlflow_version for c in report.copied] == [1, 3]
    ((number, reason),) = [(s.mlflow_version, s.reason) for s in report.skipped]
    assert number == 2 and "its model files cannot be used" in reason and broken in reason
    (dry,) = import_from_mlflow(built.uri, tmp_path / "models", dry_run=True)
    assert dry.skipped[0].mlflow_version == 2 and "holds no model files" in dry.skipped[0].reason


def test_a_version_readable_later_slots_in_where_its_number_puts_it(tmp_path: Path) -> None:
    built = build_small_registry(tmp_path / "mlflow", versions=3, same_second=True)
    with tracking(built.uri) as mlflow:
        broken = mlflow.MlflowClient(built.uri).get_model_version_download_uri("small", "2")
    folder = Path(broken.removeprefix("file://"))
    aside = folder.rename(folder.with_name("aside"))
    (first,) = import_from_mlflow(built.uri, tmp_path / "models")
    assert [c.mlflow_version for c in first.copied] == [1, 3]
    aside.rename(folder)
    (second,) = import_from_mlflow(built.uri, tmp_path / "models")
    assert [c.mlflow_version for c in second.copied] == [2] and second.notes == []
    names = {c.mlflow_version: c.version for c in first.copied + second.copied}
    assert sort_newest_first(list(names.values())) == [names[3], names[2], names[1]]


def test_a_version_deleted_here_is_not_brought_back(mlflow_sqlite: Built, tmp_path: Path) -> None:
    dest = tmp_path / "models"
    (first,) = import_from_mlflow(mlflow_sqlite.uri, dest, models=["churn"])
    oldest = first.copied[-1].version  # v4: no channel holds it
    assert ModelRegistry(dest, model="churn").delete_version(oldest, reason="not wanted")
    (again,) = import_from_mlflow(mlflow_sqlite.uri, dest, models=["churn"])
    assert again.copied == []
    assert (4, f"deleted here since an earlier import ({oldest})") in [
        (s.mlflow_version, s.reason) for s in again.skipped
    ]


def test_a_channel_moved_in_modelreg_is_left_alone(mlflow_sqlite: Built, tmp_path: Path) -> None:
    dest = tmp_path / "models"
    (first,) = import_from_mlflow(mlflow_sqlite.uri, dest, models=["churn"])
    registry = ModelRegistry(dest, model="churn")
    names = {c.mlflow_version: c.version for c in first.copied}
    registry.promote(names[4], "champion", reason="we prefer v4")
    with tracking(mlflow_sqlite.uri) as mlflow:
        mlflow.MlflowClient(mlflow_sqlite.uri).set_registered_model_alias("churn", "champion", "1")
    (again,) = import_from_mlflow(mlflow_sqlite.uri, dest, models=["churn"])
    assert registry.current_version("champion") == names[4] and again.channels == {}
    assert any("channel champion was moved in modelreg" in n for n in again.notes)


def test_an_alias_removed_in_mlflow_leaves_the_channel_and_says_so(
    mlflow_sqlite: Built, tmp_path: Path
) -> None:
    dest = tmp_path / "models"
    import_from_mlflow(mlflow_sqlite.uri, dest, models=["churn"])
    with tracking(mlflow_sqlite.uri) as mlflow:
        mlflow.MlflowClient(mlflow_sqlite.uri).delete_registered_model_alias("churn", "champion")
    (again,) = import_from_mlflow(mlflow_sqlite.uri, dest, models=["churn"])
    assert ModelRegistry(dest, model="churn").current_version("champion") is not None
    assert any("no longer has the alias of champion" in n for n in again.notes)


def test_a_missing_database_is_refused_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "mlflow.db"
    with pytest.raises(InvalidInputError, match="no MLflow database"):
        import_from_mlflow(f"sqlite:///{missing}", tmp_path / "models")
    assert not missing.exists() and not missing.parent.exists()


def test_an_empty_database_is_refused_not_filled(tmp_path: Path) -> None:
    import sqlite3

    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    before = empty.read_bytes()
    with pytest.raises(InvalidInputError, match="tables are missing"):
        import_from_mlflow(f"sqlite:///{empty}", tmp_path / "models")
    assert empty.read_bytes() == before and not (tmp_path / "models").exists()


def test_a_missing_file_store_is_refused_not_created(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="not an MLflow file store"):
        import_from_mlflow(str(tmp_path / "mlruns"), tmp_path / "models")
    assert not (tmp_path / "mlruns").exists()


def test_credentials_never_reach_the_metadata_or_the_message(tmp_path: Path) -> None:
    uri = "postgresql+psycopg://bob:hunter2@127.0.0.1:9/mlflow?password=hunter2"
    with pytest.raises(StorageError) as caught:
        import_from_mlflow(uri, tmp_path / "models")
    assert "could not open the MLflow registry at postgresql+psycopg://127.0.0.1:9/mlflow" in str(
        caught.value
    )
    assert "hunter2" not in str(caught.value) and "bob" not in str(caught.value)


def test_without_mlflow_the_extra_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "mlflow", None)
    with pytest.raises(MissingDependencyError, match=r"modelreg\[mlflow\]"):
        import_from_mlflow("sqlite:///x.db", tmp_path / "models")


def test_an_unknown_model_format_is_refused_first(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="model_format"):
        import_from_mlflow("sqlite:///x.db", tmp_path / "models", model_format="onnx")


def test_a_version_without_a_run(mlflow_sqlite: Built, tmp_path: Path) -> None:
    import sqlite3

    with tracking(mlflow_sqlite.uri) as mlflow:
        client = mlflow.MlflowClient(mlflow_sqlite.uri)
        created = client.create_model_version(
            "churn", client.get_model_version("churn", "4").source
        )
    # MLflow 3 links every new version to a run; MLflow 2 registered plain folders without one
    with sqlite3.connect(mlflow_sqlite.uri.removeprefix("sqlite:///")) as db:
        db.execute("UPDATE model_versions SET run_id = NULL WHERE version = ?", (created.version,))
    (report,) = import_from_mlflow(mlflow_sqlite.uri, tmp_path / "models", models=["churn"])
    assert report.copied[-1].mlflow_version == int(created.version)
    meta = ModelRegistry(tmp_path / "models", model="churn").stored_metadata(
        report.copied[-1].version
    )
    assert meta is not None and meta["lineage"]["source"]["run_id"] is None
    assert meta["metrics"] == {} and meta["hyperparameters"] == {}
    assert meta["training_date"] == meta["registered_at"]


def test_an_mlflow_file_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    built = build_small_registry(tmp_path / "mlflow", versions=2, file_store=True)
    store = tmp_path / "mlflow"
    before = tree_fingerprint(store)
    for uri in (built.uri, str(store / "mlruns")):  # file:// or a plain path
        (report,) = import_from_mlflow(uri, tmp_path / "models")
    assert report.present == [1, 2]
    assert tree_fingerprint(store) == before


def test_a_pending_version_waits_and_keeps_its_place(mlflow_sqlite: Built, tmp_path: Path) -> None:
    import sqlite3

    database = mlflow_sqlite.uri.removeprefix("sqlite:///")

    def set_status(status: str) -> None:
        with sqlite3.connect(database) as db:
            db.execute(
                "UPDATE model_versions SET status = ? WHERE name = 'churn' AND version = 3",
                (status,),
            )

    set_status("PENDING_REGISTRATION")
    (first,) = import_from_mlflow(mlflow_sqlite.uri, tmp_path / "models", models=["churn"])
    assert [c.mlflow_version for c in first.copied] == [1, 4]
    assert (3, "MLflow status PENDING_REGISTRATION: not ready yet") in [
        (s.mlflow_version, s.reason) for s in first.skipped
    ]
    assert "@champion is not set: v3 was not copied" in first.notes
    set_status("READY")
    (second,) = import_from_mlflow(mlflow_sqlite.uri, tmp_path / "models", models=["churn"])
    assert [c.mlflow_version for c in second.copied] == [3]
    assert not any("does not sort" in n for n in second.notes)
    names = {c.mlflow_version: c.version for c in first.copied + second.copied}
    assert sort_newest_first(list(names.values())) == [names[4], names[3], names[1]]
    assert second.channels == {"champion": names[3]}


def test_an_mlmodel_signature_nested_past_the_decoder_is_unreadable(tmp_path: Path) -> None:
    """An MLflow store is foreign stored data: a signature of 5,000 brackets is an unreadable
    artifact (skipped with its reason), never a RecursionError out of the import."""
    nested = "[" * 5_000 + "]" * 5_000
    (tmp_path / "MLmodel").write_text(f"signature:\n  inputs: '{nested}'\n")
    with pytest.raises(UnreadableArtifact, match="MLmodel file cannot be read"):
        describe_model_folder(tmp_path)
