"""The benchmarks' PostgreSQL: a scratch database per run, a schema per side, round trips counted.

Every run creates its own database on the shared server (never touching `test` or another
engineer's schemas) and drops it, with FORCE, when it ends, however it ends.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ADMIN_URL = os.environ.get("MODELREG_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def reachable() -> str | None:
    """None when the server answers, else why not (the benchmark then says it skipped)."""
    import sqlalchemy as sa

    engine = sa.create_engine(ADMIN_URL)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception as exc:  # any failure to connect means: skip, and say so
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    finally:
        engine.dispose()
    return None


@contextlib.contextmanager
def scratch_database(tag: str) -> Iterator[str]:
    """A new database on the server, dropped afterwards; yields its SQLAlchemy URL."""
    import sqlalchemy as sa

    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"modelreg_bench_{tag}_{os.getpid()}_{secrets.token_hex(3)}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def analyze(database_url: str) -> None:
    """ANALYZE every table, as autovacuum would some time after a bulk fill.

    Until it has, the planner believes the tables still hold the few rows they had before
    the fill: measured here, modelreg's filtered listing at 10,000 versions took 0.6-1.2 s
    instead of 4-5 ms. Both sides are analyzed alike.
    """
    import sqlalchemy as sa

    engine = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()


def schema_url(database_url: str, schema: str, *, driver: str = "postgresql+psycopg") -> str:
    """`schema` created in the database, and a URL that puts it first on the search_path."""
    import sqlalchemy as sa

    engine = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    finally:
        engine.dispose()
    url = sa.make_url(database_url).set(drivername=driver)
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


class RoundTrips:
    """Round trips to PostgreSQL, counted exactly, from libpq's own protocol trace.

    While active, every psycopg connection a pool opens (any engine: the registry's own, or
    MLflow's) traces its protocol messages to one file. A round trip is one wait for the
    server: one simple-protocol Query, or one Sync of the extended protocol (Parse, Bind,
    Execute, Sync). They are counted from what the client sent, since libpq traces the last
    message of a reply only when it next reads. Each is labelled: the pre-ping (`;`),
    BEGIN, COMMIT, ROLLBACK, a statement (SELECT, INSERT, ...), other (SET LOCAL,
    SAVEPOINT), or several statements sent as one simple-protocol message (`BEGIN; ...`).
    Connections opened before `__enter__` are not traced.
    """

    def __init__(self) -> None:
        self._path = Path(tempfile.mkstemp(prefix="modelreg-bench-pgtrace-")[1])
        self._offset = 0
        self._hook: Any = None

    def __enter__(self) -> RoundTrips:
        from psycopg import pq
        from sqlalchemy import event
        from sqlalchemy.pool import Pool

        trace = open(self._path, "ab")  # each connection traces to a copy of this descriptor
        flags = pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE

        def on_connect(dbapi_connection: Any, _record: Any) -> None:
            pgconn = getattr(dbapi_connection, "pgconn", None)
            if pgconn is not None:  # psycopg 3; other drivers are not traced
                pgconn.trace(os.dup(trace.fileno()))  # libpq closes its copy with the conn
                pgconn.set_trace_flags(flags)

        self._trace = trace
        self._hook = on_connect
        event.listen(Pool, "connect", on_connect)
        return self

    def __exit__(self, *exc: object) -> None:
        from sqlalchemy import event
        from sqlalchemy.pool import Pool

        event.remove(Pool, "connect", self._hook)
        self._trace.close()
        self._path.unlink(missing_ok=True)

    def take(self) -> Counter[str]:
        """Round trips since the last `take`, by what was sent; then start again from zero."""
        with open(self._path, "rb") as trace:
            trace.seek(self._offset)
            text = trace.read().decode("utf-8", "replace")
            self._offset = trace.tell()
        counts: Counter[str] = Counter()
        parsed: str | None = None
        for line in text.splitlines():
            fields = line.split("\t")
            if len(fields) < 3 or fields[0] != "F":
                continue
            if fields[2] == "Query":  # the simple protocol: one message, one wait
                sent = fields[3] if len(fields) > 3 else ""
                counts["several statements" if "; " in sent else _kind(sent)] += 1
            elif fields[2] == "Parse":
                parsed = _kind(fields[3] if len(fields) > 3 else "")
            elif fields[2] == "Sync":  # the extended protocol waits once per Sync
                counts[parsed or "statement"] += 1
                parsed = None
        return counts


def _kind(sent: str) -> str:
    """What a traced message sent: `Query "BEGIN"` -> BEGIN; `Parse "" "SELECT ..."` -> SELECT."""
    words = sent.replace('""', " ").replace('"', " ").split()
    word = words[0].upper() if words else ";"
    if word == ";":
        return "pre-ping"
    if word in ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH"):
        return "statement"
    if word in ("BEGIN", "COMMIT", "ROLLBACK"):
        return word
    return "other"


def describe(counts: Counter[str], calls: int = 1) -> str:
    """`N (a statement, b BEGIN, ...)` per call."""
    total = sum(counts.values())
    parts = ", ".join(f"{n / calls:g} {kind}" for kind, n in sorted(counts.items()) if n)
    return f"{total / calls:g} ({parts})"
