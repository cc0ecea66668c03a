"""The rows a catalog write leaves: a version and what it owns, its metadata, model rows.

Each function runs inside the caller's transaction (`SqlBackend.transaction`, which holds the
model's writers' lock) and leaves the catalog's invariants as it found them: a version's
metrics and tags tables hold exactly what its stored metadata records, and every artifact row
names a blob seen in the store under the shared blob lock.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..events import Event
from ..metadata import Status, parse_timestamp
from ..tags import tags_of
from ..versions import parse_version
from .artifact_store import Blob
from .sql_query import naive_utc
from .sql_reads import fetch
from .sql_schema import (
    OWNED_BY_VERSION,
    artifacts,
    events,
    pointers,
    version_metrics,
    version_tags,
    versions,
)

__all__ = [
    "delete_version",
    "detail_rows",
    "insert_event",
    "insert_ignore",
    "insert_rows",
    "insert_version",
    "referenced",
    "set_pointer",
    "status_of",
    "update_metadata",
]


#: PostgreSQL: the version's row goes, its owned rows with it (ON DELETE CASCADE), and the
#: artifact URIs it named come back (the SELECT reads the snapshot from before the DELETE)
_DELETE = (
    f"WITH gone AS (DELETE FROM {versions.name} WHERE model_id = %s AND name = %s RETURNING id)"
    f" SELECT a.uri FROM {artifacts.name} a JOIN gone ON a.version_id = gone.id"
)


def delete_version(conn: Connection, model_id: int, name: str) -> list[str]:
    """Delete version `name` and the rows it owns; returns the URIs of its artifacts (none
    when there is no such version). One statement on PostgreSQL; elsewhere one per table."""
    if conn.dialect.name == "postgresql":
        return [str(uri) for (uri,) in fetch(conn, _DELETE, model_id, name)]
    where = sa.and_(versions.c.model_id == model_id, versions.c.name == name)
    version_id = conn.execute(sa.select(versions.c.id).where(where)).scalar_one_or_none()
    if version_id is None:
        return []
    owned = artifacts.c.version_id == version_id
    uris = [str(uri) for uri in conn.execute(sa.select(artifacts.c.uri).where(owned)).scalars()]
    for table in OWNED_BY_VERSION:
        conn.execute(table.delete().where(table.c.version_id == version_id))
    conn.execute(versions.delete().where(versions.c.id == version_id))
    return uris


def insert_version(
    conn: Connection, model_id: int, name: str, metadata: Mapping[str, Any]
) -> int | None:
    """The version's row (its key columns and whole metadata); returns its id, or None when
    the model has a version of that name already (the UNIQUE constraint decides, no error)."""
    parsed = parse_version(name)
    registered = naive_utc(parse_timestamp(metadata.get("registered_at") or parsed.timestamp))
    trained = metadata.get("training_date")
    row = {
        "model_id": model_id,
        "name": name,
        "stamp": naive_utc(parsed.timestamp),
        "counter": parsed.counter,
        "training_date": naive_utc(parse_timestamp(trained)) if trained else registered,
        "registered_at": registered,
        "status": status_of(metadata),
        "meta": dict(metadata),
    }
    insert = _upsert(conn, versions).values(row)
    skipped = insert.on_conflict_do_nothing(index_elements=[versions.c.model_id, versions.c.name])
    found = conn.execute(skipped.returning(versions.c.id)).scalar_one_or_none()
    return None if found is None else int(found)


Rows = list[tuple[sa.Table, list[dict[str, Any]]]]


def detail_rows(version_id: int, metadata: Mapping[str, Any], blobs: Mapping[str, Blob]) -> Rows:
    """The rows a new version owns, by table: its finite numeric metrics, its tags (the tag
    index), its artifacts. The caller inserts them (`insert_rows`, or one statement)."""
    metrics = [
        {"version_id": version_id, "name": key, "value": float(value)}
        for key, value in (metadata.get("metrics") or {}).items()
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    ]
    files = [
        {"version_id": version_id, "name": f, "sha256": b.sha256, "bytes": b.bytes, "uri": b.uri}
        for f, b in blobs.items()
    ]
    found = [(version_metrics, metrics), (version_tags, _tag_rows(version_id, metadata))]
    return [(table, rows) for table, rows in [*found, (artifacts, files)] if rows]


def insert_rows(conn: Connection, rows: Rows) -> None:
    """`detail_rows`' rows, one statement per table."""
    for table, values in rows:
        conn.execute(table.insert(), values)


