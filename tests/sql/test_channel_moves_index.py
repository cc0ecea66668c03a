"""Revision 0006: an argument-free rollback reads its channel's last moves through an index,
never the model's audit log, on a new catalog and on one upgraded from 0005 with its history."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from contract.conftest import postgres_schema_url, postgres_url  # noqa: F401
from modelreg import ModelRegistry
from modelreg.backends import sql_history, sql_reads
from modelreg.testing import make_result
from sql.older_catalog import KINDS, catalog, downgrade, upgraded

_INDEXES = ("ix_modelreg_events_channel", "ix_modelreg_events_recovered")


def _indexes(url: str) -> set[str]:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn, warnings.catch_warnings():
            warnings.simplefilter("ignore", sa.exc.SAWarning)  # 0004's index of an expression
            return {str(i["name"]) for i in sa.inspect(conn).get_indexes("modelreg_events")}
    finally:
        engine.dispose()


def _plan(url: str) -> str:
    """The first page's plan (values inlined: a tiny table, so PostgreSQL is told to index)."""
    values: list[Any] = [1, "'production'", 1, "'production'", 2**63 - 1, 16]
    sql = sql_history._FIRST_PAGE.replace("%s", "{}").format(*values)
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)
            else:
                conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
                rows = conn.exec_driver_sql("EXPLAIN " + sql)
            return " ".join(str(row) for row in rows)
    finally:
        engine.dispose()


def _no_log_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*_: object) -> object:
        raise AssertionError("the rollback read the whole audit log")

    monkeypatch.setattr(sql_reads, "events_of", refused)


@pytest.mark.parametrize("kind", KINDS)
def test_rollback_reads_the_indexed_moves_after_an_upgrade(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    kind: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, options = catalog(request, tmp_path, kind)
    registry = ModelRegistry(url, **options)
    a, b, c, d = (registry.register(make_result(i)) for i in range(4))
    for name in (a, b, c, d):
        registry.promote_to_production(name)
    registry.promote(b, channel="staging")
    assert registry.rollback_to_version() is True  # d -> c, made at 0005
    registry.close()
    downgrade(url, "0005")
    assert not _indexes(url) & set(_INDEXES)
    reopened = upgraded(url, options)
    assert set(_INDEXES) <= _indexes(url)
    plan = _plan(url)
    assert all(index in plan for index in _INDEXES), plan
    _no_log_reads(monkeypatch)
    assert reopened.rollback_to_version() is True  # a rollback of a rollback: two back
    assert reopened.get_version_info("latest")["version"] == b  # type: ignore[index]
    reopened.delete_version(d)
    reopened.promote_to_production(c)
    assert reopened.rollback_to_version() is True  # c -> b; a deleted version is skipped
    assert reopened.get_version_info("latest")["version"] == b  # type: ignore[index]
    assert reopened.rollback_to_version(channel="staging") is False  # one move only
    reopened.close()


def test_a_recovered_move_is_placed_by_the_whole_log(tmp_path: Path) -> None:
    """A move `verify --repair` recorded takes effect where it happened: the log places it."""
    registry = ModelRegistry(f"sqlite:///{tmp_path / 'registry.db'}", cache_dir=tmp_path / "c")
    a, b, c = (registry.register(make_result(i)) for i in range(3))
    registry.promote_to_production(a)
    backend = registry.backend
    with backend.transaction():  # a crash lost the move to b, between a and c
        backend.set_pointer("production", b)
    registry.promote_to_production(c)
    assert registry.verify(repair=True).repaired
    moves = [(e.action, e.version) for e in backend.pointer_moves("production")]
    assert moves == [("promote", c), ("recover", b), ("promote", a)]
    assert registry.rollback_to_version() is True
    assert registry.get_version_info("latest")["version"] == b  # type: ignore[index]
