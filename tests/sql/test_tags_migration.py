"""Revision 0002 on a catalog made at 0001: `db upgrade` adds the tag index, filled from the
versions' metadata, and tag filters then run in the database."""

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


def _downgrade_to_0001(url: str) -> None:
    from alembic import command

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        command.downgrade(_alembic_config(conn), "0001")
        assert "modelreg_version_tags" not in sa.inspect(conn).get_table_names()
    engine.dispose()


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_db_upgrade_indexes_the_tags_an_older_catalog_holds(
    request: pytest.FixtureRequest, tmp_path: Path, kind: str
) -> None:
    if kind == "sqlite":
        url, options = f"sqlite:///{tmp_path / 'registry.db'}", {}
    else:
        url = request.getfixturevalue("postgres_schema_url")
        options = {"artifacts": str(tmp_path / "artifacts")}
    registry = ModelRegistry(url, cache_dir=tmp_path / "cache", **options)
    tagged, plain = registry.register(make_result(0)), registry.register(make_result(1))
    registry.set_tags(tagged, {"owner": "alice"})
    registry.close()
    _downgrade_to_0001(url)  # the table goes; the tags stay in the version's metadata
    with pytest.raises(SchemaVersionError, match="db upgrade"):
        ModelRegistry(url, cache_dir=tmp_path / "cache", **options).list_versions()
    upgraded = CliRunner().invoke(cli, ["db", "upgrade", "--registry", url, "--json"])
    assert upgraded.exit_code == 0, upgraded.output
    reopened = ModelRegistry(url, cache_dir=tmp_path / "cache", **options)
    assert [v.version for v in reopened.list_versions(tags={"owner": "alice"})] == [tagged]
    assert {v.version for v in reopened.list_versions()} == {tagged, plain}
    reopened.close()
