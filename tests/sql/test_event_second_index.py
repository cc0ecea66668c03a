"""Revision 0004: register finds the names its second has had through an index, never by
reading the audit log, on a new catalog and on one upgraded from 0003."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from contract.conftest import postgres_schema_url, postgres_url  # noqa: F401
from modelreg import ModelRegistry
from modelreg.backends.sql_engine import _alembic_config
from modelreg.backends.sql_reads import names_in_second
from modelreg.testing import make_result
from modelreg.versions import parse_version

_INDEX = "ix_modelreg_events_second"


def _url(request: pytest.FixtureRequest, tmp_path: Path, kind: str) -> tuple[str, dict[str, str]]:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.db'}", {}
    return request.getfixturevalue("postgres_schema_url"), {"artifacts": str(tmp_path / "a")}


def _engine(url: str) -> sa.Engine:
    return sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


def _plan(conn: sa.Connection, base: str) -> str:
    query = names_in_second(1, base)
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    if conn.dialect.name == "sqlite":
        return " ".join(str(row) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")  # a tiny table: force the choice
    return " ".join(str(row) for row in conn.exec_driver_sql("EXPLAIN " + sql))


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_the_name_lookup_uses_the_index_after_an_upgrade(
    request: pytest.FixtureRequest, tmp_path: Path, kind: str
) -> None:
    from alembic import command

    url, options = _url(request, tmp_path, kind)
    registry = ModelRegistry(url, cache_dir=tmp_path / "cache", **options)
    first = registry.register(make_result(0))
    registry.close()
    engine = _engine(url)
    try:
        for step, indexed in [(None, True), ("0003", False), ("head", True)]:
            with engine.begin() as conn:
                if step == "0003":
                    command.downgrade(_alembic_config(conn), step)
                elif step is not None:
                    command.upgrade(_alembic_config(conn), step)
            with engine.begin() as conn:  # the query's expression is the index's
                assert (_INDEX in _plan(conn, first[:15])) is indexed
            engine.dispose()  # SQLite would reuse the plan it prepared before the change
    finally:
        engine.dispose()
    registry = ModelRegistry(url, cache_dir=tmp_path / "cache", **options)
    assert registry.backend.names_used_at(parse_version(first).timestamp) == {first}


def test_register_reads_no_audit_log(tmp_path: Path) -> None:
    """The audit log is not read at all: its length costs a register nothing."""
    registry = ModelRegistry(f"sqlite:///{tmp_path / 'registry.db'}", cache_dir=tmp_path / "c")
    registry.register(make_result(0))
    statements: list[str] = []
    engine = registry.backend._engine  # type: ignore[attr-defined]
    sa.event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    names = [registry.register(make_result(i)) for i in range(3)]
    assert len(set(names)) == 3
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT") and "events" in s]
    assert reads and all("body" not in s for s in reads), reads
