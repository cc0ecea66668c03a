"""Revision 0003 on a catalog made at 0002: `db upgrade` adds the model's record (its
description and tags); versions' descriptions, kept in their metadata, were never at risk."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from contract.conftest import postgres_schema_url, postgres_url  # noqa: F401
from modelreg import ModelRegistry
from modelreg.backends.sql_engine import _alembic_config
from modelreg.cli import cli
from modelreg.errors import SchemaVersionError
from modelreg.testing import make_result


def _downgrade_to_0002(url: str) -> None:
    from alembic import command

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        command.downgrade(_alembic_config(conn), "0002")
        columns = {c["name"] for c in sa.inspect(conn).get_columns("modelreg_models")}
        assert "meta" not in columns
    engine.dispose()


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_db_upgrade_gives_an_older_catalog_model_records(
    request: pytest.FixtureRequest, tmp_path: Path, kind: str
) -> None:
    if kind == "sqlite":
        url, options = f"sqlite:///{tmp_path / 'registry.db'}", {}
    else:
        url = request.getfixturevalue("postgres_schema_url")
        options = {"artifacts": str(tmp_path / "artifacts")}
    registry = ModelRegistry(url, cache_dir=tmp_path / "cache", **options)
    version = registry.register(make_result(0))
    registry.describe_version(version, "kept in the version's metadata")
    registry.set_tags(version, {"owner": "alice"})
    registry.close()
    _downgrade_to_0002(url)
    with pytest.raises(SchemaVersionError, match="db upgrade"):
        ModelRegistry(url, cache_dir=tmp_path / "cache", **options).list_versions()
    upgraded = CliRunner().invoke(cli, ["db", "upgrade", "--registry", url, "--json"])
    assert upgraded.exit_code == 0, upgraded.output
    reopened = ModelRegistry(url, cache_dir=tmp_path / "cache", **options)
    assert reopened.model_info() == {"model": "default", "description": None, "tags": {}}
    info = reopened.get_version_info(version) or {}
    assert info["description"] == "kept in the version's metadata"
    assert [v.version for v in reopened.list_versions(tags={"owner": "alice"})] == [version]
    reopened.describe_model("after the upgrade")
    assert reopened.model_info()["description"] == "after the upgrade"
    reopened.close()
