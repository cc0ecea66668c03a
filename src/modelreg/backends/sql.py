"""A SQL catalog (PostgreSQL, SQLite) for versions, pointers and events; blobs in an fsspec store.

The catalog decides races: a version name is unique per model by constraint, and `transaction()`
is one database transaction (PostgreSQL: with a per-model advisory lock, so writers queue as
they do on a folder's lock file; SQLite: BEGIN IMMEDIATE with busy_timeout). Artifacts are
uploaded under their sha256 before the lock is taken, and checked again under a shared blob
lock before the rows naming them are inserted; blobs are removed only under that lock held
alone. So the catalog never references bytes that are not there; a crash before the commit
leaves an orphan blob, which `debris()` reports and `verify --repair` removes.
All SQL lives here and in the other `sql_*.py` modules.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import math
import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import _fsutil
from ..config import from_environment
from ..errors import (
    IntegrityError,
    InvalidInputError,
    StorageError,
    VersionExistsError,
    VersionNotFoundError,
)
from ..events import Event
from ..integrity import artifact_path, file_records, stored_artifact_path
from ..lower_errors import translated
from ..metadata import METADATA_FILE, Status, encode_metadata, parse_timestamp, utc_now
from ..versions import format_version_name, parse_version, validate_model_name
from .artifact_store import ArtifactStore, Blob, link_or_copy
from .base import DEFAULT_MODEL, Backend, Debris, OpenedArtifact, VersionQuery, effective_status
from .sql_engine import create_engine, ensure_schema, reader, sqlite_path
from .sql_query import (
    count_matching,
    index_tags,
    metric_counts_of,
    naive_utc,
    page_rows,
)
from .sql_schema import (
    EVENT_SECOND,
    OWNED_BY_VERSION,
    artifacts,
    events,
    models,
    pointers,
    version_metrics,
    versions,
)

__all__ = ["SqlBackend"]

log = logging.getLogger("modelreg")

#: advisory locks, keyed by the catalog's schema so catalogs in one database never queue on
#: each other: one per model (the writers' lock), one for blobs (shared by uploaders)
_MODEL_LOCK = "SELECT pg_advisory_xact_lock(hashtext('modelreg:' || current_schema()), :id)"
_BLOB_LOCK = "SELECT {fn}(hashtext('modelreg-blobs:' || current_schema()), 0)"
#: an unreferenced blob younger than this may be an upload in flight (reported, not removed)
ORPHAN_GRACE_SECONDS = 3600.0


class _Tx(threading.local):
    conn: Connection | None = None
    after_commit: list[Callable[[], None]]

    def __init__(self) -> None:
        self.after_commit = []


class SqlBackend(Backend):
    """One model's versions in a SQL catalog, its artifacts in a content-addressed store."""

    trusted_by_default = False
    default_model_format = "safe"
    verifies_local_folder = True

    def __init__(
        self,
        url: str,
        *,
        artifacts: str | None = None,
        model: str | None = None,
        lock_timeout: float = 60.0,
        storage_options: Mapping[str, Any] | None = None,
        cache_dir: str | Path | None = None,
    ) -> None:
        self.model = validate_model_name(DEFAULT_MODEL if model is None else model)
        self._lock_timeout = lock_timeout
        self._engine = create_engine(url, lock_timeout=lock_timeout)
        self._reader = reader(self._engine)
        self.location = self._engine.url.render_as_string(hide_password=True)
        self._store = ArtifactStore(
            artifacts
            or from_environment("artifacts")
            or _remembered_store(self._engine)
            or _default_artifacts(self._engine.url),
            storage_options=storage_options,
            cache_dir=cache_dir,
        )
        self._tx = _Tx()
        self._model_id: int | None = None
        self._owns_engine = True
        try:
            ensure_schema(self._engine, self.location)
        except BaseException:
            self._engine.dispose()
            raise

    def for_model(self, model: str) -> SqlBackend:
        """Another model of this catalog on the same engine (one pool) and artifact store."""
        other = copy.copy(self)
        other.model = validate_model_name(model)
        other._tx = _Tx()
        other._model_id = None
        other._owns_engine = False
        return other

    @property
    def artifact_store(self) -> ArtifactStore:
        return self._store

    def location_of(self, name: str) -> str:
        return f"{self.location}#{self.model}/{name}"

    def close(self) -> None:
        if self._owns_engine:
            self._engine.dispose()

    # --- connections and the writers' transaction ------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One connection and one database transaction; nested calls join the outer one."""
        if self._tx.conn is not None:
            yield
            return
        with translated("write to", self.location), self._engine.connect() as conn:
            conn.info["writer"] = True
            try:
                with conn.begin():
                    self._lock_model(conn)
                    self._tx.conn = conn
                    try:
                        yield
                    finally:
                        self._tx.conn = None
                        pending, self._tx.after_commit = self._tx.after_commit, []
            except BaseException:
                self._model_id = None  # it may have been created by the rolled-back transaction
                raise
        for step in pending:  # only reached when the transaction committed
            try:
                step()
            except StorageError as exc:  # the write is done; what is left over is debris
                log.warning("%s; `modelreg verify --repair` will finish the cleanup", exc)

    def _lock_model(self, conn: Connection) -> None:
        model_id = self._ensure_model(conn)
        if conn.dialect.name == "postgresql":
            ms = max(1, int(self._lock_timeout * 1000))
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = {ms}")
            conn.execute(sa.text(_MODEL_LOCK), {"id": model_id})

    def _lock_blobs(self, conn: Connection, *, exclusive: bool) -> None:
        """Uploaders share this lock until they commit; removing blobs takes it alone."""
        if conn.dialect.name == "postgresql":
            fn = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
            conn.execute(sa.text(_BLOB_LOCK.format(fn=fn)))

    @contextlib.contextmanager
    def _read(self) -> Iterator[Connection]:
        """The writer's connection inside a transaction, else a short autocommit one."""
        if self._tx.conn is not None:
            with translated("read from", self.location):
                yield self._tx.conn
            return
        with translated("read from", self.location), self._reader.connect() as conn:
            yield conn

    def _writer(self) -> Connection:
        if self._tx.conn is None:
            raise RuntimeError("SqlBackend writes must run inside transaction()")
        return self._tx.conn

    # --- models ---------------------------------------------------------------------------

    def _ensure_model(self, conn: Connection) -> int:
        if self._model_id is None:
            found = self._find_model(conn)
            if found is None:
                row = {"name": self.model, "created_at": naive_utc(utc_now())}
                _insert_ignore(conn, models, row)
                found = self._find_model(conn)
            self._model_id = found
        assert self._model_id is not None
        return self._model_id

    def _find_model(self, conn: Connection) -> int | None:
        if self._model_id is not None:
            return self._model_id
        row = conn.execute(sa.select(models.c.id).where(models.c.name == self.model)).first()
        self._model_id = None if row is None else int(row.id)
        return self._model_id

    def read_model_metadata(self) -> dict[str, Any]:
        with self._read() as conn:
            stored = conn.execute(
                sa.select(models.c.meta).where(models.c.name == self.model)
            ).scalar_one_or_none()
        return dict(stored) if isinstance(stored, dict) else {}

    def write_model_metadata(self, metadata: Mapping[str, Any]) -> None:
        with self.transaction():
            conn = self._writer()
            model_id = self._ensure_model(conn)
            conn.execute(models.update().where(models.c.id == model_id).values(meta=dict(metadata)))

    def model_names(self) -> list[str]:
        with self._read() as conn:
            return list(conn.execute(sa.select(models.c.name).order_by(models.c.name)).scalars())

    # --- versions -------------------------------------------------------------------------

    @contextlib.contextmanager
    def staging(self) -> Iterator[Path]:
        """A scratch folder in the cache's filesystem (on disk; /tmp may be memory)."""
        with self._scratch("stage a new version") as folder:
            yield folder

    @contextlib.contextmanager
    def _scratch(self, action: str) -> Iterator[Path]:
        """A folder named for this process, so `debris()` knows it is abandoned if we die."""
        folder = self._store.scratch_path()
        with translated(action + " in", folder):
            _fsutil.make_dirs(folder)
        try:
            yield folder
        finally:
            with contextlib.suppress(OSError):
                _fsutil.remove_tree(folder)

    def prepare_publish(self, staged: Path, files: Mapping[str, Mapping[str, Any]]) -> None:
        """Upload before the lock; `publish` re-checks every blob under it."""
        self._upload(staged, files)

    def _upload(self, staged: Path, files: Mapping[str, Mapping[str, Any]]) -> dict[str, Blob]:
        """Store each file unless its blob is there already (then only its size is checked)."""
        return {
            fname: self._store.put(
                artifact_path(staged, fname), record["sha256"], int(record["bytes"])
            )
            for fname, record in files.items()
        }

    def publish(self, staged: Path, name: str, metadata: Mapping[str, Any]) -> None:
        """Rows only for blobs seen in the store while holding the shared blob lock.

        A repair or a delete may have removed an unreferenced blob since `prepare_publish`;
        it is uploaded again here, and no one removes blobs until this transaction ends.
        """
        with self.transaction():
            conn = self._writer()
            model_id = self._ensure_model(conn)
            self._lock_blobs(conn, exclusive=False)
            blobs = self._upload(staged, metadata.get("files") or {})
            try:
                with conn.begin_nested():
                    version_id = self._insert_version(conn, model_id, name, metadata)
            except sa.exc.IntegrityError as exc:
                raise VersionExistsError(
                    f"version {name} already exists in {self.location} (model {self.model})",
                    version=name,
                ) from exc
            self._insert_details(conn, version_id, metadata, blobs)

    def _insert_version(
        self, conn: Connection, model_id: int, name: str, metadata: Mapping[str, Any]
    ) -> int:
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
            "status": _status_of(metadata),
            "meta": dict(metadata),
        }
        return int(
            conn.execute(versions.insert().values(row).returning(versions.c.id)).scalar_one()
        )

    def _insert_details(
        self,
        conn: Connection,
        version_id: int,
        metadata: Mapping[str, Any],
        blobs: Mapping[str, Blob],
    ) -> None:
        metrics = [
            {"version_id": version_id, "name": key, "value": float(value)}
            for key, value in (metadata.get("metrics") or {}).items()
            if isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
        ]
        if metrics:
            conn.execute(version_metrics.insert(), metrics)
        index_tags(conn, version_id, metadata)
        if blobs:
            conn.execute(
                artifacts.insert(),
                [
                    {
                        "version_id": version_id,
                        "name": fname,
                        "sha256": blob.sha256,
                        "bytes": blob.bytes,
                        "uri": blob.uri,
                    }
                    for fname, blob in blobs.items()
                ],
            )

    def _version_clause(self, model_id: int, name: str) -> Any:
        return sa.and_(versions.c.model_id == model_id, versions.c.name == name)

    def version_names(self) -> list[str]:
        with self._read() as conn:
            model_id = self._find_model(conn)
            if model_id is None:
                return []
            query = sa.select(versions.c.name).where(versions.c.model_id == model_id)
            return list(conn.execute(query).scalars())

    def read_metadata(self, name: str) -> dict[str, Any] | None:
        with self._read() as conn:
            model_id = self._find_model(conn)
            if model_id is None:
                return None
            row = conn.execute(
                sa.select(versions.c.meta).where(self._version_clause(model_id, name))
            ).first()
        return None if row is None else dict(row.meta)

    def write_metadata(self, name: str, metadata: Mapping[str, Any]) -> None:
        with self.transaction():
            conn = self._writer()
            version_id = conn.execute(
                versions.update()
                .where(self._version_clause(self._ensure_model(conn), name))
                .values(meta=dict(metadata), status=_status_of(metadata))
                .returning(versions.c.id)
            ).scalar_one_or_none()
            if version_id is not None:
                index_tags(conn, version_id, metadata, replace=True)

    def _artifact_rows(self, name: str) -> list[Any]:
        with self._read() as conn:
            model_id = self._find_model(conn)
            if model_id is None:
                return []
            query = (
                sa.select(artifacts.c.name, artifacts.c.sha256, artifacts.c.bytes, artifacts.c.uri)
                .join(versions, versions.c.id == artifacts.c.version_id)
                .where(self._version_clause(model_id, name))
                .order_by(artifacts.c.name)
            )
            return list(conn.execute(query))

    def _version_with_artifacts(self, name: str) -> tuple[dict[str, Any], list[Any]] | None:
        """A version's metadata and artifact rows in one statement (one round trip)."""
        with self._read() as conn:
            model_id = self._find_model(conn)
            if model_id is None:
                return None
            query = (
                sa.select(
                    versions.c.meta,
                    artifacts.c.name.label("file"),
                    artifacts.c.sha256,
                    artifacts.c.bytes,
                    artifacts.c.uri,
                )
                .select_from(versions.outerjoin(artifacts, artifacts.c.version_id == versions.c.id))
                .where(self._version_clause(model_id, name))
                .order_by(artifacts.c.name)
            )
            rows = list(conn.execute(query))
        if not rows:
            return None
        return dict(rows[0].meta), [row for row in rows if row.file is not None]

    @contextlib.contextmanager
    def local_folder(self, name: str) -> Iterator[Path]:
        """The version assembled from the download cache, each blob hashed as it is placed
        against the catalog's row, and the rows matching the metadata's records (so
        `verifies_local_folder`: a load hashes each artifact once)."""
        found = self._version_with_artifacts(name)
        if found is None:
            raise VersionNotFoundError(f"version {name} not found in {self.location}", version=name)
        meta, rows = found
        recorded = file_records(meta.get("files") or {}, version=name)
        if recorded != {row.file: (row.sha256, int(row.bytes)) for row in rows}:
            raise IntegrityError(
                f"version {name}'s artifacts in {self.location} differ from what its metadata "
                "records; run `modelreg verify`",
                version=name,
            )
        with self._scratch("assemble version " + name) as root:
            for row in rows:
                blob = self._store.cached(row.uri, row.sha256, int(row.bytes))
                with translated(f"assemble version {name} in", root):
                    link_or_copy(blob, stored_artifact_path(root, row.file, version=name))
            (root / METADATA_FILE).write_bytes(encode_metadata(meta))
            yield root

    def check_artifacts(self, name: str, files: Mapping[str, Mapping[str, Any]]) -> None:
        """Hash every blob as the store holds it: a good cached copy proves nothing."""
        uris = {row.name: row.uri for row in self._artifact_rows(name)}
        for fname, record in files.items():
            uri = uris.get(fname)
            if uri is None:
                raise IntegrityError(
                    f"version {name} lists {fname} but the catalog has no artifact for it",
                    version=name,
                    path=fname,
                )
            self._store.check(uri, str(record.get("sha256")), int(record.get("bytes") or 0))

    def open_artifact(self, name: str, filename: str) -> IO[bytes]:
        for row in self._artifact_rows(name):
            if row.name == filename:
                return self._store.open(row.uri)
        raise VersionNotFoundError(
            f"version {name} in {self.location} has no artifact {filename!r}", version=name
        )

    def open_registered(self, name: str, filename: str) -> OpenedArtifact:
        """The artifact's row and whether its version exists, in one statement; then the blob.

        The name is only a lookup key here (a row of the version's artifacts), never a path.
        """
        with self._read() as conn:
            model_id = self._find_model(conn)
            row = None
            if model_id is not None:
                on = sa.and_(artifacts.c.version_id == versions.c.id, artifacts.c.name == filename)
                query = (
                    sa.select(artifacts.c.sha256, artifacts.c.bytes, artifacts.c.uri)
                    .select_from(versions.outerjoin(artifacts, on))
                    .where(self._version_clause(model_id, name))
                )
                row = conn.execute(query).first()
        if row is None:
            raise VersionNotFoundError(f"version {name} not found", version=name)
        if row.uri is None:
            raise VersionNotFoundError(f"version {name} has no file {filename!r}", version=name)
        handle = self._store.open(row.uri)
        return OpenedArtifact(name, filename, str(row.sha256), int(row.bytes), handle)

    def delete_version(self, name: str) -> None:
        """Rows go in the transaction; blobs nobody references any more go after it commits."""
        with self.transaction():
            conn = self._writer()
            row = conn.execute(
                sa.select(versions.c.id).where(self._version_clause(self._ensure_model(conn), name))
            ).first()
            if row is None:
                return
            uris = list(
                conn.execute(
                    sa.select(artifacts.c.uri).where(artifacts.c.version_id == row.id)
                ).scalars()
            )
            for table in OWNED_BY_VERSION:
                conn.execute(table.delete().where(table.c.version_id == row.id))
            conn.execute(versions.delete().where(versions.c.id == row.id))
            if uris:
                self._tx.after_commit.append(lambda: self._collect(uris))

    def _collect(self, uris: list[str]) -> None:
        """Delete the blobs among `uris` that no row references (under the exclusive lock)."""
        with translated("clean up artifacts of", self.location), self._engine.connect() as conn:
            conn.info["writer"] = True
            with conn.begin():
                self._lock_blobs(conn, exclusive=True)
                for uri in sorted(set(uris) - _referenced(conn, uris)):
                    self._store.delete(uri)

    # --- pointers -------------------------------------------------------------------------

    def get_pointer(self, channel: str) -> str | None:
        with self._read() as conn:
            model_id = self._find_model(conn)
            if model_id is None:
                return None
            query = sa.select(pointers.c.version).where(
                pointers.c.model_id == model_id, pointers.c.channel == channel
            )
            return conn.execute(query).scalar_one_or_none()

    def set_pointer(self, channel: str, name: str | None) -> None:
        with self.transaction():
            conn = self._writer()
            model_id = self._ensure_model(conn)
            where = sa.and_(pointers.c.model_id == model_id, pointers.c.channel == channel)
            conn.execute(pointers.delete().where(where))
            if name is not None:
                conn.execute(
                    pointers.insert().values(
                        model_id=model_id,
                        channel=channel,
                        version=name,
                        updated_at=naive_utc(utc_now()),
                    )
                )

    def channel_names(self) -> list[str]:
        with self._read() as conn:
            model_id = self._find_model(conn)
            if model_id is None:
                return []
            query = (
                sa.select(pointers.c.channel)
                .where(pointers.c.model_id == model_id)
                .order_by(pointers.c.channel)
            )
            return list(conn.execute(query).scalars())

    def pointers(self) -> dict[str, str | None]:
        with self._read() as conn:
            model_id = self._find_model(conn)
            if model_id is None:
                return {}
            query = (
                sa.select(pointers.c.channel, pointers.c.version)
                .where(pointers.c.model_id == model_id)
                .order_by(pointers.c.channel)
            )
            return {row.channel: row.version for row in conn.execute(query)}

    # --- events ---------------------------------------------------------------------------

    def append_event(self, event: Event) -> None:
        with self.transaction():
            conn = self._writer()
            conn.execute(
                events.insert().values(
                    model_id=self._ensure_model(conn),
                    timestamp=event.timestamp,
                    action=event.action,
                    version=event.version,
                    channel=event.channel,
                    body=event.to_dict(),
                )
            )

    def read_events(self) -> list[Event]:
        with self._read() as conn:
            model_id = self._find_model(conn)
            if model_id is None:
                return []
            query = sa.select(events.c.body).where(events.c.model_id == model_id)
            return [
                Event.from_dict(body)
                for body in conn.execute(query.order_by(events.c.id)).scalars()
            ]

    def names_used_at(self, moment: datetime) -> set[str]:
        """One indexed lookup (`EVENT_SECOND`), however long the audit log has grown."""
        base = format_version_name(moment)
        with self._read() as conn:
            model_id = self._find_model(conn)
            if model_id is None:
                return set()
            query = names_in_second(model_id, base)
            return {str(name) for name in conn.execute(query).scalars() if name is not None}

    # --- leftovers ------------------------------------------------------------------------

    def interrupted_writes(self) -> list[Debris]:
        """None: a transaction leaves nothing half-written, and orphan blobs are verify's.

        The base class would list the whole blob store on every cleanup only to keep nothing.
        """
        return []

    def debris(self) -> list[Debris]:
        """Blobs no row references, and what killed writers left (`ArtifactStore.leftovers`).

        Inside a transaction (verify --repair) every such blob is reported: `remove_debris`
        re-checks under the blob lock held alone, so no publish is between its blob check and
        its commit, and an upload still waiting for the writers' lock re-uploads its blob.
        Outside, only blobs older than the grace period are reported, as a younger one may be
        an upload in flight.
        """
        leftovers = self._store.leftovers()
        blobs = self._store.blobs()
        if not blobs:
            return leftovers
        with self._read() as conn:
            referenced = _referenced(conn, [b.uri for b in blobs])
        locked = self._tx.conn is not None
        return leftovers + [
            Debris("orphan-blob", blob.uri, f"{blob.bytes} bytes no version references")
            for blob in blobs
            if blob.uri not in referenced
            and (locked or (blob.age_seconds or 0.0) > ORPHAN_GRACE_SECONDS)
        ]

    def remove_debris(self, item: Debris) -> None:
        if item.kind in ("staging", "temp-file", "unfinished-upload"):
            self._store.remove_leftover(item)
            return
        if item.kind != "orphan-blob":
            raise InvalidInputError(f"{self.location} has no leftovers of kind {item.kind!r}")
        with self.transaction():
            conn = self._writer()
            self._lock_blobs(conn, exclusive=True)
            if not _referenced(conn, [item.path]):
                self._store.delete(item.path)

    # --- derived, pushed into SQL ---------------------------------------------------------

    def query(self, query: VersionQuery) -> list[dict[str, Any]]:
        """Metric, date, status and tag filters, the order and the page run in the database.

        How a far page stays cheap: `sql_query.page_rows`.
        """
        with self._read() as conn:
            model_id = self._find_model(conn)
            if model_id is None:
                return []
            rows = page_rows(conn, model_id, query)
        found = []
        for row in rows:
            meta = dict(row.meta)
            meta["deployment_status"] = effective_status(row.status, row.name, query.production)
            found.append(meta)
        return found

    def count(self, query: VersionQuery) -> int:
        with self._read() as conn:
            model_id = self._find_model(conn)
            return 0 if model_id is None else count_matching(conn, model_id, query)

    def metric_counts(self) -> dict[str, int]:
        with self._read() as conn:
            model_id = self._find_model(conn)
            if model_id is None:
                return {}
            return metric_counts_of(conn, model_id)


def names_in_second(model_id: int, base: str) -> sa.Select[Any]:
    """The version names events gave the second `base`: a lookup in `EVENT_SECOND`'s index."""
    return sa.select(events.c.version).where(events.c.model_id == model_id, EVENT_SECOND == base)  # noqa: SIM300


def _status_of(metadata: Mapping[str, Any]) -> str:
    return str(metadata.get("deployment_status") or Status.REGISTERED.value)


def _referenced(conn: Connection, uris: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(uris), 500):
        chunk = uris[start : start + 500]
        query = sa.select(artifacts.c.uri).where(artifacts.c.uri.in_(chunk)).distinct()
        found.update(conn.execute(query).scalars())
    return found


def _insert_ignore(conn: Connection, table: sa.Table, values: Mapping[str, Any]) -> None:
    """INSERT that does nothing when a unique key is taken (a concurrent first writer)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        conn.execute(pg_insert(table).values(**values).on_conflict_do_nothing())
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        conn.execute(sqlite_insert(table).values(**values).on_conflict_do_nothing())


def _remembered_store(engine: sa.Engine) -> str | None:
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


def _default_artifacts(url: sa.URL) -> str:
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
