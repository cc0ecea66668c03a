"""The catalog's hot reads: fixed SQL run on the driver's own connection, one round trip each.

Every load, metadata request and download makes the same few reads. Through SQLAlchemy Core
each one cost more Python than PostgreSQL took to answer it (building the statement, its cache
key, the execution context, the result's row objects), so they are written once here as SQL
text and run on the DBAPI connection SQLAlchemy's pool hands out: on PostgreSQL as prepared
statements (psycopg's `prepare=True`: parsed and planned once per connection), on SQLite
through sqlite3's own statement cache. The listings stay in `sql_query.py`: their statements
change shape with every filter. `names_in_second`, register's lookup, is here as a statement.

What SQLAlchemy would do on an error, `fetch` does too: the driver's error is raised as
SQLAlchemy's `DBAPIError` (so `lower_errors` maps it as it maps every other catalog error), and
a connection the server dropped is invalidated with every pooled one opened before it, so
that the next operation connects afresh (`sql_engine`'s connection policy).
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .._json_text import loads
from ..errors import CorruptVersionError
from ..events import Event
from .sql_schema import EVENT_SECOND, artifacts, events, versions

__all__ = [
    "ArtifactRow",
    "artifact_rows",
    "decoded",
    "events_of",
    "fetch",
    "metadata_and_pointers",
    "metadata_of",
    "names_in_second",
    "pointer_of",
    "pointer_with_metadata",
    "pointers_of",
    "registered_artifact",
    "run",
    "version_with_artifacts",
]

_METADATA = "SELECT meta FROM modelreg_versions WHERE model_id = %s AND name = %s"
_POINTER = "SELECT version FROM modelreg_pointers WHERE model_id = %s AND channel = %s"
#: a writer's pointer read: the channel's version and that version's metadata (which a writer
#: reads next: the gate compares it, a promote archives it)
_POINTER_WITH_METADATA = (
    "SELECT p.version, v.meta FROM modelreg_pointers p LEFT JOIN modelreg_versions v"
    " ON v.model_id = p.model_id AND v.name = p.version WHERE p.model_id = %s AND p.channel = %s"
)
_POINTERS = "SELECT channel, version FROM modelreg_pointers WHERE model_id = %s ORDER BY channel"
_ARTIFACTS = (
    "SELECT a.name, a.sha256, a.bytes, a.uri FROM modelreg_artifacts a"
    " JOIN modelreg_versions v ON v.id = a.version_id"
    " WHERE v.model_id = %s AND v.name = %s ORDER BY a.name"
)
#: a version's metadata and its artifact rows (none: one row of NULLs beside the metadata)
_WITH_ARTIFACTS = (
    "SELECT v.meta, a.name, a.sha256, a.bytes, a.uri FROM modelreg_versions v"
    " LEFT JOIN modelreg_artifacts a ON a.version_id = v.id"
    " WHERE v.model_id = %s AND v.name = %s ORDER BY a.name"
)
#: every pointer (channel, version, NULL), then the metadata of the version named, or of the
#: one the channel points to (NULL, name, meta): one snapshot, one round trip
_WITH_POINTERS = (
    "SELECT channel, version, NULL AS meta FROM modelreg_pointers WHERE model_id = %s"
    " UNION ALL"
    " SELECT NULL, name, meta FROM modelreg_versions WHERE model_id = %s AND name = COALESCE("
    "%s, (SELECT version FROM modelreg_pointers WHERE model_id = %s AND channel = %s))"
)


class ArtifactRow(NamedTuple):
    """One of a version's files as the catalog records it."""

    file: str
    sha256: str
    bytes: int
    uri: str


def metadata_of(conn: Connection, model_id: int, name: str) -> dict[str, Any] | None:
    """A version's metadata as stored, or None."""
    rows = fetch(conn, _METADATA, model_id, name)
    return decoded(rows[0][0], name) if rows else None


def pointer_of(conn: Connection, model_id: int, channel: str) -> str | None:
    """The version `channel` points to, or None."""
    rows = fetch(conn, _POINTER, model_id, channel)
    return str(rows[0][0]) if rows else None


def pointer_with_metadata(
    conn: Connection, model_id: int, channel: str
) -> tuple[str | None, dict[str, Any] | None]:
    """The version `channel` points to and its metadata; (None, None) for an empty channel."""
    rows = fetch(conn, _POINTER_WITH_METADATA, model_id, channel)
    if not rows:
        return None, None
    name, meta = str(rows[0][0]), rows[0][1]
    return name, None if meta is None else decoded(meta, name)


def pointers_of(conn: Connection, model_id: int) -> dict[str, str | None]:
    """Every channel with a pointer, in name order, and the version it points to."""
    return {str(channel): str(version) for channel, version in fetch(conn, _POINTERS, model_id)}


def artifact_rows(conn: Connection, model_id: int, name: str) -> list[ArtifactRow]:
    """A version's artifact rows, by file name (none when the version does not exist)."""
    return [ArtifactRow(*row) for row in fetch(conn, _ARTIFACTS, model_id, name)]


