"""Artifacts on disk: recorded at registration, read back only where and as far as recorded.

A version's metadata names its artifacts, and metadata is input like any other (edited by
hand, by a bug, by an attacker): a name is checked by the one artifact-name rule and joined
to its folder only if the result stays inside it; a file is read only when it is a regular file
there (never a link, device or pipe), and never past the size it was registered with. So a
stored `files` entry naming `/dev/zero` or `../../etc/passwd` is an integrity error, not a read.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, Protocol

from . import _fsutil
from .errors import IntegrityError, InvalidInputError
from .metadata import METADATA_FILE
from .versions import validate_artifact_name

#: how much of an artifact is read, written or sent at once, everywhere
CHUNK = _fsutil.CHUNK
#: sha256 and size of a stream, fed chunk by chunk (for layers above the filesystem helper)
Digest = _fsutil.Digest

__all__ = [
    "CHUNK",
    "Digest",
    "artifact_path",
    "copy_hashed",
    "file_records",
    "hash_folder",
    "hash_limited",
    "open_artifact_file",
    "source_files",
    "stage_copy",
    "stage_link",
    "stored_artifact_path",
    "stored_name",
    "verify_files",
]


def artifact_path(folder: Path, name: str) -> Path:
    """`folder / name`, once the name passes the artifact-name rule and the path stays inside.

    Raises InvalidInputError otherwise. Links along the way are resolved before the check, so a
    planted `model -> /etc` cannot lead out either; the file itself need not exist yet.
    """
    checked = validate_artifact_name(name)
    path = folder / checked
    if "/" not in checked:  # a single part, never `..`: its parent is `folder` itself, so
        return path  # it stays inside (the file itself is opened without following a link)
    base = folder.resolve()
    if not path.parent.resolve().is_relative_to(base):
        raise InvalidInputError(f"artifact name {name!r} leads outside its folder", filename=name)
    return path


def stored_name(name: str, *, version: str | None) -> str:
    """An artifact name read from metadata or a catalog, checked: IntegrityError if refused."""
    with _stored_name(name, version):
        return validate_artifact_name(name)


def stored_artifact_path(folder: Path, name: str, *, version: str | None) -> Path:
    """`artifact_path` for a name read from stored metadata or a catalog: IntegrityError if bad."""
    with _stored_name(name, version):
        return artifact_path(folder, name)


@contextlib.contextmanager
def _stored_name(name: object, version: str | None) -> Iterator[None]:
    """A stored name the rule refuses means damaged metadata, not a caller's mistake."""
    try:
        yield
    except InvalidInputError as exc:
        raise _unsafe_stored_name(name, version, exc) from None


def _unsafe_stored_name(name: object, version: str | None, exc: Exception) -> IntegrityError:
    return IntegrityError(
        f"version {version} lists an artifact that cannot be read safely: {exc}",
        version=version,
        path=str(name)[:200],
    )


def open_artifact_file(folder: Path | str, name: str, *, buffering: int = -1) -> IO[bytes]:
    """Open one artifact for reading: a regular file inside `folder`, never a link or device.

    Raises InvalidInputError for a name that is not allowed, FileNotFoundError when it is
    missing, and IntegrityError when it is something other than a regular file. `buffering`
    as `open`'s: 0 for a reader that reads into buffers of its own (no buffer, fewer system
    calls: no terminal check, no seek).
    """
    fd, _size = _open_regular(folder, name)
    try:
        return os.fdopen(fd, "rb", buffering)
    except BaseException:
        os.close(fd)
        raise


def _open_regular(folder: Path | str, name: str) -> tuple[int, int]:
    """`open_artifact_file`'s checks and open: a descriptor of a regular file, and its size."""
    path = _os_path(folder, name)
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if os.path.islink(path):  # O_NOFOLLOW's ELOOP
            raise _not_regular(path, name) from exc
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _not_regular(path, name)
        return fd, info.st_size
    except BaseException:
        os.close(fd)
        raise


def _os_path(folder: Path | str, name: str) -> str:
    """`artifact_path` as a string; a single-part name (the usual one) builds no `Path`."""
    checked = validate_artifact_name(name)
    if "/" not in checked:
        return f"{folder}{os.sep}{checked}"
    return str(artifact_path(Path(folder), checked))


def _not_regular(path: Path | str, name: str) -> IntegrityError:
    return IntegrityError(
        f"{path} is not a regular file (a link, device or pipe); refusing to read artifact {name}",
        path=str(path),
    )


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def hash_limited(handle: Readable, limit: int) -> tuple[str, int]:
    """sha256 and size of what `handle` holds, reading at most `limit + 1` bytes.

    The one bounded hashing reader: a size past `limit` shows as `limit + 1`, so a file that
    grew, or a device that never ends, costs no more than the size it was registered with.
    """
    readinto = getattr(handle, "readinto", None)
    if readinto is not None:
        return _hash_into(readinto, limit)
    digest = _fsutil.Digest()
    while digest.bytes <= limit:
        chunk = handle.read(min(CHUNK, limit + 1 - digest.bytes))
        if not chunk:
            break
        digest.update(chunk)
    return digest.hexdigest(), digest.bytes


