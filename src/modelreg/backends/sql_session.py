"""A writer's transaction on the SQL catalog: what it has read, the writes it holds back, and
how it reaches the server, in as few messages as PostgreSQL allows.

A promote reads the candidate, the channel's holder and its metadata, then writes two statuses,
the pointer and one audit event. Sent one statement at a time that was eleven round trips, the
last one (COMMIT) waiting for the WAL's fdatasync anyway. Here:

- BEGIN, the transaction's lock_timeout and the model's advisory lock go out as one message
  when the transaction starts (so the lock is held from then on, as the contract says), with
  a move's read after them (`transaction_for_move`: the candidate's metadata, the channel's
  holder and the holder's metadata; its own statement, so it reads after the lock is held);
- status, pointer and event writes, and the rows a new version owns, are held back
  (`Pending`) until the transaction's next statement or its end, and its own reads of them
  are answered from what it holds (`WriterTx`). A statement that must follow them is sent in
  the same message (a read after a write sees it), and at the end they go to PostgreSQL as
  one data-modifying statement (a CTE: the UPDATEs, the pointer's upsert, the INSERTs) in the
  message that commits;
- everything else a transaction does (a version's row, a delete, a tag change, two events)
  runs as it did, one statement each, after the held-back writes: the generic path, which is
  also the whole of SQLite's (no round trips there; BEGIN IMMEDIATE takes its lock).

So a promote on PostgreSQL is two messages: `BEGIN; lock; read` and `CTE; COMMIT` (eleven
round trips before).
It returns only once PostgreSQL has made the commit durable (`synchronous_commit` is left as
configured). Several statements in one message need the simple query protocol, hence values
rendered into the SQL by psycopg's own client-side binding (`ClientCursor`, its literal
quoting), not bound as parameters. In that protocol an error skips the rest of the message:
a failed write never reaches its COMMIT, and the transaction is rolled back as any failed one
is. The writer's connection runs in the driver's autocommit mode so that BEGIN is ours to
send; SQLAlchemy's own commit and rollback then find nothing left, or roll back what is.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..events import Event, event_fields
from ..tags import tags_of
from . import sql_writes as writes
from .base import Holder
from .sql_reads import decoded, fetch
from .sql_schema import events, models, pointers, versions

__all__ = [
    "HOLDER",
    "NO_HOLDER",
    "Holder",
    "Kept",
    "Pending",
    "Statement",
    "WriterTx",
    "holder_row",
    "holder_statement",
    "lock_statement",
    "message",
    "opened",
    "remember",
    "revision_statement",
    "send",
]

#: the model's writers' lock, keyed by the catalog's schema so catalogs in one database never
#: queue on each other, asked for once the transaction's lock_timeout is set
_LOCK = (
    "SELECT set_config('lock_timeout', %s, true);"
    " SELECT pg_advisory_xact_lock(hashtext('modelreg:' || current_schema()), %s)"
)
_STATUS = f"UPDATE {versions.name} SET meta = %s, status = %s WHERE model_id = %s AND name = %s"
_UPSERT = (
    f"INSERT INTO {pointers.name} (model_id, channel, version, updated_at)"
    " VALUES (%s, %s, %s, %s) ON CONFLICT (model_id, channel)"
    " DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at"
)
_REVISION = f"UPDATE {models.name} SET revision = revision + 1 WHERE id = %s"
_UNSET = f"DELETE FROM {pointers.name} WHERE model_id = %s AND channel = %s"
_EVENT = (
    f"INSERT INTO {events.name} (model_id, timestamp, action, version, channel, body)"
    " VALUES (%s, %s, %s, %s, %s, %s)"
)

#: what a writer reads first: a version's metadata, a channel's pointer and the metadata of
#: the version it points to (one row, NULLs for what is not there); the metadata as its JSON
#: text, which the transaction keeps (`Kept`)
HOLDER = (
    f"SELECT CAST(v.meta AS TEXT), p.version, CAST(h.meta AS TEXT) FROM (SELECT 1) AS one"
    f" LEFT JOIN {versions.name} v ON v.model_id = %s AND v.name = %s"
    f" LEFT JOIN {pointers.name} p ON p.model_id = %s AND p.channel = %s"
    f" LEFT JOIN {versions.name} h ON h.model_id = p.model_id AND h.name = p.version"
)

Statement = tuple[str, Sequence[Any]]
#: `holder_row`'s answer for a model with no row yet
NO_HOLDER: Holder = (None, None, None)


class Kept:
    """A version's metadata as a writer's transaction knows it: the JSON text stored (or held
    back to be), its status and tags, and the dict decoded from the text until it is handed
    out once.

    Each hand-out is the caller's own: the first is that decoded dict, which nobody else
    holds, later ones are decoded afresh (C-speed `json.loads`, several times faster than a
    deep copy). A write is encoded once, into the text the statement sends, so what the
    caller does to its dict afterwards changes nothing held back.
    """

    __slots__ = ("fresh", "status", "tags", "text")

    def __init__(self, text: str, value: Mapping[str, Any], fresh: dict[str, Any] | None) -> None:
        self.text, self.status, self.tags = text, writes.status_of(value), tags_of(value)
        self.fresh = fresh

    @classmethod
    def decoding(cls, text: str | bytes, name: str) -> Kept:
        """Metadata as read (its column's text)."""
        text = text.decode() if isinstance(text, bytes) else text
        value = decoded(text, name)
        return cls(text, value, value)

    @classmethod
    def encoding(cls, metadata: Mapping[str, Any]) -> Kept:
        """Metadata as written: encoded now, `metadata` itself kept by no one here."""
        return cls(json.dumps(metadata), metadata, None)

    def out(self, name: str) -> dict[str, Any]:
        """A dict of the caller's own."""
        value, self.fresh = self.fresh, None
        return decoded(self.text, name) if value is None else value


class Pending:
    """The writes a transaction holds back: each version's newest metadata (and whether its
    tag index must be rewritten), each channel's newest pointer, the events in order."""

    def __init__(self) -> None:
        self.metadata: dict[str, tuple[Kept, bool]] = {}
        self.pointers: dict[str, tuple[str | None, datetime]] = {}
        self.events: list[Event] = []
        #: rows a new version owns (metrics, tags, artifacts), by table
        self.rows: writes.Rows = []

    def __bool__(self) -> bool:
        return bool(self.metadata or self.pointers or self.events or self.rows)

    def hold_metadata(self, name: str, metadata: Kept, before: Kept) -> None:
        """`before` is what the transaction knew of the version (stored, or held back)."""
        reindex = before.tags != metadata.tags
        if name in self.metadata:
            reindex = reindex or self.metadata[name][1]
        self.metadata[name] = (metadata, reindex)

    def take(self) -> Pending:
        """Everything held back, leaving nothing."""
        taken = Pending()
        taken.metadata, taken.pointers, taken.events = self.metadata, self.pointers, self.events
        taken.rows, self.rows = self.rows, []
        self.metadata, self.pointers, self.events = {}, {}, []
        return taken


class WriterTx(threading.local):
    """A thread's writer transaction, and what it has read or written so far.

    The transaction holds the model's writers' lock (PostgreSQL: its advisory lock; SQLite:
    the database's), so no other writer changes this model's rows before it ends: a version's
    metadata or a channel's pointer read once is read from here after (a promote judges, then
    moves, then rewrites the statuses of the versions it read), including what it has written
    and not yet sent (`pending`). Metadata is kept as its text (`Kept`), so every hand-out is
    the caller's own, and everything is forgotten when the transaction ends, committed or not.
    """

    conn: Connection | None = None
    after_commit: list[Callable[[], None]]
    metadata: dict[str, Kept]
    pointers: dict[str, str | None]
    pending: Pending

    def __init__(self) -> None:
        self.after_commit, self.metadata, self.pointers = [], {}, {}
        self.pending = Pending()

    def forget(self) -> list[Callable[[], None]]:
        """End the transaction's memory; returns what was to run after its commit."""
        steps, self.after_commit = self.after_commit, []
        self.conn = None
        self.metadata.clear()
        self.pointers.clear()
        self.pending = Pending()
        return steps


def lock_statement(model_id: int, lock_timeout: float) -> Statement:
    """The lock_timeout and the model's advisory lock (PostgreSQL)."""
    return _LOCK, (str(max(1, int(lock_timeout * 1000))), model_id)


def revision_statement(model_id: int) -> Statement:
    """The model's revision moved on (`Backend.revision`): every write transaction sends it
    after its lock (PostgreSQL: in the lock's message; SQLite: through `sql_reads.fetch`)."""
    return _REVISION, (model_id,)


def holder_statement(model_id: int, name: str | None, channel: str) -> Statement:
    """Read version `name` (None: no version), `channel`'s pointer and its version."""
    return HOLDER, (model_id, name, model_id, channel)


def holder_row(rows: Sequence[tuple[Any, ...]], name: str | None) -> Holder:
    """`holder_statement`'s answer: (metadata of `name`, holder, holder's metadata)."""
    meta, holder, held = rows[0]
    holder = None if holder is None else str(holder)
    return (
        None if meta is None or name is None else decoded(meta, name),
        holder,
        None if held is None or holder is None else decoded(held, holder),
    )


def remember(tx: WriterTx, name: str | None, channel: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """`holder_statement`'s rows, kept by the transaction (each text decoded once); what it
    knows already stays (it may hold writes not sent yet)."""
    meta, holder, held = rows[0]
    holder = None if holder is None else str(holder)
    tx.pointers.setdefault(channel, holder)
    for found, text in ((name, meta), (holder, held)):
        if found is not None and text is not None and found not in tx.metadata:
            tx.metadata[found] = Kept.decoding(text, found)


def opened(tx: WriterTx, model_id: int) -> Connection:
    """The writer's connection with nothing held back (sent in one message where the writes
    fit one statement)."""
    assert tx.conn is not None
    if tx.pending:
        send(tx, model_id)
    return tx.conn


def send(
    tx: WriterTx, model_id: int, statement: Statement | None = None, *, commit: bool = False
) -> list[tuple[Any, ...]]:
    """The held-back writes, `statement` and (`commit`, PostgreSQL) COMMIT, in as few
    messages as they fit; returns `statement`'s rows (none without one).

    On SQLite (and for writes one statement cannot hold) the writes run one by one through
    SQLAlchemy, the statement through the driver; SQLAlchemy commits.
    """
    conn = tx.conn
    assert conn is not None
    postgres = conn.dialect.name == "postgresql"
    pending = tx.pending.take()
    batch = _batch(model_id, pending) if postgres and pending else None
    if pending and batch is None:
        _write_each(conn, model_id, pending)
    parts = [batch] if batch else []
    parts += [statement] if statement and postgres else []
    parts += [("COMMIT", ())] if commit and postgres else []
    rows = message(conn, parts) if parts else []
    if statement and not postgres:
        rows = fetch(conn, statement[0], *statement[1])
    return rows


def _batch(model_id: int, pending: Pending) -> Statement | None:
    """One PostgreSQL statement for the held-back writes, or None when they need the generic
    path: a tag index to rewrite, or several events (whose ids must follow their order)."""
    if len(pending.events) > 1 or any(reindex for _, reindex in pending.metadata.values()):
        return None
    steps: list[str] = []
    values: list[Any] = []
    for name, (kept, _) in pending.metadata.items():
        steps.append(_STATUS)
        values += [kept.text, kept.status, model_id, name]
    for channel, (version, when) in pending.pointers.items():
        steps.append(_UNSET if version is None else _UPSERT)
        values += [model_id, channel] + ([] if version is None else [version, when])
    for event in pending.events:
        steps.append(_EVENT)
        row = [event.timestamp, event.action, event.version, event.channel]
        values += [model_id, *row, json.dumps(event_fields(event))]
    for table, rows in pending.rows:
        columns = list(rows[0])
        each = "(" + ", ".join(["%s"] * len(columns)) + ")"
        steps.append(
            f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES "
            + ", ".join([each] * len(rows))
        )
        values += [row[column] for row in rows for column in columns]
    ctes = ", ".join(f"w{i} AS ({step})" for i, step in enumerate(steps))
    return f"WITH {ctes} SELECT 1", values


def _write_each(conn: Connection, model_id: int, pending: Pending) -> None:
    """The held-back writes as one statement each (any dialect)."""
    for name, (kept, reindex) in pending.metadata.items():
        meta = decoded(kept.text, name)
        writes.update_metadata(conn, model_id, name, meta, None if reindex else meta)
    for channel, (version, when) in pending.pointers.items():
        writes.set_pointer(conn, model_id, channel, version, when)
    for event in pending.events:
        writes.insert_event(conn, model_id, event)
    writes.insert_rows(conn, pending.rows)


def message(conn: Connection, parts: Sequence[Statement]) -> list[tuple[Any, ...]]:
    """`parts` as one simple-protocol message on PostgreSQL; the last one's rows.

    Rendered as one query (no statement holds a literal `%`), so psycopg parses the
    placeholders once per message, from its cache after the first of each shape."""
    from psycopg import ClientCursor

    driver: Any = conn.connection.driver_connection
    values = [value for _, each in parts for value in each]
    with _driver_errors(conn, parts):
        cursor = ClientCursor(driver)
        try:
            cursor.execute("; ".join(text for text, _ in parts), values or None)
            while cursor.nextset():
                pass
            return list(cursor.fetchall()) if cursor.description else []
        finally:
            cursor.close()


@contextmanager
def _driver_errors(conn: Connection, parts: Sequence[Statement]) -> Iterator[Any]:
    """The driver's errors as SQLAlchemy's (so `lower_errors` maps them as every other); a
    dropped connection is invalidated with every pooled one opened before it."""
    dialect = conn.dialect
    dbapi = dialect.loaded_dbapi
    try:
        yield dbapi
    except dbapi.Error as exc:
        dropped = dialect.is_disconnect(exc, conn.connection.driver_connection, None)
        if dropped:
            conn.engine.pool._invalidate(conn.connection, exc)
            conn.invalidate(exc)
        statement = "; ".join(text for text, _ in parts)
        raise sa.exc.DBAPIError.instance(
            statement, None, exc, dbapi.Error, connection_invalidated=dropped, dialect=dialect
        ) from exc