def registered_artifact(
    conn: Connection, model_id: int, name: str, filename: str
) -> ArtifactRow | None:
    """Version `name`'s row for `filename` (all None when it has no such file), or None when
    the version does not exist: a download's lookup, the name only a key, never a path."""
    on = sa.and_(artifacts.c.version_id == versions.c.id, artifacts.c.name == filename)
    query = (
        sa.select(artifacts.c.name, artifacts.c.sha256, artifacts.c.bytes, artifacts.c.uri)
        .select_from(versions.outerjoin(artifacts, on))
        .where(versions.c.model_id == model_id, versions.c.name == name)
    )
    row = conn.execute(query).first()
    return None if row is None else ArtifactRow(*row)


def events_of(conn: Connection, model_id: int) -> list[Event]:
    """The model's audit log, oldest first."""
    query = sa.select(events.c.body).where(events.c.model_id == model_id)
    return [Event.from_dict(body) for body in conn.execute(query.order_by(events.c.id)).scalars()]


def version_with_artifacts(
    conn: Connection, model_id: int, name: str
) -> tuple[dict[str, Any], list[ArtifactRow]] | None:
    """A version's metadata and artifact rows in one statement; None if it does not exist."""
    rows = fetch(conn, _WITH_ARTIFACTS, model_id, name)
    if not rows:
        return None
    found = [ArtifactRow(*row[1:]) for row in rows if row[1] is not None]
    return decoded(rows[0][0], name), found


def metadata_and_pointers(
    conn: Connection, model_id: int, name: str | None, channel: str | None
) -> tuple[dict[str, Any] | None, dict[str, str | None]]:
    """The metadata of version `name` (or of the one `channel` points to) and every pointer."""
    rows = fetch(conn, _WITH_POINTERS, model_id, model_id, name, model_id, channel)
    meta = next((decoded(row[2], row[1]) for row in rows if row[0] is None), None)
    pointers = sorted((str(row[0]), str(row[1])) for row in rows if row[0] is not None)
    return meta, dict(pointers)


def fetch(conn: Connection, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """The rows of `sql` (`%s` placeholders) on `conn`'s driver connection, in its transaction
    if it has one (a writer's), else in autocommit (PostgreSQL's reader) or sqlite3's own."""
    return run(conn, _qmark(sql) if conn.dialect.name == "sqlite" else sql, params)


def run(
    conn: Connection, sql: str, params: tuple[Any, ...] | dict[str, Any]
) -> list[tuple[Any, ...]]:
    """The rows of `sql`, written in the driver's own placeholders, on `conn`'s driver
    connection: prepared on PostgreSQL, through sqlite3's statement cache on SQLite."""
    dialect = conn.dialect
    driver: Any = conn.connection.driver_connection
    cursor = driver.cursor()
    try:
        if dialect.name == "sqlite":
            cursor.execute(sql, params)
        else:
            cursor.execute(sql, params, prepare=True)
        return list(cursor.fetchall())
    except dialect.loaded_dbapi.Error as exc:
        dropped = dialect.is_disconnect(exc, driver, cursor)
        if dropped:  # as SQLAlchemy does: this connection and every older pooled one go
            conn.invalidate(exc)
            conn.engine.dispose()  # the pool's other connections are closed as they come back
        raise sa.exc.DBAPIError.instance(
            sql,
            params,
            exc,
            dialect.loaded_dbapi.Error,
            connection_invalidated=dropped,
            dialect=dialect,
        ) from exc
    finally:
        cursor.close()


@functools.cache
def _qmark(sql: str) -> str:
    """sqlite3's placeholders for psycopg's (none of these statements holds a literal '%s')."""
    return sql.replace("%s", "?")


def json_object(value: Any, what: str, **context: Any) -> dict[str, Any]:
    """A JSON column's object (psycopg decodes JSON itself, sqlite3 hands over the text), or
    `CorruptVersionError` naming `what`, with `context` for the error."""
    try:
        found = loads(value) if isinstance(value, str | bytes) else value
    except ValueError as exc:
        raise CorruptVersionError(f"{what} in the catalog is not JSON: {exc}", **context) from exc
    if not isinstance(found, dict):
        raise CorruptVersionError(
            f"{what} in the catalog is a {type(found).__name__}, not an object", **context
        )
    return found


def decoded(meta: Any, name: str) -> dict[str, Any]:
    """Version `name`'s `meta` column, which must be an object that says it is that version
    (a row is input: as a folder's metadata.json must name its own folder)."""
    what = f"version {name}'s metadata"
    found = json_object(meta, what, version=name)
    if found.get("version") != name:
        raise CorruptVersionError(
            f"{what} in the catalog says it is version {found.get('version')!r}; restore the "
            "row from a backup or delete the version",
            version=name,
        )
    return found


def names_in_second(model_id: int, base: str) -> sa.Select[Any]:
    """The version names events gave the second `base`: a lookup in `EVENT_SECOND`'s index."""
    return sa.select(events.c.version).where(events.c.model_id == model_id, EVENT_SECOND == base)  # noqa: SIM300
