"""The catalog's connection policy (no ping before each use): a connection the server dropped
fails the one operation that used it with a StorageError, and the next one connects afresh."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from modelreg import ModelRegistry
from modelreg.backends.sql_engine import POOL_RECYCLE_SECONDS, POOL_SIZE
from modelreg.errors import StorageError
from modelreg.testing import make_result

pytestmark = pytest.mark.postgres


def test_a_dropped_connection_costs_one_operation(postgres_schema_url: str, tmp_path: Path) -> None:
    registry = ModelRegistry(
        postgres_schema_url, artifacts=str(tmp_path / "blobs"), cache_dir=tmp_path / "cache"
    )
    name = registry.register(make_result(0))
    engine = registry.backend._engine  # type: ignore[attr-defined]
    assert engine.pool._recycle == POOL_RECYCLE_SECONDS and not engine.pool._pre_ping
    engine.dispose()  # one pooled connection from here on, so we know which one to drop
    assert registry.stored_metadata(name) is not None
    pids = {c.dbapi_connection.info.backend_pid for c in list(engine.pool._pool.queue)}
    assert len(pids) == 1
    admin = sa.create_engine(
        postgres_schema_url.replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
    )
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pids.pop()})
    finally:
        admin.dispose()
    with pytest.raises(StorageError):
        registry.stored_metadata(name)
    assert registry.stored_metadata(name) is not None  # a fresh connection
    registry.close()


def test_a_server_busy_with_eight_reads_keeps_its_connections(
    postgres_schema_url: str, tmp_path: Path
) -> None:
    """Reads in flight up to POOL_SIZE reuse pooled connections: none is closed at check-in
    and reopened (SQLAlchemy's default pool of 5 did that with 8 requests at once)."""
    registry = ModelRegistry(
        postgres_schema_url, artifacts=str(tmp_path / "blobs"), cache_dir=tmp_path / "cache"
    )
    name = registry.register(make_result(0))
    engine = registry.backend._engine  # type: ignore[attr-defined]
    connects: list[object] = []
    sa.event.listen(engine, "connect", lambda *args: connects.append(args))
    barrier = threading.Barrier(8)

    def read() -> None:
        barrier.wait()  # eight connections checked out together
        with engine.connect():
            barrier.wait()
        for _ in range(20):
            assert registry.stored_metadata(name) is not None

    for _batch in range(2):
        workers = [threading.Thread(target=read) for _ in range(8)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    assert engine.pool.size() == POOL_SIZE >= 8
    assert len(connects) <= 8  # opened once each, then reused
    registry.close()
