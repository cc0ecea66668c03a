"""The filesystem moves that keep a registry folder consistent, and the only module making them.

Write bottom-up, publish in one atomic step, delete top-down:

- small files and pointers are written beside their target under a unique name, fsynced, then
  `os.replace`d over it (the temporary is removed when anything fails);
- a new version is built in `.staging/`, fsynced, and made visible by claiming its name with
  `os.mkdir` (which fails when the name exists, unlike a rename onto an empty folder) and then
  renaming the staged folder onto the claim;
- a deleted version is first renamed into `.trash/`, then removed.

Every mutating call goes through this module's `os`, so tests can make the Nth one fail.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import os as _uncounted_os
import secrets
import socket
import stat
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, BinaryIO

__all__ = [
    "CHUNK",
    "HOST_TAG",
    "HashingWriter",
    "StagedFile",
    "abandoned",
    "append_line",
    "atomic_write_bytes",
    "claim_and_publish",
    "copy_file_hashed",
    "copy_into",
    "fsync_dir",
    "fsync_tree",
    "fsync_uncounted",
    "hash_file",
    "make_dirs",
    "owned_name",
    "publish_file",
    "remove_tree",
    "rename",
    "replace_dir",
    "replace_symlink",
    "source_files",
    "symlinks_supported",
    "together",
    "unique_name",
]

CHUNK = 4 * 1024 * 1024
#: which machine wrote a temporary name: a pid only means something on its own host
HOST_TAG = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]
#: a temporary left by another machine (a shared filesystem) is presumed abandoned after this
STALE_AFTER = 24 * 3600.0


def unique_name(prefix: str) -> str:
    return f"{prefix}.{os.getpid()}.{secrets.token_hex(4)}"


def owned_name(prefix: str) -> str:
    """A temporary name that says who made it (`prefix.host.pid.random`), see `abandoned`."""
    return unique_name(f"{prefix}.{HOST_TAG}")


def abandoned(entry: Path) -> bool:
    """Whether the writer of an `owned_name` temporary is gone: its pid is dead on this host,
    or the entry is a day old. Names in another form are judged by age alone."""
    parts = entry.name.split(".")
    try:
        pid = int(parts[-2]) if len(parts) >= 4 and parts[-3] == HOST_TAG else -1
    except ValueError:
        pid = -1
    try:
        age = time.time() - entry.lstat().st_mtime
    except FileNotFoundError:
        return False
    if age > STALE_AFTER:
        return True
    if pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def fsync_dir(path: Path) -> None:
    """Make a folder's entries (a rename, a new file) durable."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_dirs(path: Path) -> None:
    """Create `path` and its parents; existing folders are fine."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        current = current.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            os.mkdir(folder)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that readers see the old or the new file, never a mix."""
    replace_file(path, data)
    fsync_dir(path.parent)


def replace_file(path: Path, data: bytes, *, along: Sequence[Callable[[], object]] = ()) -> None:
    """`atomic_write_bytes` but the folder's fsync, which the caller owes (now or batched).

    The temporary's fsync runs `together` with `along` (other writes' durability steps), so
    a write that must follow them costs one disk round trip, not one each.
    """
    StagedFile(path, data).publish(along)


