"""The rows a catalog write leaves: a version and what it owns, its metadata, model rows.

Each function runs inside the caller's transaction (`SqlBackend.transaction`, which holds the
model's writers' lock) and leaves the catalog's invariants as it found them: a version's
metrics and tags tables hold exactly what its stored metadata records, and every artifact row
names a blob seen in the store under the shared blob lock.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..events import Event
from ..metadata import Status, parse_timestamp
from ..tags import tags_of
from ..versions import parse_version
from .artifact_store import Blob
from .sql_query import naive_utc
from .sql_schema import artifacts, events, version_metrics, version_tags, versions

__all__ = [
    "insert_details",
    "insert_event",
    "insert_ignore",
    "insert_version",
    "referenced",
    "status_of",
    "update_metadata",
]


def insert_version(conn: Connection, model_id: int, name: str, metadata: Mapping[str, Any]) -> int:
    """The version's row (its key columns and whole metadata); returns its id."""
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
    return int(conn.execute(versions.insert().values(row).returning(versions.c.id)).scalar_one())


def insert_details(
    conn: Connection, version_id: int, metadata: Mapping[str, Any], blobs: Mapping[str, Blob]
) -> None:
    """The rows a new version owns: its finite numeric metrics, its tags, its artifacts."""
    metrics = [
        {"version_id": version_id, "name": key, "value": float(value)}
        for key, value in (metadata.get("metrics") or {}).items()
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    ]
    if metrics:
        conn.execute(version_metrics.insert(), metrics)
    index_tags(conn, version_id, metadata)
    if blobs:
        rows = [
            {
                "version_id": version_id,
                "name": f,
                "sha256": b.sha256,
                "bytes": b.bytes,
                "uri": b.uri,
            }
            for f, b in blobs.items()
        ]
        conn.execute(artifacts.insert(), rows)


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
    rows = [
        {"version_id": version_id, "key": key, "value": value}
        for key, value in tags_of(metadata).items()
    ]
    if rows:
        conn.execute(version_tags.insert(), rows)


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
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        conn.execute(pg_insert(table).values(**values).on_conflict_do_nothing())
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        conn.execute(sqlite_insert(table).values(**values).on_conflict_do_nothing())


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
