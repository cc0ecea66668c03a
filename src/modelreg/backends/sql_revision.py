"""A model's revision, read on a PostgreSQL connection kept for nothing else.

Every write transaction of a model adds one to `modelreg_models.revision` (`SqlBackend`'s
writers' lock statement); a server compares it with the revision its kept answers were made
at before each reuse (`serving/api/answers.py`), so this read is on every cached request's path.
Through the pool and SQLAlchemy's statement machinery it cost ~130-250 us of CPU (checkout,
autocommit switch, compile cache, result wrapping) for a ~20 us round trip; here it is one
prepared statement on one autocommit connection, in autocommit so each read sees every write
committed before it began. Callers serialize on a lock: the server shares one read among all
requests waiting for one, so a second connection would only wait beside the first.

The connection is taken from the engine's pool (so it has the URL's options and the pool's
connect hooks) and kept; an error drops it, and a read whose kept connection broke retries
once on a new one. SQLite reads
through the engine as every other read does (no network round trip to save there).
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..lower_errors import translated
from .sql_schema import models

__all__ = ["RevisionReader"]

_SQL = "SELECT revision FROM modelreg_models WHERE name = %s"


class RevisionReader:
    """`read(model)`: the model's revision now (0 before its first write)."""

    def __init__(self, engine: Engine, reader: Engine, location: str) -> None:
        self._engine, self._reader, self._location = engine, reader, location
        self._direct = engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"
        self._lock = threading.RLock()  # close() runs inside read() on an error
        self._conn: Any = None

    def read(self, model: str) -> int:
        with translated("read from", self._location):
            if not self._direct:
                with self._reader.connect() as conn:
                    query = sa.select(models.c.revision).where(models.c.name == model)
                    return int(conn.execute(query).scalar_one_or_none() or 0)
            with self._lock:
                row = self._query(model, retry=self._conn is not None)
        return int(row[0]) if row else 0

    def _query(self, model: str, *, retry: bool) -> Any:
        """The row, on the kept connection; one that broke since (a restart, an idle
        timeout) is replaced once, so the first read after it does not fail."""
        try:
            if self._conn is None:
                self._conn = self._engine.raw_connection()
                self._conn.driver_connection.autocommit = True
            with self._conn.driver_connection.cursor() as cursor:
                cursor.execute(_SQL, (model,), prepare=True)
                return cursor.fetchone()
        except Exception:
            self.close()
            if not retry:
                raise
        return self._query(model, retry=False)

    def close(self) -> None:
        """Drop the connection (its autocommit switch stays with it: never back in the pool)."""
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # a broken connection: nothing to do
                conn.invalidate()
