"""The Backend: the few storage primitives every registry location provides.

A backend stores versions (a folder of artifacts plus metadata), channel pointers and the
event log, and gives writers a critical section. It decides nothing: naming, which versions a
cleanup removes, what "previous production" means and how metrics compare all live in
`StoreOperations`. Like fsspec's `AbstractFileSystem`, a backend implements eleven abstract
primitives and may override the derived methods (`query`, `local_folder`, ...) when it can
do them faster; each derived method's default, written from the primitives, is correct.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from ..errors import InvalidInputError, VersionNotFoundError
from ..events import Event, pointer_history
from ..integrity import file_records, stored_artifact_path, stored_name, verify_files
from ..metadata import METADATA_FILE, SERVED, Status, encode_metadata, parse_timestamp
from ..query import VersionQuery, matches, ordered
from ..versions import PRODUCTION, format_version_name, sort_newest_first

__all__ = [
    "DEFAULT_MODEL",
    "Backend",
    "Debris",
    "Holder",
    "OpenedArtifact",
    "VersionQuery",
    "effective_status",
    "matches",
    "open_recorded",
    "page_with_total",
    "parallel_reads",
    "stamped_before",
]

#: the model a registry holds when none is named (`ModelRegistry(url, model=...)`)
DEFAULT_MODEL = "default"

#: what a promote reads first (`Backend.metadata_and_holder`): a version's metadata, the
#: version a channel points to, and that version's metadata (None for each not there)
Holder = tuple[dict[str, Any] | None, str | None, dict[str, Any] | None]


@dataclass(frozen=True)
class Debris:
    """Something a crash or an interrupted write left behind (never a published version)."""

    kind: str
    path: str
    detail: str = ""


@dataclass(frozen=True)
class OpenedArtifact:
    """A registered artifact opened for reading, with the sha256 and size it was registered
    with (what a download announces and its client checks). The caller closes `handle`."""

    version: str
    name: str
    sha256: str
    size: int
    handle: IO[bytes]


def open_recorded(
    meta: Mapping[str, Any] | None,
    name: str,
    filename: str,
    opener: Callable[[str, str], IO[bytes]],
) -> OpenedArtifact:
    """`OpenedArtifact` from a version's metadata: only a name its `files` records is opened."""
    if meta is None:
        raise VersionNotFoundError(f"version {name} not found", version=name)
    record = (meta.get("files") or {}).get(filename)
    if not isinstance(record, Mapping):
        raise VersionNotFoundError(f"version {name} has no file {filename!r}", version=name)
    stored_name(filename, version=name)
    size = record.get("bytes")
    return OpenedArtifact(
        name,
        filename,
        str(record.get("sha256")),
        size if isinstance(size, int) and not isinstance(size, bool) else -1,
        opener(name, filename),
    )


def effective_status(stored: str | None, name: str, production: str | None) -> str:
    """The pointer is the truth: it overrides whatever status a crash left in the metadata.

    The answers are plain strings read once (a `Status` member's `.value` is two Python
    calls, and a listing asks 100,000 times)."""
    if name == production:
        return _PRODUCTION
    if stored in SERVED:
        return _ARCHIVED
    return _REGISTERED


_PRODUCTION, _ARCHIVED, _REGISTERED = (
    Status.PRODUCTION.value,
    Status.ARCHIVED.value,
    Status.REGISTERED.value,
)


def stamped_before(event: Event, moment: datetime) -> bool:
    """Whether `event` is older than `moment`; an unreadable stamp counts as recent."""
    try:
        return parse_timestamp(event.timestamp) < moment
    except ValueError:
        return False


def parallel_reads() -> int:
    """Threads for a walk that reads and hashes many files (verify): one a core, at most 3.

    File reads and sha256 release the GIL; a version's JSON and checks (about half of its
    time) hold it. A thread more than the cores only adds GIL hand-offs, and past about 3
    the GIL, not the cores, is what the threads wait for."""
    try:
        cores = len(os.sched_getaffinity(0))  # the cores this process may run on
    except AttributeError:  # not on every platform
        cores = os.cpu_count() or 1
    return max(1, min(cores, 3))