class StagedFile:
    """`replace_file` in two halves: the new contents written beside `path` under a unique
    name now, renamed over it by `publish`. Written ahead of an earlier write, its fsync
    (`sync`) can join that write's disk wait instead of needing one of its own later."""

    def __init__(self, path: Path, data: bytes) -> None:
        self.path, self.data, self.synced = path, data, False
        self._tmp: Path | None = path.with_name(unique_name(f".{path.name}"))
        self._fd: int | None = os.open(self._tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            _write_all(self._fd, data)
        except BaseException:
            self.discard()
            raise

    def sync(self) -> None:
        """Make the contents durable (the rename is not)."""
        assert self._fd is not None
        os.fsync(self._fd)
        self.synced = True

    def publish(self, along: Sequence[Callable[[], object]] = ()) -> None:
        """fsync the contents unless `sync` did, `together` with `along`, then rename into
        place; on any failure the temporary is removed."""
        assert self._tmp is not None and self._fd is not None
        try:
            together(*(() if self.synced else (self.sync,)), *along)
            fd, self._fd = self._fd, None
            os.close(fd)
            os.replace(self._tmp, self.path)
        except BaseException:
            self.discard()
            raise
        self._tmp = None

    def discard(self) -> None:
        """Close and remove the temporary, unless it was published."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            with contextlib.suppress(OSError):
                os.close(fd)
        if self._tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._tmp)
            self._tmp = None


#: (pid, pool): the threads that issue fsyncs together; a forked child makes its own
_POOL: tuple[int, ThreadPoolExecutor] | None = None
_POOL_GUARD = threading.Lock()


def together(*steps: Callable[[], object]) -> None:
    """Run independent durability steps (fsyncs) at once; return when all have finished.

    On ext4 and most journalling filesystems, fsyncs issued together share one journal commit
    and one cache flush, where fsyncs one after another each wait for their own. The first
    failure is raised, after every step has ended (none is left running behind the caller).
    """
    if len(steps) <= 1:
        for step in steps:
            step()
        return
    futures = [_fsync_pool().submit(step) for step in steps[1:]]
    failure: BaseException | None = None
    try:
        steps[0]()
    except BaseException as exc:
        failure = exc
    for future in futures:
        try:
            future.result()
        except BaseException as exc:
            failure = failure or exc
    if failure is not None:
        raise failure


def fsync_uncounted(path: str) -> None:
    """fsync a file that is not the registry's own (the listing index's SQLite log): through
    the real `os`, never the stand-in the failing-disk tests put in place of `os` here."""
    fd = _uncounted_os.open(path, _uncounted_os.O_RDONLY)
    try:
        _uncounted_os.fsync(fd)
    finally:
        _uncounted_os.close(fd)


def _fsync_pool() -> ThreadPoolExecutor:
    global _POOL
    with _POOL_GUARD:
        if _POOL is None or _POOL[0] != os.getpid():
            _POOL = (os.getpid(), ThreadPoolExecutor(4, thread_name_prefix="modelreg-fsync"))
        return _POOL[1]


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


class Digest:
    """The sha256 and size of a stream fed chunk by chunk: every streaming hasher's core.

    Reading, writing, uploading and downloading all count and hash through this one class
    (in `CHUNK`-sized pieces), so an artifact's record means the same wherever it is made.
    """

    def __init__(self) -> None:
        self._sha = hashlib.sha256()
        self.bytes = 0

    def update(self, chunk: bytes | memoryview) -> None:
        self._sha.update(chunk)
        self.bytes += len(chunk)

    def hexdigest(self) -> str:
        return self._sha.hexdigest()


class HashingWriter:
    """A binary file that hashes what is written to it, so large artifacts are read once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sha256 = Digest()
        self.bytes = 0
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        _write_all(self._fd, data)
        self.bytes = self.sha256.bytes
        return len(data)

    def close(self) -> None:
        if self._fd >= 0:
            try:
                os.fsync(self._fd)
            finally:
                os.close(self._fd)
                self._fd = -1

    def __enter__(self) -> HashingWriter:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self.close()
        elif self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def copy_file_hashed(
    source: BinaryIO | IO[bytes],
    dest: Path,
    progress: Callable[[int], None] | None = None,
) -> tuple[str, int]:
    """Stream `source` into `dest`, hashing on the way; returns (sha256 hex, bytes)."""
    with HashingWriter(dest) as writer:
        while chunk := source.read(CHUNK):
            writer.write(chunk)
            if progress is not None:
                progress(len(chunk))
    return writer.sha256.hexdigest(), writer.bytes


def source_files(source: Path) -> dict[str, Path]:
    """A file, or a folder's files (but its metadata.json): `{relative POSIX name: path}`."""
    if source.is_file():
        found = {source.name: source}
    else:
        found = {
            p.relative_to(source).as_posix(): p for p in sorted(source.rglob("*")) if p.is_file()
        }
    found.pop("metadata.json", None)
    return found


