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
import json
import logging
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import IO, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

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
from ..metadata import METADATA_FILE, utc_now
from ..versions import format_version_name, validate_model_name
from . import sql_reads as reads
from . import sql_session as session
from . import sql_writes as writes
from .artifact_store import ArtifactStore, Blob, link_or_copy
from .assembly import Assemblies
from .base import DEFAULT_MODEL, Backend, Debris, OpenedArtifact
from .sql_engine import (
    create_engine,
    default_artifacts,
    ensure_schema,
    reader,
    remembered_store,
)
from .sql_history import SqlHistory
from .sql_listing import SqlListings
from .sql_query import naive_utc
from .sql_reads import fetch
from .sql_revision import RevisionReader
from .sql_schema import (
    models,
    versions,
)
from .sql_session import WriterTx

__all__ = ["SqlBackend"]

log = logging.getLogger("modelreg")

#: the blob lock, keyed by the catalog's schema so catalogs in one database never queue on each
#: other (the model's writers' lock: `sql_session`)
_BLOB_LOCK = "SELECT {fn}(hashtext('modelreg-blobs:' || current_schema()), 0)"
_T = TypeVar("_T")
#: an unreferenced blob younger than this may be an upload in flight (reported, not removed)
ORPHAN_GRACE_SECONDS = 3600.0


