"""Connecting to a catalog: engines, driver errors, the schema version check, and where
the catalog's artifact store is (remembered from its blobs' URIs, or beside a SQLite file).

Schema policy: an *empty* database (no modelreg tables, no recorded revision) is created on
first use, since nothing can be lost and concurrent first users serialize on a lock. A catalog
at an *older* revision is never upgraded implicitly (other processes may still run the old
code): `modelreg db upgrade` does that. A catalog at a revision this modelreg does not know
was written by a newer one and is refused with SchemaVersionError.

Connection policy (PostgreSQL): no ping before each checkout (it cost a round trip per read).
Instead a pooled connection is retired once it is `POOL_RECYCLE_SECONDS` old, below the idle
cut-offs of the usual proxies and load balancers; one the server dropped anyway (a restart, a
failover) fails the single operation that used it with a StorageError, and SQLAlchemy then
discards every pooled connection opened before, so the next operation connects afresh.
Reads run in autocommit (`reader`): one statement is one round trip, no BEGIN or ROLLBACK.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from .._json_text import loads
from ..errors import InvalidInputError, SchemaVersionError
from ..lower_errors import translated
from .sql_schema import SCHEMA_VERSION_TABLE, artifacts, metadata

__all__ = [
    "MIGRATIONS",
    "POOL_RECYCLE_SECONDS",
    "POOL_SIZE",
    "create_engine",
    "default_artifacts",
    "ensure_schema",
    "head_revision",
    "reader",
    "remembered_store",
    "sqlite_path",
    "upgrade_catalog",
    "upgrade_schema",
]

MIGRATIONS = Path(__file__).with_name("migrations")
#: a pooled PostgreSQL connection older than this is closed instead of reused (see above)
POOL_RECYCLE_SECONDS = 300
#: connections kept open between uses. SQLAlchemy's default of 5 made a server with more
#: requests in flight than that close each extra connection at check-in and open a new one on
#: the next request (measured: 47 new sessions in 5 s under 8 client threads, each a backend
#: process PostgreSQL forks); up to 10 more are still opened, and closed, for bursts
POOL_SIZE = 16
#: the advisory lock under which creating or upgrading one schema's tables serializes
_SCHEMA_LOCK = "SELECT pg_advisory_xact_lock(hashtext('modelreg-schema:' || current_schema()))"


def column_json(text: str | bytes) -> Any:
    """A JSON column's value as the driver hands it over: decoded or, where it cannot be, the
    text itself, for the reader's own check to name the row as corrupt (`sql_reads.decoded`).
    An exception raised here would escape that check from inside the driver's fetch."""
    try:
        return loads(text)
    except ValueError:
        return text


def sqlite_path(url: sa.URL) -> Path | None:
    """The database file of a `sqlite:///` URL (None for in-memory databases)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database).absolute()


def create_engine(url: str, *, lock_timeout: float) -> Engine:
    """An engine for `url` with our driver defaults (psycopg 3; SQLite WAL + busy_timeout)."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise InvalidInputError(f"not a database URL: {url!r} ({exc})", location=url) from exc
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "postgres"):
        if parsed.get_driver_name() in ("", "psycopg2") and "+" not in parsed.drivername:
            parsed = parsed.set(drivername="postgresql+psycopg")
        with translated("connect to", url):
            return sa.create_engine(
                parsed,
                pool_size=POOL_SIZE,
                pool_recycle=POOL_RECYCLE_SECONDS,
                json_deserializer=column_json,
                future=True,
            )
    if backend == "sqlite":
        with translated("open", url):
            engine = sa.create_engine(parsed, json_deserializer=column_json, future=True)
        _configure_sqlite(engine, lock_timeout)
        return engine
    raise InvalidInputError(
        f"unsupported catalog {backend!r} in {url!r}: use postgresql:// or sqlite:///",
        location=url,
    )


def remembered_store(engine: Engine) -> str | None:
    """The store this catalog's artifacts live in, read back from any one of their URIs.

    A blob's URI is `<store>/sha256/<ab>/<sha256>` (`ArtifactStore.uri`), so once a version is
    in, the catalog names its own store: only the first set-up has to give `--artifacts`.
    """
    try:
        with engine.connect() as conn:
            uri = conn.execute(sa.select(artifacts.c.uri).limit(1)).scalar()
    except sa.exc.SQLAlchemyError:  # no tables yet (a new catalog), or not reachable: say so later
        return None
    if not isinstance(uri, str) or "/sha256/" not in uri:
        return None
    return uri.rsplit("/sha256/", 1)[0]