def copy_into(
    source: Path, dest: Path, progress: Callable[[int], None] | None = None
) -> dict[str, dict[str, object]]:
    """Copy a file, or a folder's files (but its metadata.json), into `dest`, hashing each."""
    hashes: dict[str, dict[str, object]] = {}
    for name, src in source_files(source).items():
        target = dest / name
        make_dirs(target.parent)
        with open(src, "rb") as handle:
            digest, size = copy_file_hashed(handle, target, progress)
        hashes[name] = {"sha256": digest, "bytes": size}
    return hashes


def hash_file(path: Path, progress: Callable[[int], None] | None = None) -> tuple[str, int]:
    """sha256 hex digest and size of a file, read in chunks."""
    digest = Digest()
    with open(path, "rb", buffering=0) as handle:
        buffer = bytearray(CHUNK)
        view = memoryview(buffer)
        while n := handle.readinto(buffer):
            digest.update(view[:n])
            if progress is not None:
                progress(n)
    return digest.hexdigest(), digest.bytes


def read_whole(path: str) -> bytes:
    """A small file's bytes in four system calls (open, fstat, one read, close).

    The read asks for one byte more than fstat saw; a shorter answer is read on until the
    size fstat saw (a file replaced by rename keeps its size), a longer one until the end.
    """
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        data = os.read(fd, size + 1)
        if len(data) == size:
            return data
        parts = [data]
        got = len(data)
        while chunk := os.read(fd, CHUNK):
            parts.append(chunk)
            got += len(chunk)
            if got == size:
                break
        return b"".join(parts)
    except OSError as exc:  # a folder named so, say: the message names the file, as `open`'s
        exc.filename = path
        raise
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    """fsync every file and folder below `root` (bottom-up), so a publish is durable."""
    for folder, _dirs, files in os.walk(root, topdown=False):
        for name in files:
            fd = os.open(os.path.join(folder, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(Path(folder))


def claim_and_publish(staged: Path, target: Path) -> None:
    """Make `staged` visible as `target`, failing with FileExistsError if the name is taken.

    The `mkdir` is the claim: exactly one writer can create `target`. Only that writer then
    renames its staged folder onto the (empty, its own) claim. A reader may glimpse the empty
    claim for a moment; folders without metadata are not versions.
    """
    os.mkdir(target)
    try:
        os.rename(staged, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.rmdir(target)
        raise
    _durable_or_undone(staged, target)


def _durable_or_undone(source: Path, dest: Path) -> None:
    """fsync the rename `source` -> `dest`; if that fails, move it back and re-raise.

    The caller is told the step failed, so it must not stay half-done (visible, not durable).
    """
    try:
        fsync_dir(dest.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            os.rename(dest, source)
        raise


def publish_file(tmp: Path, dest: Path, *, replace: bool = False) -> None:
    """Make the finished file `tmp` appear as `dest` in one step, after making it durable.

    Without `replace`, an existing `dest` is never overwritten: a hard link claims the name
    atomically (FileExistsError when taken); filesystems without hard links fall back to a
    check and a rename.
    """
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    if replace:
        os.replace(tmp, dest)
    else:
        try:
            os.link(tmp, dest)
        except FileExistsError:
            raise
        except OSError:
            if os.path.lexists(dest):
                raise FileExistsError(errno.EEXIST, "file exists", str(dest)) from None
            os.rename(tmp, dest)
        else:
            os.unlink(tmp)
    fsync_dir(dest.parent)


def rename(source: Path, dest: Path) -> None:
    """A rename inside one filesystem (into `.trash/`, out of a staging folder)."""
    os.rename(source, dest)
    _durable_or_undone(source, dest)


def link_to(source: Path, link: Path) -> bool:
    """Create `link`, a symbolic link to `source`'s absolute path; False where this system
    refuses links (Windows without the privilege), so the caller copies instead."""
    try:
        os.symlink(os.path.abspath(source), link)
    except (OSError, NotImplementedError):
        return False
    return True


def link_sole_file(path: Path, tmp: Path) -> bool:
    """Hard-link `path` at `tmp` if it is a regular file with no other name; False where it is
    not, or where the link is refused (another filesystem: EXDEV; no hard links: EPERM)."""
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:
            return False
        os.link(path, tmp)
    except OSError:
        return False
    return True


def replace_symlink(link: Path, target: str, *, durable: bool = True) -> None:
    """Point `link` at `target` atomically: a new link beside it, then `os.replace` over it.

    Without `durable` the caller owes the folder's fsync (batched with others').
    """
    tmp = link.with_name(unique_name(f".{link.name}"))
    os.symlink(target, tmp)
    try:
        os.replace(tmp, link)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if durable:
        fsync_dir(link.parent)


def replace_dir(link: Path, source: Path, *, keep_aside: Path) -> None:
    """Swap the folder `link` for a copy of `source` (the no-symlink fallback).

    A folder cannot be replaced in one step, so the old copy is first renamed to `keep_aside`;
    readers that find `link` missing read `keep_aside`, and the next writer mends a crash here.
    """
    fresh = link.with_name(unique_name(f".{link.name}.new"))
    try:
        copy_tree(source, fresh)
        fsync_tree(fresh)
        if link.exists() or link.is_symlink():
            os.rename(link, keep_aside)
        os.rename(fresh, link)
    except BaseException:
        with contextlib.suppress(OSError):
            remove_tree(fresh)
        raise
    fsync_dir(link.parent)
    with contextlib.suppress(OSError):
        remove_tree(keep_aside)


def copy_tree(source: Path, dest: Path) -> None:
    """Copy a version folder (flat or nested) file by file."""
    os.mkdir(dest)
    for entry in sorted(source.iterdir()):
        if entry.is_dir():
            copy_tree(entry, dest / entry.name)
        else:
            with open(entry, "rb") as src:
                copy_file_hashed(src, dest / entry.name)


def remove_tree(path: Path) -> None:
    """Delete a folder top-down without following links out of it."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(mode):
        os.unlink(path)
        return
    for entry in os.scandir(path):
        if entry.is_dir(follow_symlinks=False):
            remove_tree(Path(entry.path))
        else:
            os.unlink(entry.path)
    os.rmdir(path)


def append_line(path: Path, line: bytes, *, along: Sequence[Callable[[], object]] = ()) -> None:
    """Append one record durably; first mends a line a crash left without its newline.

    `along`: durability steps made together with the record's fsync; if one fails, the
    record is taken back too (a record never stands for a change that was reported failed).
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            line = b"\n" + line
        try:
            _write_all(fd, line)
            together(lambda: os.fsync(fd), *along)
        except BaseException:  # all or nothing: a reported failure leaves no record behind
            with contextlib.suppress(OSError):
                os.ftruncate(fd, size)
            raise
    finally:
        os.close(fd)


_SYMLINKS: dict[str, bool] = {}


def symlinks_supported(folder: Path) -> bool:
    """Whether `folder` accepts symlinks (Windows without the privilege does not)."""
    key = str(folder)
    if key not in _SYMLINKS:
        probe = folder / unique_name(".symlink-probe")
        try:
            os.symlink(".", probe)
        except NotImplementedError:
            _SYMLINKS[key] = False
        except OSError as exc:
            if not _symlinks_refused(exc):
                raise  # a full or failing disk says nothing about symlinks; do not remember it
            _SYMLINKS[key] = False
        else:
            with contextlib.suppress(OSError):
                os.unlink(probe)
            _SYMLINKS[key] = True
    return _SYMLINKS[key]


def _symlinks_refused(exc: OSError) -> bool:
    """Whether a failed `os.symlink` means "not allowed here", as opposed to a failing disk."""
    if getattr(exc, "winerror", None) is not None:  # e.g. 1314: privilege not held
        return True
    return exc.errno in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS)