class SqlBackend(SqlListings, SqlHistory, Backend):
    """One model's versions in a SQL catalog, its artifacts in a content-addressed store."""

    trusted_by_default = False
    default_model_format = "safe"
    verifies_local_folder = True
    stages_by_link = True

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
        self._revisions = RevisionReader(self._engine, self._reader, self.location)
        self._store = ArtifactStore(
            artifacts
            or from_environment("artifacts")
            or remembered_store(self._engine)
            or default_artifacts(self._engine.url),
            storage_options=storage_options,
            cache_dir=cache_dir,
        )
        self._tx = WriterTx()
        self._assemblies = Assemblies(self._store.scratch_path)
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
        other._tx = WriterTx()
        other._assemblies = Assemblies(self._store.scratch_path)
        other._model_id = None
        other._owns_engine = False
        return other

    @property
    def artifact_store(self) -> ArtifactStore:
        return self._store

    def location_of(self, name: str) -> str:
        return f"{self.location}#{self.model}/{name}"

    def close(self) -> None:
        self._assemblies.close()
        if self._owns_engine:
            self._revisions.close()
            self._engine.dispose()

    # --- connections and the writers' transaction ------------------------------------------

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        """One connection and one database transaction; nested calls join the outer one.

        What reaches the server when, and in how many messages: `sql_session`.
        """
        if self._tx.conn is not None:  # joined: a write's own block costs next to nothing
            return contextlib.nullcontext()
        return self._transaction(None)

    @contextlib.contextmanager
    def transaction_for_move(self, name: str, channel: str) -> Iterator[session.Holder]:
        """The transaction, its first read (`metadata_and_holder`) sent in the message that
        takes the lock: a promote's reads cost no round trip of their own."""
        with self._transaction((name, channel)):
            yield self.metadata_and_holder(name, channel)

    @contextlib.contextmanager
    def _transaction(self, move: tuple[str, str] | None) -> Iterator[None]:
        tx = self._tx
        if tx.conn is not None:
            yield
            return
        with translated("write to", self.location), self._reader.connect() as conn:
            conn.info["writer"] = True
            try:
                with conn.begin():
                    tx.conn = conn
                    try:
                        self._open(conn, move)
                        yield
                        session.send(tx, self._ensure_model(conn), commit=True)
                    finally:
                        pending = tx.forget()
            except BaseException:
                self._model_id = None  # it may have been created by the rolled-back transaction
                raise
        for step in pending:  # only reached when the transaction committed
            try:
                step()
            except StorageError as exc:  # the write is done; what is left over is debris
                log.warning("%s; `modelreg verify --repair` will finish the cleanup", exc)

    def revision(self) -> int | None:  # one indexed statement; 0 before the first write
        return self._revisions.read(self.model)

    async def revision_async(self) -> int | None:
        return await self._revisions.read_async(self.model)

    def _open(self, conn: Connection, move: tuple[str, str] | None) -> None:
        """SQLite: BEGIN IMMEDIATE has locked the database. PostgreSQL: BEGIN, the model's lock
        and a move's read in one message (a first write learns the model's id, creating its
        row, inside the transaction and before the lock)."""
        if conn.dialect.name != "postgresql":
            sql, params = session.revision_statement(self._ensure_model(conn))
            fetch(conn, sql, *params)
            return
        begin: list[session.Statement] = [("BEGIN", ())]
        if self._model_id is None:
            session.message(conn, begin)
            begin = []
        model_id = self._ensure_model(conn)
        # the revision (`revision()`) is its own statement after the lock: folded into the
        # lock's, a model row not visible yet skipped the lock
        locked = [*begin, session.lock_statement(model_id, self._lock_timeout)]
        locked.append(session.revision_statement(model_id))
        if move is None:
            session.message(conn, locked)
            return
        read = session.holder_statement(model_id, *move)
        session.remember(self._tx, *move, session.message(conn, [*locked, read]))

    def _lock_blobs(self, conn: Connection, *, exclusive: bool, begin: bool = False) -> None:
        """Uploaders share this lock until they commit; removing blobs takes it alone.

        `begin`: `conn` is an autocommit one, whose BEGIN goes out in the lock's message."""
        if conn.dialect.name == "postgresql":
            fn = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
            lock: session.Statement = (_BLOB_LOCK.format(fn=fn), ())
            session.message(conn, [("BEGIN", ()), lock] if begin else [lock])

    @contextlib.contextmanager
    def _read(self) -> Iterator[Connection]:
        """The writer's connection inside a transaction (what it holds back sent first), else a
        short autocommit one."""
        if self._tx.conn is not None:
            with translated("read from", self.location):
                yield self._writer()
            return
        with translated("read from", self.location), self._reader.connect() as conn:
            yield conn

    def _fetch(self, read: Callable[[Connection, int], _T], absent: _T) -> _T:
        """`read(conn, model_id)` on a reading connection; `absent` when the model has no row."""
        with self._read() as conn:
            model_id = self._find_model(conn)
            return absent if model_id is None else read(conn, model_id)

    def _writer(self) -> Connection:
        """The transaction's connection, its held-back writes sent."""
        if self._tx.conn is None:
            raise RuntimeError("SqlBackend writes must run inside transaction()")
        return session.opened(self._tx, self._ensure_model(self._tx.conn))

    # --- models ---------------------------------------------------------------------------

    def _ensure_model(self, conn: Connection) -> int:
        if self._model_id is None:
            found = self._find_model(conn)
            if found is None:
                row = {"name": self.model, "created_at": naive_utc(utc_now())}
                writes.insert_ignore(conn, models, row)
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

    def _read_model_record(self) -> dict[str, Any] | None:
        with self._read() as conn:
            stored = conn.execute(
                sa.select(models.c.meta).where(models.c.name == self.model)
            ).scalar_one_or_none()
        return dict(stored) if isinstance(stored, dict) else None

    def _write_model_record(self, metadata: Mapping[str, Any]) -> None:
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
        """A scratch folder in the cache's filesystem (on disk; /tmp may be memory), named for
        this process, so `debris()` knows it is abandoned if we die."""
        with self._assemblies.once("stage a new version") as folder:
            yield folder

    def prepare_publish(self, staged: Path, files: Mapping[str, Mapping[str, Any]]) -> None:
        """Upload before the lock; `publish` re-checks every blob under it."""
        self._upload(staged, files)

    def _upload(self, staged: Path, files: Mapping[str, Mapping[str, Any]]) -> dict[str, Blob]:
        """Store each file unless its blob is there already (then only its size is checked)."""
        return {
            fname: self._store.put(  # staged: the writer's own files, or links to a caller's
                artifact_path(staged, fname), record["sha256"], int(record["bytes"]), own=True
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
            version_id = writes.insert_version(conn, model_id, name, metadata)
            if version_id is None:
                raise VersionExistsError(
                    f"version {name} already exists in {self.location} (model {self.model})",
                    version=name,
                )
            self._tx.pending.rows += writes.detail_rows(version_id, metadata, blobs)

    def _version_clause(self, model_id: int, name: str) -> Any:
        return sa.and_(versions.c.model_id == model_id, versions.c.name == name)

    def version_names(self) -> list[str]:
        def names(conn: Connection, model_id: int) -> list[str]:
            query = sa.select(versions.c.name).where(versions.c.model_id == model_id)
            return list(conn.execute(query).scalars())

        return self._fetch(names, [])

    def read_metadata(self, name: str | None) -> dict[str, Any] | None:
        if name is None:
            return self._read_model_record()
        writing, known = self._tx.conn is not None, self._tx.metadata
        if writing and name in known:
            return known[name].out(name)
        meta = self._fetch(lambda conn, model_id: reads.metadata_of(conn, model_id, name), None)
        if writing and meta is not None:
            known[name] = session.Kept.encoding(meta)
        return meta

    def metadata_and_pointers(
        self, name: str | None, channel: str | None = None
    ) -> tuple[dict[str, Any] | None, dict[str, str | None]]:
        """One statement: the version's metadata and every pointer, as of one moment."""
        nothing: tuple[dict[str, Any] | None, dict[str, str | None]] = (None, {})
        return self._fetch(
            lambda conn, model_id: reads.metadata_and_pointers(conn, model_id, name, channel),
            nothing,
        )

    def write_metadata(self, name: str | None, metadata: Mapping[str, Any]) -> None:
        """A version this transaction has read is there (the lock keeps it): its write is
        held back (`sql_session`); any other is written now, or not at all if it is absent."""
        if name is None:
            self._write_model_record(metadata)
            return
        with self.transaction():
            known, kept = self._tx.metadata, session.Kept.encoding(metadata)
            if name in known:  # encoded once: the text held back and read from
                self._tx.pending.hold_metadata(name, kept, known[name])
                known[name] = kept
                return
            conn = self._writer()
            if writes.update_metadata(conn, self._ensure_model(conn), name, metadata, None):
                known[name] = kept

    def _artifact_rows(self, name: str) -> list[reads.ArtifactRow]:
        return self._fetch(lambda conn, model_id: reads.artifact_rows(conn, model_id, name), [])

    @contextlib.contextmanager
    def local_folder(self, name: str) -> Iterator[Path]:
        """The version assembled from the download cache, each blob hashed as it is placed
        against the catalog's row, and the rows matching the metadata's records (so
        `verifies_local_folder`: a load hashes each artifact once)."""
        found = self._fetch(
            lambda conn, model_id: reads.version_with_artifacts(conn, model_id, name), None
        )
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
        blobs = {row.file: self._store.cached(row.uri, row.sha256, int(row.bytes)) for row in rows}
        with self._assembled(name, blobs, meta) as root:
            yield root

    @contextlib.contextmanager
    def local_folder_of(self, metadata: Mapping[str, Any]) -> Iterator[Path]:
        """A load's folder with no read at all when the download cache holds every blob the
        metadata records (each hashed against its sha256 on first use, as `local_folder`'s
        are); else `local_folder`, which reads the rows to download from."""
        name = str(metadata["version"])
        blobs = {}
        for file, (sha256, size) in file_records(metadata.get("files") or {}, version=name).items():
            blob = self._store.cached_copy(sha256, size)
            if blob is None:
                with self.local_folder(name) as root:
                    yield root
                return
            blobs[file] = blob
        with self._assembled(name, blobs, metadata) as root:
            yield root

    @contextlib.contextmanager
    def _assembled(
        self, name: str, blobs: Mapping[str, Path], meta: Mapping[str, Any]
    ) -> Iterator[Path]:
        """A scratch folder of links to the cached `blobs` ({file: path}) and the metadata."""
        with self._assemblies.folder("assemble version " + name) as root:
            with translated(f"assemble version {name} in", root):
                for file, blob in blobs.items():
                    link_or_copy(blob, stored_artifact_path(root, file, version=name))
            # compact, so the C encoder writes it (`indent` takes the pure-Python one, ~0.1 ms
            # for 1 KB): this copy is read once, by the load, never kept
            (root / METADATA_FILE).write_bytes(json.dumps(meta, allow_nan=False).encode())
            yield root

    def check_artifacts(self, name: str, files: Mapping[str, Mapping[str, Any]]) -> None:
        """Hash every blob as the store holds it: a good cached copy proves nothing."""
        uris = {row.file: row.uri for row in self._artifact_rows(name)}
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
            if row.file == filename:
                return self._store.open(row.uri)
        raise VersionNotFoundError(
            f"version {name} in {self.location} has no artifact {filename!r}", version=name
        )

    def open_registered(self, name: str, filename: str) -> OpenedArtifact:
        """The artifact's row and whether its version exists, in one statement; then the blob.

        The name is only a lookup key here (a row of the version's artifacts), never a path.
        """
        found = self._fetch(lambda c, m: reads.registered_artifact(c, m, name, filename), None)
        if found is None:
            raise VersionNotFoundError(f"version {name} not found", version=name)
        if found.uri is None:
            raise VersionNotFoundError(f"version {name} has no file {filename!r}", version=name)
        handle = self._store.open(found.uri)
        return OpenedArtifact(name, filename, str(found.sha256), int(found.bytes), handle)

    def delete_version(self, name: str) -> None:
        """Rows go in the transaction; blobs nobody references any more go after it commits."""
        with self.transaction():
            conn = self._writer()
            uris = writes.delete_version(conn, self._ensure_model(conn), name)
            self._tx.metadata.pop(name, None)
            if uris:
                self._tx.after_commit.append(lambda: self._collect(uris))

    def _collect(self, uris: list[str]) -> None:
        """Delete the blobs among `uris` that no row references (under the exclusive lock)."""
        with translated("clean up artifacts of", self.location), self._reader.connect() as conn:
            conn.info["writer"] = True
            with conn.begin():
                self._lock_blobs(conn, exclusive=True, begin=True)
                for uri in sorted(set(uris) - writes.referenced(conn, uris)):
                    self._store.delete(uri)

    # --- pointers -------------------------------------------------------------------------

    def metadata_at(self, channel: str) -> tuple[str | None, dict[str, Any] | None]:
        empty: tuple[str | None, dict[str, Any] | None] = (None, None)
        return self._fetch(
            lambda conn, model_id: reads.pointer_with_metadata(conn, model_id, channel), empty
        )

    def get_pointer(self, channel: str) -> str | None:
        """In a writer's transaction, the version's metadata comes along (it is read next)."""
        if self._tx.conn is None:
            return self._fetch(
                lambda conn, model_id: reads.pointer_of(conn, model_id, channel), None
            )
        if channel not in self._tx.pointers:
            self._read_for_writer(None, channel)
        return self._tx.pointers[channel]

    def metadata_and_holder(self, name: str, channel: str) -> session.Holder:
        """One statement; in a writer's transaction, answered from what it has read (a
        promote's judge and move read once), and sent with any writes it holds back."""
        tx = self._tx
        if tx.conn is None:
            return self._fetch(
                lambda conn, model_id: session.holder_row(
                    fetch(conn, session.HOLDER, model_id, name, model_id, channel), name
                ),
                session.NO_HOLDER,
            )
        if name not in tx.metadata or channel not in tx.pointers:
            self._read_for_writer(name, channel)
        holder = tx.pointers[channel]
        meta, held = (tx.metadata.get(n) if n else None for n in (name, holder))
        return (
            None if meta is None else meta.out(name),
            holder,
            None if held is None or holder is None else held.out(holder),
        )

    def _read_for_writer(self, name: str | None, channel: str) -> None:
        """`metadata_and_holder`'s reads, into the transaction (`session.remember`)."""
        tx = self._tx
        assert tx.conn is not None
        model_id = self._ensure_model(tx.conn)
        with translated("read from", self.location):
            rows = session.send(tx, model_id, session.holder_statement(model_id, name, channel))
        session.remember(tx, name, channel, rows)

    def set_pointer(self, channel: str, name: str | None) -> None:
        """Held back until the transaction's next statement or its commit (`sql_session`)."""
        with self.transaction():
            tx = self._tx
            tx.pending.pointers[channel] = (name, naive_utc(utc_now()))
            tx.pointers[channel] = name

    def pointers(self) -> dict[str, str | None]:
        return self._fetch(reads.pointers_of, {})

    # --- events ---------------------------------------------------------------------------

    def append_event(self, event: Event) -> None:
        """Held back until the transaction's next statement or its commit (`sql_session`)."""
        with self.transaction():
            self._tx.pending.events.append(event)

    def read_events(self) -> list[Event]:
        return self._fetch(reads.events_of, [])

    def names_used_at(self, moment: datetime) -> set[str]:
        """One indexed lookup (`EVENT_SECOND`), however long the audit log has grown."""
        base = format_version_name(moment)

        def names(conn: Connection, model_id: int) -> set[str]:
            found = conn.execute(reads.names_in_second(model_id, base)).scalars()
            return {str(name) for name in found if name is not None}

        return self._fetch(names, set())

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
            referenced = writes.referenced(conn, [b.uri for b in blobs])
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
            if not writes.referenced(conn, [item.path]):
                self._store.delete(item.path)
