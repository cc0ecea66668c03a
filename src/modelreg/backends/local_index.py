"""A derived index of a folder registry's versions, so listing stays fast at 100,000 versions.

The folder is the truth; `.index/versions.sqlite` (stdlib sqlite3, WAL) caches what
`list_versions` filters on: each version's sort key, training date, stored status, metrics and
tags.
`LocalBackend` keeps it in step under the writers' lock. Before every use a reader compares a
fingerprint of the root folder (one `stat`: inode, mtime, link count, size) with the one
recorded; when the folder changed behind the index's back (a version copied in or removed by
hand, a crash between a publish and its index update) it reconciles by one scan of names and
reads only the new versions. A corrupt, outdated or half-updated ("dirty") index is rebuilt from
the metadata files. Every failure here returns None, so the caller reads the files instead, and
is logged: the index never fails a write and is never trusted when in doubt.

A metadata.json rewrite marks the index dirty before its rename and clears the mark with the
new row after it. The mark is a plain SQLite commit, not fsynced, where the system names its
boot (`/proc/sys/kernel/random/boot_id`): a killed process leaves it in the page cache, and
only a power cut or a system crash can lose it, after which the boot differs from the one the
index last checked in, so its first reader compares every row's recorded file stat with the
file's (one `stat` a version) and reads again those that differ. Elsewhere the mark is fsynced
with the rewrite's own contents, before the rename, as before.

Known limits: a hand edit of a version's metadata.json is seen when that version is listed
(its file's stat changed) but not when a filter left it out, until the index is rebuilt
(delete `.index/`). SQLite's WAL needs shared memory, so on a network filesystem written from
several hosts use `LocalBackend(root, index=False)`.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from .._fsutil import fsync_uncounted
from ..errors import CorruptVersionError, InvalidInputError
from ..metadata import METADATA_FILE, parse_timestamp
from ..query import VersionQuery
from ..tags import TAGS_KEY, tags_of
from ..versions import is_version_name, parse_version
from .local_index_batch import MARKED, ChangeBatch
from .local_index_query import Listed, count_sql, micros, page

__all__ = ["INDEX_DIR", "LISTED", "MARKED", "VersionIndex", "file_stat", "fingerprint", "racy"]

log = logging.getLogger("modelreg")

INDEX_DIR = ".index"
_DB = "versions.sqlite"
_SCHEMA_VERSION = 5  # 5: the boot the rows were last checked in (unsynced marks)
_SCHEMA = """
CREATE TABLE state (id INTEGER PRIMARY KEY CHECK (id = 1), fingerprint TEXT,
                    dirty INTEGER NOT NULL, generation INTEGER NOT NULL, boot TEXT);
INSERT INTO state VALUES (1, NULL, 1, 0, NULL);
CREATE TABLE versions (name TEXT PRIMARY KEY, ts INTEGER NOT NULL, counter INTEGER NOT NULL,
                       trained INTEGER, status TEXT, stat TEXT, listed TEXT NOT NULL)
                       WITHOUT ROWID;
CREATE INDEX versions_order ON versions (ts, counter, name);
CREATE TABLE metrics (name TEXT NOT NULL, key TEXT NOT NULL, value REAL NOT NULL,
                      PRIMARY KEY (name, key)) WITHOUT ROWID;
CREATE TABLE tags (name TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
                   PRIMARY KEY (name, key)) WITHOUT ROWID;
