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
once on a new one. A server reads on its event loop instead (`read_async`): an asyncio
psycopg connection of the loop's own, with the engine's connect arguments, so a read costs
no hop to a worker thread and back (measured in a loop of reads at load 4: 100-130 us a read
against 300-360 us through a worker thread, and a third of the CPU). SQLite reads
through the engine as every other read does (no network round trip to save there).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..lower_errors import translated
from .sql_schema import models

__all__ = ["RevisionReader"]

_SQL = f"SELECT revision FROM {models.name} WHERE name = %s"


class RevisionReader:
    """`read(model)`: the model's revision now (0 before its first write)."""

    def __init__(self, engine: Engine, reader: Engine, location: str) -> None:
        self._engine, self._reader, self._location = engine, reader, location
        self._direct = engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"
        self._lock = threading.RLock()  # close() runs inside read() on an error
        self._conn: Any = None
        self._async: Any = None  # (event loop, its psycopg AsyncConnection)

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

    async def read_async(self, model: str) -> int:
        """`read`, on the running event loop: one round trip, no worker thread."""
        if not self._direct:
            return await asyncio.to_thread(self.read, model)
        with translated("read from", self._location):
            loop = asyncio.get_running_loop()
            kept = self._async is not None and self._async[0] is loop
            row = await self._query_async(model, loop, retry=kept)
        return int(row[0]) if row else 0

    async def _query_async(self, model: str, loop: Any, *, retry: bool) -> Any:
        import psycopg

        try:
            if self._async is None or self._async[0] is not loop:
                self._drop_async()
                _, options = self._engine.dialect.create_connect_args(self._engine.url)
                options.pop("context", None)
                conn = await psycopg.AsyncConnection.connect(**options, autocommit=True)
                self._async = (loop, conn)
            async with self._async[1].cursor() as cursor:
                await cursor.execute(_SQL, (model,), prepare=True)
                return await cursor.fetchone()
        except Exception:
            self._drop_async()
            if not retry:
                raise
        return await self._query_async(model, loop, retry=False)

    def _drop_async(self) -> None:
        held, self._async = self._async, None
        if held is not None:
            with contextlib.suppress(Exception):  # closed from any loop, or none: libpq's own
                held[1].pgconn.finish()

    def close(self) -> None:
        """Drop the connections (the pooled one keeps its autocommit switch: never reused)."""
        self._drop_async()
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # a broken connection: nothing to do
                conn.invalidate()