class Backend(ABC):
    """Storage primitives for one model's versions, pointers and events.

    Primitives, the abstract methods (a new backend writes these and nothing else):

    - versions: `publish`, `version_names`, `read_metadata`, `write_metadata`,
      `open_artifact`, `delete_version`
    - pointers: `pointers`, `set_pointer`
    - the audit log: `append_event`, `read_events`
    - writers: `transaction`

    Derived, each with a correct default written from the primitives, overridden where a
    backend can do better (a folder renames instead of copying, a catalog asks its index):
    `staging`, `prepare_publish`, `local_folder`, `local_folder_of`, `check_artifacts`,
    `get_pointer`, `metadata_and_pointers`, `metadata_at`, `metadata_and_holder`,
    `transaction_for_move`, `metadata_ahead`, `query_with_pointers`, `query_with_total`,
    `open_registered`, `recent_events`, `pointer_moves`,
    `names_used_at`, `query`, `count`, `metric_counts`, `debris`, `version_debris`,
    `debris_walked`, `remove_debris`, `interrupted_writes`, `location_of`, `model_names`,
    `for_model`, `close`, `revision`,
    `revision_async` (None: the backend keeps no revision, and a server reuses no answer).

    The rules every backend keeps (the shipped suite `modelreg.testing` checks each one):

    - Only `StoreOperations` calls these methods, and names reach them already validated
      (versions, channels, artifact names): a backend checks nothing about a name's form.
    - Every write (`publish`, `write_metadata`, `delete_version`, `set_pointer`,
      `append_event`) is called inside `transaction()`; reads may be called anywhere.
    - A missing version is `None` from `read_metadata` and `VersionNotFoundError` from
      `open_artifact` and `local_folder`; never a nonexistent path or a bare OSError.
    - Unreadable stored data is `CorruptVersionError` (or `IntegrityError` for bytes that do
      not match their hash); storage failures are `StorageError` (disk, database, network).
    - `transaction()` is re-entrant (a nested block joins the outer one) and creates the
      storage when it does not exist yet; `ModelRegistry.create()` relies on that.
    - A reader never sees a version half-published or half-deleted, nor a pointer half-set.
    - `read_metadata` returns a fresh dict each call: callers may change it.
    - The model's own record (its description and tags) is the metadata of the name `None`:
      `read_metadata(None)` and `write_metadata(None, record)`. It is not a version: never
      listed, never deleted, and no version's metadata sees it nor it them.
    """

    #: a human-readable location, used in messages ("models/", "postgresql://...")
    location: str = ""
    #: which of the location's named models this backend reads and writes
    model: str = DEFAULT_MODEL
    #: whether loading pickles from here is trusted unless the caller says otherwise
    trusted_by_default: bool = True
    #: True when `local_folder` hashes each artifact as it places it (a download cache checked
    #: as it is filled or hit) and refuses one that differs from the sha256 and size that
    #: `read_metadata` records: a load then trusts the folder instead of hashing it twice
    verifies_local_folder: bool = False
    #: the model format a registry here writes unless configured ("pickle" or "safe")
    default_model_format: str = "pickle"
    #: how many threads `verify` may call `read_metadata` and `check_artifacts` from at once
    #: (1: only the caller's); a backend whose reads are thread-safe may allow more
    #: (`parallel_reads()`)
    verify_threads: int = 1
    #: True when `prepare_publish` and `publish` only read each staged file, sending its bytes
    #: elsewhere (an artifact store), so a staged file may be a symbolic link to the caller's
    #: file on disk: a registration of files already written then copies nothing locally
    stages_by_link: bool = False

    # --- versions -------------------------------------------------------------------------

    @abstractmethod
    def publish(self, staged: Path, name: str, metadata: Mapping[str, Any]) -> None:
        """Make the staged folder visible as version `name`, with `metadata`, all at once.

        `staged` comes from `staging()` and holds every artifact `metadata["files"]` lists
        (relative paths, possibly in subfolders, each with its sha256 and size); its
        `metadata.json`, if any, is not an artifact. Raises VersionExistsError when `name` is
        taken (checked atomically, not by a lookup beforehand), so the caller can move on to
        the next name; the staged folder is then left as it was. A version published and then
        deleted may be published again.
        """

    @abstractmethod
    def version_names(self) -> list[str]:
        """Names of the published versions, in no particular order (deleted ones excluded)."""

    @abstractmethod
    def read_metadata(self, name: str | None) -> dict[str, Any] | None:
        """A version's metadata, as published or last written; None when it does not exist.

        `name` None reads the model's own record instead: None until it is first written.
        CorruptVersionError when it exists but cannot be read.
        """

    @abstractmethod
    def write_metadata(self, name: str | None, metadata: Mapping[str, Any]) -> None:
        """Replace a version's metadata atomically; its artifacts are untouched.

        Only for a version that exists (the caller read it in the same transaction), and
        only its status bookkeeping, tags and description change. `name` None replaces the
        model's own record, creating it when it was never written.
        """

    @abstractmethod
    def open_artifact(self, name: str, filename: str) -> IO[bytes]:
        """Stream one artifact's bytes (`filename` as `metadata["files"]` names it); the
        caller closes it.

        VersionNotFoundError when the version, or that artifact of it, does not exist.
        """

    @abstractmethod
    def delete_version(self, name: str) -> None:
        """Remove a version so that no reader ever sees it half-deleted.

        Only for a version that exists (the caller read it in the same transaction).
        Afterwards `read_metadata(name)` is None and the name may be published again.
        Leftovers a crash leaves go to `debris()`.
        """

    # --- pointers -------------------------------------------------------------------------

    @abstractmethod
    def pointers(self) -> dict[str, str | None]:
        """Every channel that has a pointer, and the version it points to.

        A channel without a pointer is absent; None only for a pointer that is there but
        names nothing readable (damage `verify` reports).
        """

    @abstractmethod
    def set_pointer(self, channel: str, name: str | None) -> None:
        """Point `channel` at version `name` (None removes the pointer), atomically.

        `name` exists (the caller checked, in the same transaction). A reader sees the old
        target or the new, never neither.
        """

    # --- events and writers ---------------------------------------------------------------

    @abstractmethod
    def append_event(self, event: Event) -> None:
        """Add one record to the audit log, durably, after every earlier one."""

    @abstractmethod
    def read_events(self) -> list[Event]:
        """The whole audit log, oldest first (in the order appended); [] when empty."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """The writers' critical section: a lock on a folder, a transaction in a database.

        Re-entrant: a nested block joins the outer one. Creates the storage on first use.
        Writers on other machines or processes wait for it (`LockTimeout` after the backend's
        `lock_timeout`); readers never do.
        """

    # --- derived: versions ----------------------------------------------------------------

    @contextlib.contextmanager
    def staging(self) -> Iterator[Path]:
        """A fresh, empty local folder to write a version's artifacts into; gone after the block.

        Each call gets its own folder (concurrent writers stage side by side). The default is
        a temporary folder, right for a `publish` that copies; one that renames into place
        overrides it to stage beside its versions, and then reports a folder a dead process
        left behind in `debris()`.
        """
        folder = Path(tempfile.mkdtemp(prefix="modelreg-staging-"))
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def metadata_ahead(
        self, name: str, metadata: Mapping[str, Any]
    ) -> AbstractContextManager[None]:
        """Inside the block, `write_metadata(name, metadata)` follows other writes of the same
        transaction: a backend may prepare it (a folder writes the new file at once, so that
        its fsync joins the first write's disk wait instead of the pointer's). Nothing by
        default; a later write of other metadata, or none, must stay correct."""
        return contextlib.nullcontext()

    def prepare_publish(self, staged: Path, files: Mapping[str, Mapping[str, Any]]) -> None:
        """Move a staged version's bytes towards their home before the writers' lock is taken.

        An object store uploads here, so writers do not queue behind each other's uploads.
        Optional: `publish` must stay correct when this was skipped or its work was undone.
        """
        return None

    @contextlib.contextmanager
    def local_folder(self, name: str) -> Iterator[Path]:
        """A local folder holding the version: every artifact, and `metadata.json` beside them.

        Callers only read it. VersionNotFoundError when the version does not exist. The
        default is a temporary copy made with `read_metadata` and `open_artifact`; a folder
        backend yields the version's own folder, a catalog assembles it from its cache.
        """
        meta = self.read_metadata(name)
        if meta is None:
            raise VersionNotFoundError(f"version {name} not found in {self.location}", version=name)
        with tempfile.TemporaryDirectory(prefix="modelreg-version-") as tmp:
            root = Path(tmp)
            for filename in file_records(meta.get("files") or {}, version=name):
                target = stored_artifact_path(root, filename, version=name)
                target.parent.mkdir(parents=True, exist_ok=True)
                with self.open_artifact(name, filename) as source, target.open("wb") as sink:
                    shutil.copyfileobj(source, sink)
            (root / METADATA_FILE).write_bytes(encode_metadata(meta))
            yield root

    def local_folder_of(self, metadata: Mapping[str, Any]) -> AbstractContextManager[Path]:
        """`local_folder` of the version whose stored metadata the caller has just read (a
        load): a backend that would read it again may use it instead (a catalog assembling
        from its download cache reads nothing when every blob is there)."""
        return self.local_folder(str(metadata["version"]))

    def check_artifacts(self, name: str, files: Mapping[str, Mapping[str, Any]]) -> None:
        """Raise IntegrityError unless the stored bytes match `files` (verify).

        Backends with a download cache override this to read the store itself, not the cache.
        """
        with self.local_folder(name) as folder:
            verify_files(folder, files, version=name)

    def location_of(self, name: str) -> Path | str:
        """Where a version lives, for people and for `ModelVersion.path`."""
        return f"{self.location.rstrip('/')}/{name}"

    # --- derived: listing -----------------------------------------------------------------

    def query(self, query: VersionQuery) -> list[dict[str, Any]]:
        """Metadata of the page of versions matching `query`, in its order, status effective.

        In the natural order (newest first) the scan stops at the page's end; any other order
        reads every match first.
        """
        found: list[dict[str, Any]] = []
        end = None if query.limit is None else query.offset + query.limit
        for meta in self._matching(query):
            found.append(meta)
            if query.newest_first and end is not None and len(found) >= end:
                break
        if query.newest_first:
            return found[query.offset : end]
        return ordered(found, query)

    def _matching(self, query: VersionQuery) -> Iterator[dict[str, Any]]:
        """Every version matching `query`'s filters, newest first, status made effective."""
        for name in sort_newest_first(self.version_names()):
            meta = self.read_metadata(name)
            if meta is None:  # deleted since the listing
                continue
            meta["deployment_status"] = effective_status(
                meta.get("deployment_status"), name, query.production
            )
            if matches(meta, query):
                yield meta

    def count(self, query: VersionQuery) -> int:
        """How many versions match `query`'s filters (its page and order aside)."""
        return sum(1 for _ in self._matching(query))

    def metric_counts(self) -> dict[str, int]:
        """Each metric name some version records, with how many versions record it."""
        counts: Counter[str] = Counter()
        for meta in self._matching(VersionQuery()):
            counts.update(list(meta.get("metrics") or {}))
        return dict(sorted(counts.items()))

    def open_registered(self, name: str, filename: str) -> OpenedArtifact:
        """One artifact of a version, opened, with its registered record: a download.

        Only a name in the version's `files` is reachable; the derived form reads the metadata
        for its record, then opens the file; a catalog finds both in one statement.
        VersionNotFoundError when the version, or that artifact of it, does not exist.
        """
        return open_recorded(self.read_metadata(name), name, filename, self.open_artifact)

    def revision(self) -> int | None:
        """A number every write of this model changes, read from where the writes land (so
        another process's write is seen as soon as it is committed); None where there is
        none, and then no answer may be reused. A catalog keeps one per model."""
        return None

    async def revision_async(self) -> int | None:
        """`revision` for a caller on an event loop (a server); by default in a thread."""
        return await asyncio.to_thread(self.revision)

    # --- derived: pointers and events -----------------------------------------------------

    def get_pointer(self, channel: str) -> str | None:
        """The version `channel` points to, or None. A serving process polls it: a backend
        that can read one pointer cheaper than all of them overrides it."""
        return self.pointers().get(channel)

    def recent_events(self, since: datetime) -> list[Event]:
        """Events stamped at or after `since`, oldest first; a backend may read only the tail."""
        return [e for e in self.read_events() if not stamped_before(e, since)]

    def pointer_moves(self, channel: str) -> Iterator[Event]:
        """The events that moved `channel`'s pointer, newest first in the order they took
        effect (`events.pointer_history`, reversed): an argument-free rollback reads them only
        as far back as its answer needs. The default folds the whole log; a catalog reads
        pages of an index on the channel's events, however many versions were registered."""
        return reversed(pointer_history(self.read_events(), channel))

    def metadata_and_pointers(
        self, name: str | None, channel: str | None = None
    ) -> tuple[dict[str, Any] | None, dict[str, str | None]]:
        """Version `name`'s metadata, or with `name` None that of the version `channel` points
        to (None when there is no such version), and every pointer; a catalog reads them in
        one statement, so a metadata request costs one round trip."""
        pointers = self.pointers()
        target = name if name is not None else pointers.get(channel) if channel else None
        return (self.read_metadata(target) if target else None), pointers

    def metadata_at(self, channel: str) -> tuple[str | None, dict[str, Any] | None]:
        """The version `channel` points to and its metadata ((name, None) when that version
        is gone, (None, None) for an empty channel); a catalog reads both in one statement."""
        name = self.get_pointer(channel)
        return name, (self.read_metadata(name) if name else None)

    def metadata_and_holder(self, name: str, channel: str) -> Holder:
        """Version `name`'s metadata, the version `channel` points to, and that version's
        metadata (None for each that is not there): what a promote reads before it judges and
        moves; a catalog reads them in one statement, sent with the transaction's opening."""
        meta, holder = self.read_metadata(name), self.get_pointer(channel)
        return meta, holder, (self.read_metadata(holder) if holder else None)

    @contextlib.contextmanager
    def transaction_for_move(self, name: str, channel: str) -> Iterator[Holder]:
        """`transaction()`, yielding `metadata_and_holder(name, channel)` read inside it: a
        catalog sends that read in the message that takes the lock. Nested, it joins."""
        with self.transaction():
            yield self.metadata_and_holder(name, channel)

    def query_with_pointers(
        self, query: VersionQuery
    ) -> tuple[Sequence[Mapping[str, Any]], dict[str, str | None]]:
        """`query`'s page with statuses effective against production, and every pointer, as
        of one moment; a catalog reads both in one statement (and may answer no pointers for
        an empty page, which has no version to label)."""
        pointers = self.pointers()
        return self.query(query.at(pointers.get(PRODUCTION))), pointers

    def query_with_total(
        self, query: VersionQuery
    ) -> tuple[Sequence[Mapping[str, Any]], dict[str, str | None], int]:
        """`query_with_pointers`' page and pointers, and how many versions match in all (a
        page that is not full shows it, `VersionQuery.total_of`; else they are counted); a
        catalog counts in the page's statement, so a listing page with its total is one read."""
        return page_with_total(query, self.query_with_pointers, self.count, self.get_pointer)

    def names_used_at(self, moment: datetime) -> set[str]:
        """Every name the audit log has given `moment`'s second (`YYYYMMDD_HHMMSS`, `_2` ...).

        Deleted versions' names included, so a name never means two versions. Called under the
        writers' lock on every register: a catalog overrides it with an indexed lookup.
        """
        base = format_version_name(moment)
        return {
            e.version
            for e in self.recent_events(moment.replace(microsecond=0))
            if e.version is not None and e.version.startswith(base)
        }

    # --- derived: leftovers ---------------------------------------------------------------

    def debris(self) -> list[Debris]:
        """Leftovers of interrupted writes: stale staging folders, trash, orphan blobs.

        Never a published version, and never a staging folder a live writer still uses. The
        default, nothing, is right for a backend whose every write is all or nothing and that
        stages in the default temporary folder; one whose writes can be cut short reports
        what they leave here, and removes it in `remove_debris`.
        """
        return []

    def version_debris(self, name: str) -> Sequence[Debris] | None:
        """What interrupted writes left inside version `name`'s own place, for `debris_walked`.

        `verify` asks as it walks every version (from its threads, as it reads metadata), so
        a backend that keeps such leftovers beside a version's files finds them in that walk
        instead of a second one. None: this backend keeps none there (the default), or the
        place could not be read now (never an error: `debris_walked` then looks for itself,
        and fails as `debris()` would).
        """
        return None

    def debris_walked(self, walked: Mapping[str, Sequence[Debris]]) -> list[Debris]:
        """`debris()`, the same items in the same order, taking what `version_debris` found in
        each version `walked` names (by verify's walk) instead of looking there again."""
        return self.debris()

    def remove_debris(self, item: Debris) -> None:
        """Delete one leftover found by `debris()`; one already gone is no error."""
        raise InvalidInputError(f"{self.location} has no leftovers of kind {item.kind!r}")

    def interrupted_writes(self) -> list[Debris]:
        """The leftovers cleanup removes (staging, trash); a backend may find them cheaply."""
        return [d for d in self.debris() if d.kind in ("staging", "trash")]

    # --- derived: the location ------------------------------------------------------------

    def model_names(self) -> list[str]:
        """The named models stored at this backend's location (one catalog, one root)."""
        return [self.model]

    def for_model(self, model: str) -> Backend:
        """This location's backend for another named model, sharing connections with this one.

        It lives no longer than this backend: closing it releases nothing shared.
        """
        raise NotImplementedError(f"{type(self).__name__} holds one model only")

    def close(self) -> None:
        """Release connections; a no-op where there are none."""
        return None


def page_with_total(
    query: VersionQuery,
    page_of: Callable[[VersionQuery], tuple[Sequence[Mapping[str, Any]], dict[str, str | None]]],
    count: Callable[[VersionQuery], int],
    pointer: Callable[[str], str | None],
) -> tuple[Sequence[Mapping[str, Any]], dict[str, str | None], int]:
    """`query_with_total` from its parts: the page and its pointers (`page_of`; none asked
    with `limit=0`), and the total the page shows, else `count`ed (production read for a
    status filter, which is the only one it decides)."""
    page, pointers = page_of(query) if query.limit != 0 else ([], {})
    total = query.total_of(len(page))
    if total is None:
        total = count(query.at(pointer(PRODUCTION) if query.status is not None else None))
    return page, pointers, total