def _hash_into(
    readinto: Callable[[memoryview], int], limit: int, seen: int = -1
) -> tuple[str, int]:
    """`hash_limited` through `readinto`; it stops at `seen` bytes too, the size an fstat of a
    regular file saw (no read to learn that the end is there; a later append is a later
    version of the file, as if it came after the read)."""
    digest = _fsutil.Digest()
    # one buffer the size of the file (at most CHUNK): `read(CHUNK)` allocated 4 MiB per file
    view = memoryview(bytearray(min(CHUNK, limit + 1)))
    while digest.bytes <= limit and digest.bytes != seen:
        got = readinto(view[: limit + 1 - digest.bytes])
        if not got:
            break
        digest.update(view[:got])
    return digest.hexdigest(), digest.bytes


def copy_hashed(
    source: Path, dest: Path, progress: Callable[[int], None] | None = None
) -> dict[str, dict[str, object]]:
    """Copy a file, or a folder's artifacts (not its metadata.json), into `dest`.

    Each is hashed as it is written, so nothing is read twice; returns their records.
    """
    return _fsutil.copy_into(source, dest, progress)


def stage_copy(
    source: Path, target: Path, progress: Callable[[int], None] | None = None
) -> dict[str, Any]:
    """Copy one file to `target` (its folder made), hashed as it is written; its record."""
    _fsutil.make_dirs(target.parent)
    with open(source, "rb") as handle:
        digest, size = _fsutil.copy_file_hashed(handle, target, progress)
    return {"sha256": digest, "bytes": size}


def stage_link(
    source: Path, target: Path, progress: Callable[[int], None] | None = None
) -> dict[str, Any]:
    """Stage `source` as a symbolic link at `target` and hash it in place; its record.

    A copy where links are refused (Windows without the privilege, say)."""
    _fsutil.make_dirs(target.parent)
    if not _fsutil.link_to(source, target):
        return stage_copy(source, target, progress)
    digest, size = _fsutil.hash_file(source, progress)
    return {"sha256": digest, "bytes": size}


def source_files(source: Path) -> dict[str, Path]:
    """The artifacts of a file or folder to register, `{name: path}`, each name checked by
    the one artifact-name rule (a folder's metadata.json is not one of them)."""
    found = _fsutil.source_files(source)
    for name in found:
        validate_artifact_name(name)
    return found


def hash_folder(folder: Path, known: Mapping[str, Mapping[str, Any]] | None = None) -> dict:
    """`{relative name: {sha256, bytes}}` for every artifact below `folder` but metadata.json.

    Files already hashed while they were written (`known`) are not read again. Every name must
    pass the artifact-name rule: a registration cannot store a file readers would refuse.
    """
    files: dict[str, dict[str, Any]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        if name == METADATA_FILE:
            continue
        validate_artifact_name(name)
        if known and name in known:
            files[name] = dict(known[name])
            continue
        digest, size = _fsutil.hash_file(path)
        files[name] = {"sha256": digest, "bytes": size}
    return files


def verify_files(
    folder: Path | str, files: Mapping[str, Mapping[str, Any]], *, version: str | None = None
) -> None:
    """Raise IntegrityError for the first artifact that is missing, resized or changed.

    Each is read as `open_artifact_file` allows and no further than its recorded size.
    """
    for name, record in files.items():
        expected, size = _record(name, record, version)
        try:
            try:
                fd, seen = _open_regular(folder, name)  # no file object: 4 calls a file
            except InvalidInputError as exc:  # as `_stored_name`, without a generator per file
                raise _unsafe_stored_name(name, version, exc) from None
            try:
                digest, actual_size = _hash_fd(fd, size, seen)
            finally:
                os.close(fd)
        except FileNotFoundError:
            path = Path(folder, name)
            raise IntegrityError(
                f"{path} is missing (version {version}); restore it or delete the version",
                version=version,
                path=str(path),
                expected_sha256=expected,
            ) from None
        if actual_size != size:
            path = Path(folder, name)
            raise IntegrityError(
                f"{path} has "
                + (f"more than {size}" if actual_size > size else str(actual_size))
                + f" bytes, {size} were registered (version {version}): it was truncated or "
                "changed; nothing was loaded",
                version=version,
                path=str(path),
                expected_sha256=expected,
            )
        if digest != expected:
            path = Path(folder, name)
            raise IntegrityError(
                f"{path} does not match its registered sha256 (version {version}): "
                f"expected {expected}, found {digest}; nothing was loaded",
                version=version,
                path=str(path),
                expected_sha256=expected,
                actual_sha256=digest,
            )


def _hash_fd(fd: int, limit: int, seen: int) -> tuple[str, int]:
    """`_hash_into` from a descriptor: by `readv` into the buffer, or where there is none
    (Windows) through an unbuffered file object that leaves the descriptor open."""
    readv = getattr(os, "readv", None)
    if readv is not None:
        return _hash_into(lambda view: readv(fd, (view,)), limit, seen)
    with os.fdopen(fd, "rb", 0, closefd=False) as handle:
        return _hash_into(handle.readinto, limit, seen)


def file_records(files: Mapping[str, Any], *, version: str | None) -> dict[str, tuple[str, int]]:
    """(sha256, size) of each artifact a version's `files` lists; IntegrityError if damaged."""
    return {name: _record(name, record, version) for name, record in files.items()}


def _record(name: object, record: object, version: str | None) -> tuple[str, int]:
    """The sha256 and size a `files` entry records; anything else is a damaged record."""
    sha = record.get("sha256") if isinstance(record, Mapping) else None
    size = record.get("bytes") if isinstance(record, Mapping) else None
    if not isinstance(sha, str) or isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise IntegrityError(
            f"version {version} records artifact {str(name)[:200]!r} without a sha256 and a "
            "size; its metadata was damaged",
            version=version,
            path=str(name)[:200],
        )
    return sha, size
