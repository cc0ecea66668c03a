"""The registry as a plain folder: the original layout, readable without modelreg.

```
models/
  20260126_103000/          one version (model.pkl, metadata.json, CSVs); immutable
  production/latest -> ../20260126_103000     relative symlink (or a folder copy)
  events.jsonl              the audit log
  .model/metadata.json      the model's own description and tags (when set)
  .staging/  .trash/  .lock
```
Nothing stored holds an absolute path, so the folder can be copied or moved.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Container, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from .. import _fsutil
from .._json_text import loads
from .._locking import RegistryLock
from ..errors import CorruptVersionError, VersionExistsError, VersionNotFoundError
from ..events import Event, decode_event_lines, encode_event
from ..integrity import open_artifact_file, verify_files
from ..lower_errors import translated
from ..metadata import METADATA_FILE, decode_metadata, encode_metadata
from ..versions import (
    PRODUCTION,
    is_model_name,
    is_version_name,
    validate_channel,
    validate_model_name,
)
from .base import (
    DEFAULT_MODEL,
    Backend,
    Debris,
    VersionQuery,
    stamped_before,
)
from .local_index import MARKED, VersionIndex, fingerprint, racy
from .local_listing import indexed_page
from .local_syncs import MOVE, UPDATE, OwedSyncs

__all__ = ["LocalBackend"]

POINTER = "latest"
_ASIDE = ".latest.prev"
_MODELS = "models"
_TAIL_BLOCK = 64 * 1024
_SKEW = timedelta(hours=1)
_HOST_TAG = _fsutil.HOST_TAG
_MODEL_DIR = ".model"
#: a model's record holds a description and tags: far below this
_MAX_MODEL_RECORD = 1 << 20


class LocalBackend(Backend):
    """One model's registry in a local folder (the default backend)."""

    trusted_by_default = True
    default_model_format = "pickle"
    #: file reads and sha256 release the GIL: verify hashes one version while it parses the next
    verify_threads = 2

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        lock_timeout: float = 60.0,
        index: bool = True,
        model: str | None = None,
    ) -> None:
        self.model = validate_model_name(DEFAULT_MODEL if model is None else model)
        #: the registry root: the default model's versions, other models below `models/<name>`
        self.registry_root = Path(root).absolute()
        relative = () if self.model == DEFAULT_MODEL else (_MODELS, self.model)
        self.root = self.registry_root.joinpath(*relative)
        self.location = os.path.join(os.fspath(root), *relative)
        self._lock = RegistryLock(self.root / ".lock", lock_timeout)
        #: the derived listing cache (None: always read the folder, as with index=False)
        self.index = VersionIndex(self.root, self.read_metadata) if index else None
        #: (root fingerprint, its folders whose names start with a letter)
        self._folders_seen: tuple[str, list[str]] | None = None
        #: folder fsyncs owed inside a transaction, paid together (`local_syncs`)
        self._syncs = OwedSyncs()

    # --- helpers --------------------------------------------------------------------------

    def _version_dir(self, name: str) -> Path:
        return self.root / name

    def _ensure_root(self) -> None:
        with translated("create the registry folder at", self.root):
            _fsutil.make_dirs(self.root)

    def location_of(self, name: str) -> Path:
        return self._version_dir(name)

    # --- versions -------------------------------------------------------------------------

    @contextlib.contextmanager
    def staging(self) -> Iterator[Path]:
        self._ensure_root()
        area = self.root / ".staging"
        folder = area / _fsutil.owned_name("v")
        with translated("create a staging folder at", folder):
            _fsutil.make_dirs(folder)
        try:
            with translated("write the new version's files at", folder):
                yield folder
        finally:
            if folder.exists():
                with contextlib.suppress(OSError):
                    _fsutil.remove_tree(folder)

    def publish(self, staged: Path, name: str, metadata: Mapping[str, Any]) -> None:
        target = self._version_dir(name)
        with translated(f"publish version {name} at", target):
            meta_file = staged / METADATA_FILE
            _fsutil.atomic_write_bytes(meta_file, encode_metadata(metadata))
            _fsutil.fsync_tree(staged)
            before = _stat_or_none(self.root)
            try:
                _fsutil.claim_and_publish(staged, target)
            except FileExistsError as exc:
                raise VersionExistsError(
                    f"version {name} already exists in {self.location}", version=name
                ) from exc
        self._kept_channel_folders(before, +1)
        if self.index is not None:
            self.index.published(name, metadata, before)

    def version_names(self) -> list[str]:
        names = self.index.names() if self.index is not None else None
        return names if names is not None else self._scan_version_names()

    def _scan_version_names(self) -> list[str]:
        with translated("list", self.root):
            try:
                entries = list(os.scandir(self.root))
            except FileNotFoundError:
                return []
        return [
            e.name
            for e in entries
            if is_version_name(e.name)
            and e.is_dir(follow_symlinks=False)
            and os.path.exists(os.path.join(e.path, METADATA_FILE))
        ]

    def read_metadata(self, name: str | None) -> dict[str, Any] | None:
        if name is None:
            return self._read_model_record()
        path = f"{self.root}{os.sep}{name}{os.sep}{METADATA_FILE}"  # no Path: verify reads 100k
        try:
            with open(path, "rb", buffering=0) as handle:  # read whole: no buffer, 3 calls fewer
                raw = handle.read()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise CorruptVersionError(f"cannot read {path}: {exc}", path=path) from exc
        meta = decode_metadata(raw, where=path)
        if meta.get("version") != name:
            raise CorruptVersionError(
                f"{path} says it is version {meta.get('version')!r}, but its folder is {name}; "
                "restore the file or run `modelreg verify`",
                path=str(path),
                version=name,
            )
        return meta

    def write_metadata(self, name: str | None, metadata: Mapping[str, Any]) -> None:
        """Replace the version's metadata.json; the index is marked dirty before the rename
        (where the mark must be fsynced, in the same disk round trip as the new file's), and
        the folder's fsync is owed."""
        if name is None:
            self._write_model_record(metadata)
            return
        folder = self._version_dir(name)
        path = folder / METADATA_FILE
        marked: list[bool] = []
        along = self._syncs.pay(MOVE) + self._syncs.pay(UPDATE)
        with translated(f"update the metadata of {name} at", path):
            data = encode_metadata(metadata)
            mark = self.index.begin_change(name) if self.index is not None else None
            if mark is MARKED:  # marked, nothing to sync (`VersionIndex.begin_change`)
                marked.append(True)
            elif mark is not None:
                along.append(lambda: marked.append(mark()))
            _fsutil.replace_file(path, data, along=along)
            self._syncs.owe(UPDATE, folder, f"metadata update of {name}")
            for copy in self._copies_of(name):
                _fsutil.atomic_write_bytes(copy / METADATA_FILE, data)
        if self.index is not None and marked == [True]:
            self.index.changed(name, metadata)

    def _copies_of(self, name: str) -> list[Path]:
        """Folder-copy pointers holding `name`: their metadata.json mirrors the version's.

        Only where symlinks are refused; elsewhere a pointer is a link and shows the real file.
        """
        if _fsutil.symlinks_supported(self.root):
            return []
        pointers = (self._pointer(channel) for channel in self.channel_names())
        return [
            link
            for link in pointers
            if link.is_dir() and not link.is_symlink() and self._copied_version(link) == name
        ]

    @contextlib.contextmanager
    def local_folder(self, name: str) -> Iterator[Path]:
        """The version's own folder (metadata.json beside the artifacts): no copy is made."""
        yield self._present(name)

    def open_artifact(self, name: str, filename: str) -> IO[bytes]:
        folder = self._present(name)
        try:
            return open_artifact_file(folder, filename)
        except FileNotFoundError as exc:
            raise VersionNotFoundError(
                f"version {name} in {self.location} has no artifact {filename!r}", version=name
            ) from exc

    def check_artifacts(self, name: str, files: Mapping[str, Mapping[str, Any]]) -> None:
        """As every backend, with the version's folder as a string (verify checks 100,000)."""
        folder = f"{self.root}{os.sep}{name}"
        if not os.path.isfile(f"{folder}{os.sep}{METADATA_FILE}"):
            raise VersionNotFoundError(f"version {name} not found in {self.location}", version=name)
        verify_files(folder, files, version=name)

    def _present(self, name: str) -> Path:
        folder = self._version_dir(name)
        if not (folder / METADATA_FILE).is_file():
            raise VersionNotFoundError(f"version {name} not found in {self.location}", version=name)
        return folder

    def delete_version(self, name: str) -> None:
        source = self._version_dir(name)
        trash = self.root / ".trash"
        aside = trash / _fsutil.unique_name(name)
        with translated(f"delete version {name} at", source):
            if not trash.is_dir():  # the first delete makes it: a change of our own
                before = _stat_or_none(self.root)
                _fsutil.make_dirs(trash)
                self._kept_channel_folders(before, +1)
                if self.index is not None:
                    self.index.kept(before, +1)
            before = _stat_or_none(self.root)
            _fsutil.rename(source, aside)
        self._kept_channel_folders(before, -1)
        if self.index is not None:
            self.index.deleted(name, before)
        with contextlib.suppress(OSError):  # it is invisible already; cleanup retries later
            _fsutil.remove_tree(aside)

    def query(self, query: VersionQuery) -> list[dict[str, Any]]:
        """Filter, order and page in the index; returns the fields a listing shows (`LISTED`)."""
        page = indexed_page(self, query)
        if page is None:
            return super().query(query)
        return [meta if isinstance(meta, dict) else dict(meta) for meta in page]

    def query_with_pointers(
        self, query: VersionQuery
    ) -> tuple[Sequence[Mapping[str, Any]], dict[str, str | None]]:
        """As `query`, but each version the index holds as it is on disk stays the index's
        JSON text until read (`IndexedMetadata`): a listing decodes only what it shows."""
        pointers = self.pointers()
        query = query.at(pointers.get(PRODUCTION))
        page = indexed_page(self, query)
        return (super().query(query) if page is None else page), pointers

    def count(self, query: VersionQuery) -> int:
        counted = self.index.count(query) if self.index is not None else None
        return super().count(query) if counted is None else counted

    def metric_counts(self) -> dict[str, int]:
        counts = self.index.metric_counts() if self.index is not None else None
        return super().metric_counts() if counts is None else counts

    def model_names(self) -> list[str]:
        """`default` when the root holds a registry of its own, plus each `models/<name>`."""
        root = self.registry_root
        names = []
        if (root / "events.jsonl").exists() or _dirs_matching_version(root):
            names.append(DEFAULT_MODEL)
        with contextlib.suppress(OSError):
            names += [
                e.name
                for e in os.scandir(root / _MODELS)
                if e.is_dir(follow_symlinks=False) and is_model_name(e.name)
            ]
        return sorted(set(names) | {self.model} if self.root.exists() else set(names))

    def for_model(self, model: str) -> LocalBackend:
        return LocalBackend(
            self.registry_root,
            lock_timeout=self._lock.timeout,
            index=self.index is not None,
            model=model,
        )

    def close(self) -> None:
        if self.index is not None:
            self.index.close()

    # --- pointers -------------------------------------------------------------------------

    def _pointer(self, channel: str) -> Path:
        return self.root / validate_channel(channel) / POINTER

    def get_pointer(self, channel: str) -> str | None:
        link = self._pointer(channel)
        try:
            target = os.readlink(link)
        except FileNotFoundError:
            aside = link.with_name(_ASIDE)
            return self._copied_version(aside) if aside.is_dir() else None
        except OSError:  # not a symlink: the folder-copy fallback
            return self._copied_version(link)
        return os.path.basename(os.path.normpath(target))

    def pointers(self) -> dict[str, str | None]:
        return {channel: self.get_pointer(channel) for channel in self.channel_names()}

    def _copied_version(self, folder: Path) -> str | None:
        meta = self.read_metadata_at(folder)
        return meta.get("version") if meta else None

    def read_metadata_at(self, folder: Path) -> dict[str, Any] | None:
        path = folder / METADATA_FILE
        try:
            return decode_metadata(path.read_bytes(), where=str(path))
        except FileNotFoundError:
            return None

    def set_pointer(self, channel: str, name: str | None) -> None:
        link = self._pointer(channel)
        with translated(f"move the {channel} pointer at", link):
            _fsutil.make_dirs(link.parent)
            self._mend_interrupted_copy(link)
            if name is None:
                _fsutil.remove_tree(link)
            elif _fsutil.symlinks_supported(self.root):
                _fsutil.replace_symlink(link, f"../{name}", durable=False)
                self._syncs.owe(MOVE, link.parent, f"move of the {channel} pointer")
            else:
                _fsutil.replace_dir(
                    link, self._version_dir(name), keep_aside=link.with_name(_ASIDE)
                )

    def _mend_interrupted_copy(self, link: Path) -> None:
        """A crash mid-swap of a folder copy leaves only the old copy aside: put it back."""
        aside = link.with_name(_ASIDE)
        if aside.is_dir():
            if link.exists() or link.is_symlink():
                _fsutil.remove_tree(aside)
            else:
                _fsutil.rename(aside, link)

    def channel_names(self) -> list[str]:
        names = []
        for name in self._channel_folders():
            folder = self.root / name
            link = folder / POINTER
            if link.is_symlink() or link.exists() or (folder / _ASIDE).exists():
                names.append(name)
        return sorted(names)

    def _kept_channel_folders(self, before: os.stat_result | None, links: int) -> None:
        """After our own rename of a version folder into or out of the root: the channel
        folders are as they were, so the list stays valid for the root's new fingerprint if
        it was valid before and nothing else entered or left meanwhile (the link count, as the
        index checks it). So a delete at 100,000 versions does not scan the root again.
        Past 65,000 subfolders ext4 reports a link count of 1 and counts no more: there the
        writers' lock is the guard."""
        seen = self._folders_seen
        if seen is None or before is None or seen[0] != fingerprint(before):
            return
        after = _stat_or_none(self.root)
        if after is None or after.st_ino != before.st_ino:
            return
        uncounted = after.st_nlink == before.st_nlink == 1
        if uncounted or after.st_nlink - before.st_nlink == links:
            self._folders_seen = (fingerprint(after), seen[1])

    def _channel_folders(self) -> list[str]:
        """Folders of the root that may be channels (a letter first: versions start with a digit).

        Listing them scans the root, 100,000 versions and all; the answer is kept while the
        root's fingerprint holds, as the index keeps its own (a listing shows every channel).
        A folder made in the same clock tick as the scan leaves the mtime as it was but not
        the link count, so a recent change makes the answer untrustworthy only where the
        count says nothing (ext4 past 65,000 subfolders). Under the writers' lock such a
        change can only be a hand edit within a clock tick of a modelreg write (no writer can
        make one), the guard `_kept_channel_folders` relies on: a scan made there is kept, or a
        run of deletes at 100,000 versions, each within a tick of the last, would scan each time.
        """
        st = _stat_or_none(self.root)
        if st is None:
            return []
        key = fingerprint(st)
        if self._folders_seen is not None and self._folders_seen[0] == key:
            return self._folders_seen[1]
        with contextlib.suppress(FileNotFoundError):
            folders = [
                entry.name
                for entry in os.scandir(self.root)
                if entry.name[0].isalpha() and entry.is_dir(follow_symlinks=False)
            ]
            counted = st.st_nlink > 1
            trusted = counted or not racy(st) or self._syncs.held()
            self._folders_seen = (key, folders) if trusted else None
            return folders
        return []

    # --- the model's own record -----------------------------------------------------------

    def _model_record(self) -> Path:
        """`.model/metadata.json`: in a folder of its own, so writing it leaves the root's
        fingerprint (and so the index) alone."""
        return self.root / _MODEL_DIR / METADATA_FILE

    def _read_model_record(self) -> dict[str, Any] | None:
        path = self._model_record()
        try:
            with path.open("rb") as stream:
                raw = stream.read(_MAX_MODEL_RECORD + 1)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise CorruptVersionError(f"cannot read {path}: {exc}", path=str(path)) from exc
        try:
            if len(raw) > _MAX_MODEL_RECORD:
                raise ValueError(f"larger than {_MAX_MODEL_RECORD} bytes")
            record = loads(raw)
            if not isinstance(record, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            raise CorruptVersionError(
                f"{path} cannot be read ({exc}); restore it or delete it", path=str(path)
            ) from exc
        return record

    def _write_model_record(self, metadata: Mapping[str, Any]) -> None:
        path = self._model_record()
        with translated("update the model's record at", path):
            _fsutil.make_dirs(path.parent)
            _fsutil.atomic_write_bytes(path, encode_metadata(metadata))

    # --- events and writers ---------------------------------------------------------------

    def append_event(self, event: Event) -> None:
        path = self.root / "events.jsonl"
        line = encode_event(event)
        _fsutil.together(*self._syncs.pay(MOVE))  # the moves are durable before their record
        with translated("append to the audit log at", path):
            _fsutil.append_line(path, line, along=self._syncs.pay(UPDATE))

    def recent_events(self, since: datetime) -> list[Event]:
        """Read the log backwards, a block at a time, until an hour before `since`.

        Appends are ordered by the lock, so only writers on clocks more than an hour apart
        could put an older stamp after a newer one.
        """
        try:
            with open(self.events_path, "rb") as handle:
                return _read_back(handle, since)
        except FileNotFoundError:
            return []

    def read_events(self) -> list[Event]:
        try:
            raw = (self.root / "events.jsonl").read_bytes()
        except FileNotFoundError:
            return []
        events, _torn = decode_event_lines(raw)
        return events

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        self._ensure_root()
        batch = self.index.batched() if self.index is not None else contextlib.nullcontext()
        with self._lock.hold(), batch, self._syncs.batching():  # rows after the fsyncs owed
            yield

    def interrupted_writes(self) -> list[Debris]:
        """Only `.staging/` and `.trash/`: cleanup must not walk every version folder."""
        found: list[Debris] = []
        for area, kind in ((".staging", "staging"), (".trash", "trash")):
            folder = self.root / area
            if folder.is_dir():
                for entry in folder.iterdir():
                    if kind == "trash" or _fsutil.abandoned(entry):
                        found.append(Debris(kind, str(entry), "left by an interrupted write"))
        return found

    def debris(self) -> list[Debris]:
        return self.debris_walked({})

    def version_debris(self, name: str) -> list[Debris] | None:
        """One listing of the version's folder; read-only, so verify's threads may call it.

        A folder that cannot be listed is None: `debris_walked` lists it again, and fails
        there as `debris()` does, after the repairs verify makes before it."""
        with contextlib.suppress(OSError):
            return _version_debris(f"{self.root}{os.sep}{name}")
        return None

    def debris_walked(self, walked: Mapping[str, Sequence[Debris]]) -> list[Debris]:
        """Every version-named folder, in the root's order; those `walked` are not listed."""
        found = self.interrupted_writes()
        for name in _dirs_matching_version(self.root, known=walked):
            listed = walked.get(name)
            if listed is None:
                listed = _version_debris(f"{self.root}{os.sep}{name}") or ()
            found.extend(listed)
        for channel in self.channel_names():
            found.extend(
                Debris("temp-pointer", str(p), "an interrupted pointer move")
                for p in (self.root / channel).glob(".latest.*")
                if p.name != _ASIDE
            )
        return found

    def remove_debris(self, item: Debris) -> None:
        with translated("remove leftover at", item.path):
            _fsutil.remove_tree(Path(item.path))

    @property
    def events_path(self) -> Path:
        return self.root / "events.jsonl"


def _version_debris(folder: str) -> list[Debris] | None:
    """A claimed folder never filled, or metadata updates a crash cut short: one listing.

    None when the folder is gone (or no folder): nothing to report, and nothing was seen."""
    try:
        entries = os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return None
    found = [
        Debris("temp-file", os.path.join(folder, e), "an interrupted metadata update")
        for e in entries
        if e.startswith(".metadata.json.")
    ]
    if METADATA_FILE not in entries:
        found.insert(0, Debris("empty-claim", str(folder), "claimed, never filled"))
    return found


def _read_back(handle: IO[bytes], since: datetime) -> list[Event]:
    position = handle.seek(0, os.SEEK_END)
    tail = b""
    while True:
        step = min(_TAIL_BLOCK, position)
        position -= step
        handle.seek(position)
        tail = handle.read(step) + tail
        complete = tail if position == 0 else tail[tail.find(b"\n") + 1 :]
        events, _torn = decode_event_lines(complete)
        if position == 0 or (events and stamped_before(events[0], since - _SKEW)):
            return [e for e in events if not stamped_before(e, since)]


def _stat_or_none(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


def _dirs_matching_version(root: Path, known: Container[str] = ()) -> list[str]:
    """Version-named folders of `root` (links to folders too); `known` names, version names
    already (verify's walk), are not parsed again."""
    try:
        return [
            e.name
            for e in os.scandir(root)
            if (e.name in known or is_version_name(e.name)) and e.is_dir()
        ]
    except FileNotFoundError:
        return []