def default_artifacts(url: sa.URL) -> str:
    db_file = sqlite_path(url)
    if db_file is None:
        raise InvalidInputError(
            f"a new {url.get_backend_name()} catalog needs an artifact store the first time: "
            "give --artifacts s3://bucket/prefix (CLI), artifacts='s3://bucket/prefix' "
            "(Python) or $MODELREG_ARTIFACTS (any fsspec URL or folder); once it holds a "
            "version, the catalog remembers its store",
            location=url.render_as_string(hide_password=True),
        )
    return str(db_file.with_name(db_file.stem + "-artifacts"))


def reader(engine: Engine) -> Engine:
    """The engine reads go through: autocommit on PostgreSQL (same pool), as is on SQLite.

    SQLite keeps its explicit BEGIN for reads too: pysqlite's own autocommit switch would be
    reset on check-in in a way that lets it open transactions behind SQLAlchemy's back.
    """
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine


def _configure_sqlite(engine: Engine, lock_timeout: float) -> None:
    """Let SQLAlchemy, not pysqlite, emit BEGIN, so writers can take the lock up front."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(lock_timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("writer") else "BEGIN")


def _alembic_config(conn: Connection | None = None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    return config


@functools.cache
def head_revision() -> str:
    """The newest schema revision this modelreg ships."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return str(head)


@functools.cache
def _known_revisions() -> frozenset[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config())
    return frozenset(rev.revision for rev in script.walk_revisions())


def _current_revision(conn: Connection) -> str | None:
    from alembic.migration import MigrationContext

    context = MigrationContext.configure(conn, opts={"version_table": SCHEMA_VERSION_TABLE})
    return context.get_current_revision()


def _has_our_tables(conn: Connection) -> bool:
    names = set(sa.inspect(conn).get_table_names())
    return bool(names & set(metadata.tables))


def _lock_schema(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(_SCHEMA_LOCK))


def _upgrade(conn: Connection) -> None:
    from alembic import command

    command.upgrade(_alembic_config(conn), "head")


def ensure_schema(engine: Engine, where: str) -> None:
    """Check the catalog's revision; create the tables in an empty database."""
    with translated("check the schema of", where):
        with engine.connect() as conn:
            current = _current_revision(conn)
        if current == head_revision():
            return
        _refuse_newer(current, where)
        with engine.connect() as conn:
            conn.info["writer"] = True
            with conn.begin():
                _lock_schema(conn)
                current = _current_revision(conn)
                if current is None and not _has_our_tables(conn):
                    _upgrade(conn)
                    return
        if current != head_revision():
            raise SchemaVersionError(
                f"the catalog at {where} is at schema revision {current or 'unknown'}, this "
                f"modelreg needs {head_revision()}: run `modelreg db upgrade --registry URL` "
                "once all writers run the new modelreg",
                location=where,
                current=current,
                required=head_revision(),
            )


def _refuse_newer(current: str | None, where: str) -> None:
    if current is not None and current not in _known_revisions():
        raise SchemaVersionError(
            f"the catalog at {where} has schema revision {current}, written by a newer "
            f"modelreg (this one knows up to {head_revision()}); upgrade modelreg "
            "(pip install -U modelreg) on this machine",
            location=where,
            current=current,
            required=head_revision(),
        )


def upgrade_schema(engine: Engine, where: str) -> tuple[str | None, str]:
    """Bring the catalog to the newest revision (`modelreg db upgrade`); returns (from, to)."""
    with translated("upgrade the schema of", where), engine.connect() as conn:
        conn.info["writer"] = True
        with conn.begin():
            _lock_schema(conn)
            before = _current_revision(conn)
            _refuse_newer(before, where)
            if before is None and _has_our_tables(conn):
                raise SchemaVersionError(
                    f"{where} holds modelreg tables but no schema revision; refusing to guess",
                    location=where,
                )
            _upgrade(conn)
    return before, head_revision()


def upgrade_catalog(url: str) -> tuple[str | None, str]:
    """`modelreg db upgrade URL`: migrate the catalog at `url`; returns (from, to) revisions."""
    engine = create_engine(url, lock_timeout=60.0)
    try:
        return upgrade_schema(engine, engine.url.render_as_string(hide_password=True))
    finally:
        engine.dispose()