def update_metadata(
    conn: Connection,
    model_id: int,
    name: str,
    metadata: Mapping[str, Any],
    before: Mapping[str, Any] | None,
) -> bool:
    """Replace a version's metadata (one UPDATE); False when there is no such version.

    The tag index is rewritten only when the tags differ from `before`, the metadata this
    transaction knows is stored (None: unknown, so rewritten): a status change, as a promote
    makes two of, costs one statement. Metrics are indexed once, at publish (never edited).
    """
    version_id = conn.execute(
        versions.update()
        .where(versions.c.model_id == model_id, versions.c.name == name)
        .values(meta=dict(metadata), status=status_of(metadata))
        .returning(versions.c.id)
    ).scalar_one_or_none()
    if version_id is None:
        return False
    if before is None or tags_of(before) != tags_of(metadata):
        index_tags(conn, version_id, metadata, replace=True)
    return True


def index_tags(
    conn: Connection, version_id: int, metadata: Mapping[str, Any], *, replace: bool = False
) -> None:
    """Write the rows the tag filter reads, from the tags in `metadata` (`replace`: drop old)."""
    if replace:
        conn.execute(version_tags.delete().where(version_tags.c.version_id == version_id))
    rows = _tag_rows(version_id, metadata)
    if rows:
        conn.execute(version_tags.insert(), rows)


def _tag_rows(version_id: int, metadata: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {"version_id": version_id, "key": key, "value": value}
        for key, value in tags_of(metadata).items()
    ]


def status_of(metadata: Mapping[str, Any]) -> str:
    """The stored status column of `metadata` (registered when it records none)."""
    return str(metadata.get("deployment_status") or Status.REGISTERED.value)


def referenced(conn: Connection, uris: list[str]) -> set[str]:
    """Those of `uris` some artifact row names (asked 500 at a time)."""
    found: set[str] = set()
    for start in range(0, len(uris), 500):
        chunk = uris[start : start + 500]
        query = sa.select(artifacts.c.uri).where(artifacts.c.uri.in_(chunk)).distinct()
        found.update(conn.execute(query).scalars())
    return found


def insert_ignore(conn: Connection, table: sa.Table, values: Mapping[str, Any]) -> None:
    """INSERT that does nothing when a unique key is taken (a concurrent first writer)."""
    conn.execute(_upsert(conn, table).values(**values).on_conflict_do_nothing())


def set_pointer(
    conn: Connection, model_id: int, channel: str, version: str | None, when: datetime
) -> None:
    """Point `channel` at `version` (one upsert), or remove its pointer (None)."""
    if version is None:
        where = sa.and_(pointers.c.model_id == model_id, pointers.c.channel == channel)
        conn.execute(pointers.delete().where(where))
        return
    row = {"model_id": model_id, "channel": channel, "version": version, "updated_at": when}
    insert = _upsert(conn, pointers).values(**row)
    conn.execute(
        insert.on_conflict_do_update(
            index_elements=[pointers.c.model_id, pointers.c.channel],
            set_={"version": insert.excluded.version, "updated_at": insert.excluded.updated_at},
        )
    )


def _upsert(conn: Connection, table: sa.Table) -> Any:
    """The dialect's INSERT, which has ON CONFLICT (PostgreSQL and SQLite both)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def insert_event(conn: Connection, model_id: int, event: Event) -> None:
    """One line of the audit log, appended in the writer's transaction."""
    conn.execute(
        events.insert().values(
            model_id=model_id,
            timestamp=event.timestamp,
            action=event.action,
            version=event.version,
            channel=event.channel,
            body=event.to_dict(),
        )
    )