CREATE INDEX tags_lookup ON tags (key, value, name);
CREATE TABLE pending (name TEXT PRIMARY KEY) WITHOUT ROWID;
"""
#: the metadata a listing shows, kept in the index so listing reads no file that did not change
LISTED = (
    "version",
    "training_date",
    "registered_at",
    "deployment_status",
    "metrics",
    "features",
    "data_range",
    "hyperparameters",
    "model",
    TAGS_KEY,
)

ReadMetadata = Callable[[str], "dict[str, Any] | None"]


@functools.cache
def current_boot() -> str | None:
    """This boot of the system, where it has a name (Linux), else None: a dirty mark that
    is not fsynced survives until the boot changes."""
    try:
        with open("/proc/sys/kernel/random/boot_id") as handle:
            return handle.read().strip() or None
    except OSError:
        return None


def fingerprint(st: os.stat_result) -> str:
    """What changes whenever an entry is added to or removed from the root folder."""
    return f"{st.st_dev}.{st.st_ino}.{st.st_mtime_ns}.{st.st_nlink}.{st.st_size}"


def racy(st: os.stat_result) -> bool:
    """Whether the root changed so recently that a change in the same clock tick could follow
    unseen (the mtime would not move); such a fingerprint is recorded so it never matches, and
    the next reader scans again (git's "racily clean" rule). Whole-second mtimes mean a coarse
    filesystem clock."""
    tick = 2_000_000_000 if st.st_mtime_ns % 1_000_000_000 == 0 else 50_000_000
    return time.time_ns() - st.st_mtime_ns < tick


def file_stat(root: Path | str, name: str, *, root_fd: int | None = None) -> str | None:
    """Identity of a version's metadata.json: a rewrite (atomic replace) changes the inode.

    `root_fd`, the root opened, spares the kernel walking the root's path once per version (a
    listing of 100,000 asks 100,000 times)."""
    try:
        if root_fd is None:
            st = os.stat(f"{root}/{name}/{METADATA_FILE}")
        else:
            st = os.stat(f"{name}/{METADATA_FILE}", dir_fd=root_fd)
    except OSError:
        return None
    return f"{st.st_ino}.{st.st_mtime_ns}.{st.st_size}"


def _listed(meta: Mapping[str, Any]) -> dict[str, Any]:
    """The fields a listing shows, as the `listed` column holds them (JSON)."""
    return {key: meta.get(key) for key in LISTED}


def _row(name: str, meta: Mapping[str, Any], stat: str | None) -> _Rows:
    """The `versions`, `metrics` and `tags` rows of one version (`stat`: its file when read)."""
    parsed = parse_version(name)
    try:
        trained: int | None = micros(
            parse_timestamp(meta.get("training_date") or meta.get("registered_at"))
        )
    except InvalidInputError:
        trained = None
    status = meta.get("deployment_status")
    listed = json.dumps(_listed(meta))
    row = (name, int(name[:8] + name[9:15]), parsed.counter, trained, status, stat, listed)
    metrics = meta.get("metrics") or {}
    numbers = [
        (name, key, float(value))
        for key, value in metrics.items()
        if isinstance(value, (int, float)) and not isinstance(value, bool)
    ]
    return row, numbers, [(name, key, value) for key, value in tags_of(meta).items()]


class IndexUnusable(Exception):
    """The index cannot answer right now; the caller reads the folder instead."""


class VersionIndex:
    """The SQLite cache beside one registry folder; thread-safe, fork-aware."""

    def __init__(self, root: Path, read_metadata: ReadMetadata) -> None:
        self.root = root
        self.path = root / INDEX_DIR / _DB
        self._read_metadata = read_metadata
        self._guard = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        self._inode = -1
        self._complained = False
        self._batch = ChangeBatch()

    # --- connection -----------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        try:
            inode = os.stat(self.path).st_ino
        except FileNotFoundError:
            inode = -1
        if self._conn is not None and self._pid == os.getpid() and self._inode == inode:
            return self._conn
        # A connection inherited through fork(), or to a file someone deleted, is dropped.
        self._drop_connection()
        if not self.root.is_dir():
            raise IndexUnusable("no registry folder yet")
        with contextlib.suppress(FileExistsError):
            os.mkdir(self.path.parent)
        conn = sqlite3.connect(
            self.path, timeout=5.0, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            if conn.execute("PRAGMA user_version").fetchone()[0] != _SCHEMA_VERSION:
                self._create(conn)
        except BaseException:
            conn.close()
            raise
        self._conn, self._pid, self._inode = conn, os.getpid(), os.stat(self.path).st_ino
        return conn

    @staticmethod
    def _create(conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("PRAGMA user_version").fetchone()[0] != _SCHEMA_VERSION:
                for table in ("state", "versions", "metrics", "tags", "pending"):
                    conn.execute(f"DROP TABLE IF EXISTS {table}")
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        with self._guard:
            self._drop_connection()

    def _drop_connection(self) -> None:
        if self._conn is not None and self._pid == os.getpid():
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
        self._conn = None

    def _complain(self, message: str, *args: object) -> None:
        """Warn once per instance (a read-only registry would otherwise warn on every read)."""
        log.log(logging.DEBUG if self._complained else logging.WARNING, message, self.path, *args)
        self._complained = True

    def _discard(self) -> None:
        """Delete a corrupt index so that the next use builds a fresh one."""
        self._drop_connection()
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                os.unlink(f"{self.path}{suffix}")

    @contextlib.contextmanager
    def _using(self, what: str) -> Iterator[sqlite3.Connection]:
        """The connection, with any failure logged and turned into IndexUnusable."""
        with self._guard:
            try:
                yield self._connect()
            except IndexUnusable:
                raise
            except sqlite3.OperationalError as exc:  # locked, read-only, I/O: try again later
                self._complain("registry index %s unusable while %s: %s", what, exc)
                raise IndexUnusable(str(exc)) from exc
            except sqlite3.DatabaseError as exc:  # corrupt: never trusted, rebuilt
                self._complain("registry index %s: %s while %s; rebuilding it", exc, what)
                self._discard()
                raise IndexUnusable(str(exc)) from exc
            except Exception as exc:  # a cache: any failure means "read the files"
                self._complain("registry index %s unusable while %s: %s", what, exc)
                raise IndexUnusable(str(exc)) from exc

    # --- readers --------------------------------------------------------------------------

    def query(self, query: VersionQuery) -> list[Listed] | None:
        """(name, file stat, stored status, listed fields as JSON) of the page of versions
        matching `query`, in its order; None when the folder must be read instead."""
        return self._answer("listing versions", query, lambda conn: page(conn, query))

    def names(self) -> list[str] | None:
        """Every published version's name; None when the folder must be read instead."""
        try:
            with self._using("listing version names") as conn:
                self._ensure_fresh(conn)
                return [row[0] for row in conn.execute("SELECT name FROM versions")]
        except IndexUnusable:
            return None

    def count(self, query: VersionQuery) -> int | None:
        """How many versions match `query`'s filters; None when the folder must be read."""
        sql, params = count_sql(query)
        return self._answer(
            "counting versions", query, lambda c: c.execute(sql, params).fetchone()[0]
        )

    def metric_counts(self) -> dict[str, int] | None:
        """{metric: how many versions record it}; None when the folder must be read."""
        sql = "SELECT key, count(*) FROM metrics GROUP BY key ORDER BY key"
        return self._answer("counting metrics", None, lambda c: dict(c.execute(sql)))

    def _answer(
        self, what: str, query: VersionQuery | None, ask: Callable[[sqlite3.Connection], Any]
    ) -> Any:
        try:
            with self._using(what) as conn:
                self._ensure_fresh(conn)
                dated = query is not None and (
                    query.trained_after is not None or query.trained_before is not None
                )
                if dated and conn.execute(_UNDATED).fetchone():
                    return None  # reading the files raises the right error for that version
                return ask(conn)
        except IndexUnusable:
            return None

    def _ensure_fresh(self, conn: sqlite3.Connection) -> None:
        fp, dirty, generation, boot = conn.execute(
            "SELECT fingerprint, dirty, generation, boot FROM state"
        ).fetchone()
        if dirty:
            self._reconcile(conn, generation, full=True)
        elif boot != current_boot():  # rebooted since: a mark not fsynced may be lost
            self._reconcile(conn, generation, full=False, restat=True)
        elif fp != fingerprint(os.stat(self.root)) or self._pending_arrived(conn):
            self._reconcile(conn, generation, full=False)

    def _pending_arrived(self, conn: sqlite3.Connection) -> bool:
        """A folder seen without its metadata.json (a copy in progress) that now has one."""
        return any(
            os.path.exists(os.path.join(self.root, name, METADATA_FILE))
            for (name,) in conn.execute("SELECT name FROM pending")
        )

    def _reconcile(
        self, conn: sqlite3.Connection, generation: int, *, full: bool, restat: bool = False
    ) -> None:
        """Bring the index in step with the folder: all of it, or only what was added/removed
        (and, with `restat`, each version whose metadata.json is not the file its row saw).

        The fingerprint is taken before the scan, so a change during the scan shows up as a
        mismatch next time; a writer's commit meanwhile (generation moved) abandons this one.
        """
        before = os.stat(self.root)
        on_disk = {e.name for e in os.scandir(self.root) if e.is_dir(follow_symlinks=False)}
        seen = {} if full else dict(conn.execute("SELECT name, stat FROM versions").fetchall())
        indexed = set(seen)
        fresh = sorted(n for n in on_disk - indexed if is_version_name(n))
        if restat:
            fresh += [n for n, st in seen.items() if n in on_disk and file_stat(self.root, n) != st]
        rows, pending = self._read(fresh)
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("SELECT generation FROM state").fetchone()[0] != generation:
                raise IndexUnusable("a writer changed the index during the scan")
            if full:
                conn.execute("DELETE FROM versions")
                conn.execute("DELETE FROM metrics")
                conn.execute("DELETE FROM tags")
            _forget(conn, indexed - on_disk)
            _put(conn, rows)
            conn.execute("DELETE FROM pending")
            conn.executemany("INSERT INTO pending VALUES (?)", [(n,) for n in pending])
            recorded = fingerprint(before) + ("~racy" if racy(before) else "")
            conn.execute(
                "UPDATE state SET fingerprint = ?, dirty = 0, boot = ?", (recorded, current_boot())
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        if full or rows:
            log.debug("registry index %s: indexed %d version(s)", self.path, len(rows))

    def _read(self, names: list[str]) -> tuple[list[_Rows], list[str]]:
        rows, pending = [], []
        for name in names:
            stat = file_stat(self.root, name)  # before the read: a later rewrite shows up
            try:
                meta = self._read_metadata(name)
            except CorruptVersionError as exc:  # the folder read reports it, as without an index
                raise IndexUnusable(str(exc)) from exc
            if meta is None:
                pending.append(name)
            else:
                rows.append(_row(name, meta, stat))
        return rows, pending

    # --- writers (under the registry lock) ------------------------------------------------

    def published(self, name: str, meta: Mapping[str, Any], before: os.stat_result | None) -> None:
        """Record a version just renamed into the root (`before`: the root's stat before)."""
        row = _row(name, meta, file_stat(self.root, name))
        self._record(f"recording {name}", before, +1, rows=[row], gone=[])

    def kept(self, before: os.stat_result | None, links: int) -> None:
        """A folder of the registry's own (`.trash`) entered or left the root: no version did."""
        self._record("noting a folder that holds no version", before, links, rows=[], gone=[])

    def deleted(
        self, name: str, before: os.stat_result | None, after: os.stat_result | None = None
    ) -> None:
        """Forget a version just renamed out of the root (`after`: the root's stat since)."""
        self._record(f"forgetting {name}", before, -1, rows=[], gone=[name], after=after)

    def _record(
        self,
        what: str,
        before: os.stat_result | None,
        links: int,
        *,
        rows: list[_Rows],
        gone: list[str],
        after: os.stat_result | None = None,
    ) -> None:
        """Apply one writer's change; keep the index trusted only if it was in step before.

        The link count tells whether anything else entered or left the root meanwhile; past
        65,000 subfolders ext4 reports 1 and counts no more, and there the writers' lock is the
        guard, as for the backend's channel folders (else every read after a write at 100,000
        versions would scan the root). The recorded fingerprint is compared in the UPDATE
        itself: one statement, where a SELECT and an UPDATE were two.
        """
        with contextlib.suppress(IndexUnusable), self._using(what) as conn:
            after = after or os.stat(self.root)
            counted = after.st_nlink - before.st_nlink == links if before else False
            in_step = (
                before is not None
                and after.st_ino == before.st_ino
                and (counted or after.st_nlink == before.st_nlink == 1)
            )
            conn.execute("BEGIN IMMEDIATE")
            try:
                _forget(conn, set(gone))
                _put(conn, rows)
                conn.execute(
                    "UPDATE state SET generation = generation + 1, fingerprint = "
                    "CASE WHEN ? AND fingerprint = ? THEN ? ELSE fingerprint END",
                    (in_step, fingerprint(before) if before else "", fingerprint(after)),
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def begin_change(self, name: str) -> Callable[[], bool] | None:
        """Before a rewrite of `name`'s metadata.json is renamed into place: mark the index
        dirty. Returns `MARKED` where the mark needs no fsync (the boot is known: see the
        module's docstring), else the step that makes it durable (an fsync of the SQLite log,
        to issue together with the rewrite's own fsync, before the rename), or None when the
        index could not be marked. A crash or a failure before `changed` leaves it dirty, so
        it is rebuilt. Inside a writer's transaction one mark covers all its rewrites
        (`local_index_batch`)."""
        if self._batch.covered():
            return MARKED
        try:
            with self._using(f"marking {name} as changing") as conn:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.execute("UPDATE state SET dirty = dirty + 1, generation = generation + 1")
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
        except IndexUnusable:
            log.error(
                "registry index %s could not be marked stale; delete %s if listings look wrong",
                self.path,
                self.path.parent,
            )
            return None
        self._batch.opened()
        return MARKED if current_boot() is not None else self._sync_log

    def batched(self) -> contextlib.AbstractContextManager[None]:
        return self._batch.collecting(self._commit_changes)  # a writer's transaction

    def _sync_log(self) -> bool:
        """fsync what the last commit wrote (synchronous=FULL's one sync, issued by us so that
        it can run beside others): the WAL, or the database where WAL is unavailable."""
        wal = f"{self.path}-wal"
        try:
            fsync_uncounted(wal if os.path.exists(wal) else str(self.path))
        except OSError as exc:
            log.error("registry index %s could not be made durable: %s", self.path, exc)
            return False
        return True

    def changed(self, name: str, meta: Mapping[str, Any]) -> None:
        """After the rewrite `begin_change` announced: record it, and clear that mark."""
        if not self._batch.done(name, meta):
            self._commit_changes([(name, meta)], True)

    def _commit_changes(self, changes: list[tuple[str, Mapping[str, Any]]], clear: bool) -> None:
        names = ", ".join(name for name, _ in changes)
        with contextlib.suppress(IndexUnusable), self._using(f"updating {names}") as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                _put_rewrites(conn, self.root, changes)
                conn.execute(
                    "UPDATE state SET dirty = MAX(dirty - ?, 0), generation = generation + 1",
                    (int(clear),),
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise


_Rows = tuple[tuple[Any, ...], list[tuple[Any, ...]], list[tuple[Any, ...]]]
_UNDATED = "SELECT 1 FROM versions WHERE trained IS NULL LIMIT 1"


def _forget(conn: sqlite3.Connection, names: set[str]) -> None:
    if not names:  # a statement with nothing to do still costs its 8 us: a delete had 7
        return
    params = [(n,) for n in names]
    conn.executemany("DELETE FROM versions WHERE name = ?", params)
    conn.executemany("DELETE FROM metrics WHERE name = ?", params)
    conn.executemany("DELETE FROM tags WHERE name = ?", params)
    conn.executemany("DELETE FROM pending WHERE name = ?", params)


def _put_rewrites(
    conn: sqlite3.Connection, root: Path, changes: list[tuple[str, Mapping[str, Any]]]
) -> None:
    """Record rewritten versions. A rewrite that changed only the stored status (a promote's)
    updates its one `versions` row: its listed fields are otherwise the row's, text for text,
    and the dates, metrics and tags rows are made from them, so those tables (and the order
    index) are left alone: 3 statements and about 3 pages instead of 8 and 8."""
    rows, statuses = [], []
    for name, meta in changes:
        stat, listed = file_stat(root, name), _listed(meta)
        old = conn.execute("SELECT status, listed FROM versions WHERE name = ?", (name,)).fetchone()
        if old is not None and json.dumps({**listed, "deployment_status": old[0]}) == old[1]:
            statuses.append((listed["deployment_status"], stat, json.dumps(listed), name))
        else:
            rows.append(_row(name, meta, stat))
    _put(conn, rows)
    if statuses:
        conn.executemany(
            "UPDATE versions SET status = ?, stat = ?, listed = ? WHERE name = ?", statuses
        )


def _put(conn: sqlite3.Connection, rows: list[_Rows]) -> None:
    _forget(conn, {row[0] for row, _metrics, _tags in rows})
    inserts = (
        ("INSERT INTO versions VALUES (?, ?, ?, ?, ?, ?, ?)", [r[0] for r in rows]),
        ("INSERT INTO metrics VALUES (?, ?, ?)", [m for r in rows for m in r[1]]),
        ("INSERT INTO tags VALUES (?, ?, ?)", [t for r in rows for t in r[2]]),
    )
    for sql, params in inserts:
        if params:
            conn.executemany(sql, params)
