"""The catalog's schema: created in an empty database, upgraded on request, newer refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from modelreg import ModelRegistry
from modelreg.backends.sql_engine import head_revision
from modelreg.cli import cli
from modelreg.errors import SchemaVersionError


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'registry.db'}"


def test_an_empty_database_is_created_on_first_use(tmp_path: Path) -> None:
    registry = ModelRegistry(_url(tmp_path))
    assert registry.list_versions() == []
    registry.close()
    engine = sa.create_engine(_url(tmp_path))
    with engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT version_num FROM modelreg_schema_version").scalar()
    engine.dispose()
    assert stored == head_revision()
    assert (tmp_path / "registry-artifacts").exists() is False  # created on first upload only


def test_a_newer_schema_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    ModelRegistry(_url(tmp_path)).close()
    engine = sa.create_engine(_url(tmp_path))
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE modelreg_schema_version SET version_num = '9999_future'")
    engine.dispose()
    with pytest.raises(SchemaVersionError, match="newer modelreg") as caught:
        ModelRegistry(_url(tmp_path))
    assert caught.value.current == "9999_future"
    result = CliRunner().invoke(cli, ["db", "upgrade", "--registry", _url(tmp_path)])
    assert result.exit_code != 0
    assert "newer modelreg" in result.output


def test_tables_without_a_revision_are_not_guessed_at(tmp_path: Path) -> None:
    ModelRegistry(_url(tmp_path)).close()
    engine = sa.create_engine(_url(tmp_path))
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE modelreg_schema_version")
    engine.dispose()
    with pytest.raises(SchemaVersionError, match="db upgrade"):
        ModelRegistry(_url(tmp_path))


def test_db_upgrade_creates_then_is_a_no_op(tmp_path: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(cli, ["db", "upgrade", "--registry", _url(tmp_path)])
    assert first.exit_code == 0, first.output
    assert f"to {head_revision()}" in first.output
    again = runner.invoke(cli, ["db", "upgrade", "--json", "--registry", _url(tmp_path)])
    assert again.exit_code == 0, again.output
    assert '"from": "' + head_revision() in again.output


def test_db_upgrade_takes_the_catalog_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODELREG_REGISTRY", _url(tmp_path))
    result = CliRunner().invoke(cli, ["db", "upgrade", "--json"])
    assert result.exit_code == 0, result.output
    assert '"to": "' + head_revision() in result.output


def test_db_upgrade_needs_a_url(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["db", "upgrade", "--registry", str(tmp_path / "models")])
    assert result.exit_code == 2
    assert "catalog URL" in result.output


def test_a_postgres_catalog_needs_an_artifact_store() -> None:
    with pytest.raises(ValueError, match="artifacts="):
        ModelRegistry("postgresql://nobody@127.0.0.1:1/none")


def test_an_older_schema_asks_for_db_upgrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ModelRegistry(_url(tmp_path)).close()
    from modelreg.backends import sql_engine

    head = sql_engine.head_revision()  # whatever the newest shipped revision is
    known = sql_engine._known_revisions() | {"9999_next"}
    monkeypatch.setattr(sql_engine, "head_revision", lambda: "9999_next")
    monkeypatch.setattr(sql_engine, "_known_revisions", lambda: known)
    with pytest.raises(SchemaVersionError, match="modelreg db upgrade") as caught:
        ModelRegistry(_url(tmp_path))
    assert (caught.value.current, caught.value.required) == (head, "9999_next")
