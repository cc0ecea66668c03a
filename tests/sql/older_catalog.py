"""A catalog taken back to an older schema revision, as a modelreg before a migration made it
(the Alembic revisions' tests share it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from modelreg import ModelRegistry
from modelreg.backends.sql_engine import _alembic_config
from modelreg.cli import cli
from modelreg.errors import SchemaVersionError

#: the catalogs each revision test runs on (PostgreSQL's needs the contract suite's fixtures)
KINDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def catalog(request: pytest.FixtureRequest, tmp_path: Path, kind: str) -> tuple[str, dict]:
    """A fresh catalog's URL and the options to open it with."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.db'}", {"cache_dir": tmp_path / "cache"}
    url = request.getfixturevalue("postgres_schema_url")
    return url, {"artifacts": str(tmp_path / "artifacts"), "cache_dir": tmp_path / "cache"}


def downgrade(url: str, revision: str) -> dict[str, Any]:
    """Take the catalog back to `revision`; answers its tables and their columns then."""
    from alembic import command

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        command.downgrade(_alembic_config(conn), revision)
        tables = {t: sa.inspect(conn).get_columns(t) for t in sa.inspect(conn).get_table_names()}
    engine.dispose()
    return tables


def upgraded(url: str, options: dict) -> ModelRegistry:
    """The old catalog refused until `modelreg db upgrade`, then opened."""
    with pytest.raises(SchemaVersionError, match="db upgrade"):
        ModelRegistry(url, **options).list_versions()
    done = CliRunner().invoke(cli, ["db", "upgrade", "--registry", url, "--json"])
    assert done.exit_code == 0, done.output
    return ModelRegistry(url, **options)
