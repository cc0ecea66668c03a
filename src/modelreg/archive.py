"""A version as one self-contained file, so it can move between registries.

An archive (tar.gz, or zip when the name says so) holds one folder named after the version::

    20260126_103000/modelreg-archive.json   what this is, and metadata.json's sha256
    20260126_103000/metadata.json           the version's metadata, every artifact's sha256
    20260126_103000/model.pkl ...           the artifacts, byte for byte as registered

Export hashes every artifact while it streams it in, so a corrupt version is never exported.
Import streams every member into a staging folder, hashing on the way, and refuses the archive
unless every artifact, and nothing else, matches the metadata: only then is anything published.
Members are never extracted by name: links, devices, names the artifact-name rule refuses, and
members whose size differs from the metadata's record are refused before a byte of them is
written. The metadata must come before any artifact (export writes it first), so every member
is bounded by a size already declared, and the declared total by the caller's `max_bytes`: a
small archive cannot unpack into a full disk.

The same folder, unpacked (`20260126_103000/` with `metadata.json` beside the artifacts; the
manifest optional), imports under the same checks: that is how importers from other registries
hand a version over without compressing it first.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, NoReturn, Protocol

from . import _fsutil
from ._json_text import loads
from .errors import (
    CorruptVersionError,
    IntegrityError,
    InvalidInputError,
    PayloadTooLargeError,
)
from .integrity import hash_limited
from .lower_errors import translated
from .metadata import METADATA_FILE, Status, decode_metadata, encode_metadata, version_fields
from .versions import validate_artifact_name, validate_version

__all__ = [
    "ARCHIVE_VERSION",
    "MANIFEST",
    "SUFFIXES",
    "archive_path",
    "read_archive",
    "read_folder",
    "write_archive",
]

MANIFEST = "modelreg-archive.json"
ARCHIVE_FORMAT = "modelreg-archive"
ARCHIVE_VERSION = 1
SUFFIXES = (".tar.gz", ".tgz", ".zip")
#: per-registry state: an imported version starts unpromoted wherever it lands
_MAX_SMALL_MEMBER = 16 * 1024 * 1024

Progress = Callable[[int], None]
Opener = Callable[[str], IO[bytes]]


def archive_path(dest: Path, version: str) -> Path:
    """Where an export of `version` goes: `dest` itself, or `<version>.tar.gz` in a folder."""
    if dest.is_dir():
        return dest / f"{version}.tar.gz"
    if not dest.name.lower().endswith(SUFFIXES):
        raise InvalidInputError(
            f"cannot export to {dest}: it is not a folder, and not an archive name; name the "
            "archive *.tar.gz, *.tgz or *.zip, or give a folder (end it with / to create a folder)",
            path=str(dest),
        )
    return dest


def _is_zip(path: Path) -> bool:
    return path.name.lower().endswith(".zip")


# --- export ------------------------------------------------------------------------------


def write_archive(
    dest: Path,
    metadata: Mapping[str, Any],
    open_artifact: Opener,
    *,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> Path:
    """Write one version into a new archive at `dest` (see `archive_path`); returns its path.

    The archive is built under a temporary name and appears complete or not at all; without
    `overwrite` an existing file is an error, not silently replaced.
    """
    version = str(metadata["version"])
    target = archive_path(Path(dest), version)
    if target.exists() and not overwrite:
        raise InvalidInputError(
            f"{target} already exists; remove it, choose another name, or overwrite it",
            path=str(target),
        )
    meta_bytes = encode_metadata(metadata)
    manifest = {
        "format": ARCHIVE_FORMAT,
        "archive_version": ARCHIVE_VERSION,
        "version": version,
        "metadata_sha256": hashlib.sha256(meta_bytes).hexdigest(),
    }
    tmp = target.with_name(_fsutil.unique_name(f".{target.name}"))
    try:
        with translated("write the archive", target):
            with _writer(tmp, as_zip=_is_zip(target)) as add:
                add(f"{version}/{MANIFEST}", io.BytesIO(_json_bytes(manifest)), None)
                add(f"{version}/{METADATA_FILE}", io.BytesIO(meta_bytes), None)
                for name, record in sorted((metadata.get("files") or {}).items()):
                    with _artifact(open_artifact, name, version) as source:
                        reader = _CheckedReader(source, name, version, record, progress)
                        add(f"{version}/{name}", reader, int(record["bytes"]))
                        reader.finish()
            try:
                _fsutil.publish_file(tmp, target, replace=overwrite)
            except FileExistsError:
                raise InvalidInputError(
                    f"{target} appeared while exporting; nothing was overwritten",
                    path=str(target),
                ) from None
    except BaseException:
        with contextlib.suppress(OSError):
            _fsutil.remove_tree(tmp)
        raise
    return target


def _json_bytes(data: Mapping[str, Any]) -> bytes:
    return (json.dumps(data, indent=2) + "\n").encode()


@contextlib.contextmanager
def _artifact(open_artifact: Opener, name: str, version: str) -> Iterator[IO[bytes]]:
    try:
        handle = open_artifact(name)
    except FileNotFoundError:
        raise IntegrityError(
            f"artifact {name} of version {version} is missing; run `modelreg verify`",
            version=version,
            path=name,
        ) from None
    with handle:
        yield handle


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


AddMember = Callable[[str, _Readable, "int | None"], None]


@contextlib.contextmanager
def _writer(path: Path, *, as_zip: bool) -> Iterator[AddMember]:
    """`add(name, stream, size)` for a new tar.gz or zip at `path` (size None: read it all)."""
    if as_zip:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zipped:

            def add_zip(name: str, stream: _Readable, size: int | None) -> None:
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o100644 << 16
                with zipped.open(info, "w", force_zip64=True) as out:
                    while chunk := stream.read(_fsutil.CHUNK):
                        out.write(chunk)

            yield add_zip
        return
    with tarfile.open(path, "w:gz", compresslevel=6, format=tarfile.PAX_FORMAT) as tarred:

        def add_tar(name: str, stream: _Readable, size: int | None) -> None:
            if size is None:
                data = stream.read()
                stream, size = io.BytesIO(data), len(data)
            info = tarfile.TarInfo(name)
            info.size, info.mode = size, 0o644
            tarred.addfile(info, stream)

        yield add_tar


class _CheckedReader:
    """Reads an artifact for export, hashing it; `finish()` proves it matches its record."""

    def __init__(
        self,
        source: IO[bytes],
        name: str,
        version: str,
        record: Mapping[str, Any],
        progress: Progress | None,
    ) -> None:
        self._source, self._name, self._version = source, name, version
        self._record, self._progress = record, progress
        self._digest = _fsutil.Digest()

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes, fewer only at the end, which must be where the record says."""
        parts: list[bytes] = []
        wanted = size
        while wanted != 0:
            with translated(f"read artifact {self._name} of version", self._version):
                chunk = self._source.read(wanted if wanted > 0 else _fsutil.CHUNK)
            if not chunk:
                if self._digest.bytes < int(self._record["bytes"]):
                    self._mismatch(
                        f"is {self._digest.bytes} bytes, {self._record['bytes']} were registered"
                    )
                break
            parts.append(chunk)
            self._digest.update(chunk)
            if self._progress is not None:
                self._progress(len(chunk))
            wanted = wanted - len(chunk) if wanted > 0 else wanted
        return b"".join(parts)

    def finish(self) -> None:
        if self._source.read(1):
            self._mismatch(f"is longer than the {self._record['bytes']} bytes registered")
        if self._digest.hexdigest() != self._record.get("sha256"):
            self._mismatch("does not match its registered sha256")

    def _mismatch(self, what: str) -> None:
        raise IntegrityError(
            f"artifact {self._name} of version {self._version} {what}; nothing was exported. "
            "Run `modelreg verify`",
            version=self._version,
            path=self._name,
            expected_sha256=self._record.get("sha256"),
        )


# --- import ------------------------------------------------------------------------------


class _CountingFile(io.RawIOBase):
    """The archive file, reporting how many of its bytes were read (import progress)."""

    def __init__(self, raw: IO[bytes], progress: Progress) -> None:
        self._raw, self._progress = raw, progress

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._raw.readinto(buffer)  # type: ignore[attr-defined]
        if n:
            self._progress(n)
        return int(n or 0)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()


def read_archive(
    src: Path,
    into: Path,
    *,
    progress: Progress | None = None,
    max_bytes: int | None = None,
) -> dict[str, Any]:
    """Unpack an archive's artifacts into the empty folder `into`, checking everything.

    Returns the version's metadata, ready to publish (with this registry's state reset).
    Raises InvalidInputError for something that is not a modelreg archive, CorruptVersionError
    for a damaged one, IntegrityError when an artifact differs from its recorded sha256, and
    PayloadTooLargeError when its artifacts add up to more than `max_bytes`.
    """
    src = Path(src)
    with translated("read archive", src):
        try:
            raw: IO[bytes] = open(src, "rb")  # noqa: SIM115 - closed below
        except FileNotFoundError:
            raise InvalidInputError(f"archive {src} does not exist", path=str(src)) from None
    with raw:
        stream: IO[bytes] = (
            io.BufferedReader(_CountingFile(raw, progress), _fsutil.CHUNK)
            if progress is not None
            else raw
        )
        unpacker = _Unpacker(src, into, max_bytes=max_bytes)
        try:
            if zipfile.is_zipfile(stream):
                stream.seek(0)
                _read_zip(stream, unpacker)
            else:
                stream.seek(0)
                _read_tar(stream, unpacker)
        except (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error) as exc:
            raise CorruptVersionError(
                f"archive {src} is damaged or truncated ({exc}); export it again",
                path=str(src),
            ) from exc
    return unpacker.finish()


def read_folder(
    src: Path,
    into: Path,
    *,
    progress: Progress | None = None,
    max_bytes: int | None = None,
) -> dict[str, Any]:
    """Copy an unpacked archive's artifacts into the empty folder `into`, checking everything.

    `src` is named after the version and holds `metadata.json` beside the artifacts, as an
    archive's folder does; its manifest is checked when present. The same refusals and
    errors as `read_archive`, and `progress` gets the number of bytes copied.
    """
    src = Path(src)
    if not src.is_dir():
        raise InvalidInputError(f"{src} is not a folder", path=str(src))
    unpacker = _Unpacker(src, into, max_bytes=max_bytes, manifest_required=False)
    with translated("read", src):
        members = sorted(p for p in src.rglob("*") if not p.is_dir() or p.is_symlink())
        # the records first, so every artifact is held against them before it is copied
        members.sort(key=lambda p: p.parent != src or p.name not in (MANIFEST, METADATA_FILE))
        for path in members:
            member = f"{src.name}/{path.relative_to(src).as_posix()}"
            info = path.lstat()
            unpacker.check(member, info.st_size, regular=stat.S_ISREG(info.st_mode))
            with open(path, "rb") as handle:
                unpacker.take(member, handle, progress)
    return unpacker.finish()


def _read_zip(stream: IO[bytes], unpacker: _Unpacker) -> None:
    with zipfile.ZipFile(stream) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            kind = stat.S_IFMT(info.external_attr >> 16)
            unpacker.check(info.filename, info.file_size, regular=kind in (0, stat.S_IFREG))
            with archive.open(info) as member:
                unpacker.take(info.filename, member)


def _read_tar(stream: IO[bytes], unpacker: _Unpacker) -> None:
    try:
        archive = tarfile.open(fileobj=stream, mode="r:*")  # noqa: SIM115 - `with` below
    except tarfile.ReadError as exc:
        raise InvalidInputError(
            f"{unpacker.src} is not a modelreg archive (expected a .tar.gz or .zip made by "
            "`modelreg export`)",
            path=str(unpacker.src),
        ) from exc
    with archive:
        for member in archive:
            if member.isdir():
                continue
            unpacker.check(member.name, member.size, regular=member.isreg())
            handle = archive.extractfile(member)
            assert handle is not None  # a regular file always has data
            with handle:
                unpacker.take(member.name, handle)


class _Tee:
    """Reads from `source`, writing what it read to `sink` (hash and store in one pass)."""

    def __init__(
        self, source: IO[bytes], sink: _fsutil.HashingWriter, progress: Progress | None
    ) -> None:
        self._source, self._sink, self._progress = source, sink, progress

    def read(self, size: int = -1) -> bytes:
        data = self._source.read(size)
        self._sink.write(data)
        if self._progress is not None and data:
            self._progress(len(data))
        return data


class _Unpacker:
    """Receives an archive's members one by one; decides what they are and keeps score."""

    def __init__(
        self, src: Path, into: Path, *, max_bytes: int | None, manifest_required: bool = True
    ) -> None:
        self.src, self.into, self.max_bytes = src, into, max_bytes
        self.manifest_required = manifest_required
        self.top: str | None = None
        self.small: dict[str, bytes] = {}
        self.hashes: dict[str, dict[str, Any]] = {}
        self.recorded: dict[str, Any] | None = None

    def _relative(self, member: str) -> str:
        """The member's artifact name below the version's folder, by the one name rule."""
        top, sep, rest = member.partition("/")
        if not sep or not top or top in (".", ".."):
            self._refuse(f"member {member[:200]!r} is outside the version's folder")
        try:
            name = rest if rest in (MANIFEST, METADATA_FILE) else validate_artifact_name(rest)
        except InvalidInputError as exc:
            self._refuse(f"member {member[:200]!r} is outside the version's folder ({exc})")
        if self.top is None:
            self.top = top
        elif top != self.top:
            self._refuse(f"holds more than one folder ({self.top!r} and {top[:80]!r})")
        return name

    def check(self, member: str, size: int, *, regular: bool) -> None:
        """Refuse a member before unpacking it: where it goes, what it is, how big it is."""
        name = self._relative(member)
        if not regular:
            self._refuse(f"member {member!r} is a link or a special file")
        if name in (MANIFEST, METADATA_FILE):
            if size > _MAX_SMALL_MEMBER:
                self._refuse(f"{name} is {size} bytes, too large to be metadata")
            return
        recorded = self.recorded
        if recorded is None:
            self._refuse(
                f"artifact {name} comes before {METADATA_FILE} (an export writes the metadata "
                "first, so that every artifact is checked against it before it is unpacked)"
            )
        expected = (recorded.get(name) or {}).get("bytes")
        if expected is None or int(expected) != size:
            raise IntegrityError(
                f"{self.src} holds {name} of {size} bytes, but its metadata records "
                + ("no such file" if expected is None else f"{expected} bytes")
                + ": the archive was damaged or changed; nothing was imported",
                path=name,
            )

    def _read_recorded(self, raw: bytes) -> dict[str, Any]:
        """The metadata's `files`, checked as soon as it arrives: names and the total size."""
        try:
            files = loads(raw).get("files")
        except (ValueError, AttributeError):
            self._refuse(f"its {METADATA_FILE} is not a JSON object")
        if not isinstance(files, dict):
            self._refuse(f"its {METADATA_FILE} records no files")
        total = 0
        for name, record in files.items():
            try:
                validate_artifact_name(name)
            except InvalidInputError as exc:
                self._refuse(f"its {METADATA_FILE} records {exc}")
            size = record.get("bytes") if isinstance(record, dict) else None
            if isinstance(size, bool) or not isinstance(size, int) or size < 0:
                self._refuse(f"its {METADATA_FILE} records no size for {name[:200]!r}")
            total += size
        if self.max_bytes is not None and total > self.max_bytes:
            raise PayloadTooLargeError(
                f"{self.src} unpacks to {total} bytes, more than the {self.max_bytes} allowed; "
                "nothing was imported",
                limit=self.max_bytes,
                path=str(self.src),
            )
        return files

    def take(self, member: str, handle: IO[bytes], progress: Progress | None = None) -> None:
        name = self._relative(member)
        if name in self.small or name in self.hashes:
            self._refuse(f"holds {name} twice")
        if name in (MANIFEST, METADATA_FILE):
            self.small[name] = handle.read(_MAX_SMALL_MEMBER + 1)
            if name == METADATA_FILE:
                self.recorded = self._read_recorded(self.small[name])
            return
        assert self.recorded is not None  # check() refused artifacts before the metadata
        size = int(self.recorded[name]["bytes"])
        target = self.into / name
        with translated("unpack into", target):
            _fsutil.make_dirs(target.parent)
            with _fsutil.HashingWriter(target) as out:
                digest, got = hash_limited(_Tee(handle, out, progress), size)
        if got > size:
            raise IntegrityError(
                f"{self.src} holds {name} of more than its recorded {size} bytes: the archive "
                "was damaged or changed; nothing was imported",
                path=name,
            )
        self.hashes[name] = {"sha256": digest, "bytes": got}

    def _refuse(self, why: str) -> NoReturn:
        raise InvalidInputError(
            f"{self.src} is not a valid modelreg archive: {why}", path=str(self.src)
        )

    def finish(self) -> dict[str, Any]:
        """Check the manifest, the metadata and every artifact; return the metadata."""
        if METADATA_FILE not in self.small or (
            self.manifest_required and MANIFEST not in self.small
        ):
            self._refuse(f"it has no {MANIFEST} and {METADATA_FILE} (was it made by modelreg?)")
        raw = self.small[METADATA_FILE]
        manifest = self._manifest() if MANIFEST in self.small else None
        if manifest is not None and hashlib.sha256(raw).hexdigest() != manifest.get(
            "metadata_sha256"
        ):
            raise IntegrityError(
                f"{METADATA_FILE} in {self.src} does not match the sha256 its manifest records: "
                "the archive was changed after export; nothing was imported",
                path=str(self.src),
            )
        meta = decode_metadata(raw, where=f"{self.src}:{METADATA_FILE}")
        name = validate_version(meta.get("version"), allow_latest=False)
        if name != self.top or (manifest is not None and name != manifest.get("version")):
            self._refuse(f"its folder {self.top!r} does not match version {name!r}")
        version_fields(
            metrics=meta.get("metrics") or {},
            features=meta.get("features"),
            training_date=meta.get("training_date"),
            data_range=meta.get("data_range"),
            hyperparameters=meta.get("hyperparameters"),
            config=meta.get("config"),
        )
        self._check_files(name, meta.get("files") or {})
        return {**meta, "deployment_status": Status.REGISTERED.value, "promoted_at": None}

    def _manifest(self) -> dict[str, Any]:
        try:
            manifest = json.loads(self.small[MANIFEST])
        except (ValueError, UnicodeDecodeError) as exc:
            raise CorruptVersionError(
                f"{MANIFEST} in {self.src} is not valid JSON ({exc})", path=str(self.src)
            ) from exc
        if not isinstance(manifest, dict) or manifest.get("format") != ARCHIVE_FORMAT:
            self._refuse(f"{MANIFEST} does not describe a {ARCHIVE_FORMAT}")
        if int(manifest.get("archive_version", 0)) > ARCHIVE_VERSION:
            raise CorruptVersionError(
                f"{self.src} was written by a newer modelreg (archive_version "
                f"{manifest['archive_version']}); upgrade modelreg to import it",
                path=str(self.src),
            )
        return manifest

    def _check_files(self, version: str, files: Mapping[str, Mapping[str, Any]]) -> None:
        for name, record in sorted(files.items()):
            found = self.hashes.get(name)
            if found is None:
                raise IntegrityError(
                    f"{self.src} lacks artifact {name} of version {version}; nothing was imported",
                    version=version,
                    path=name,
                )
            if found["sha256"] != record.get("sha256") or found["bytes"] != record.get("bytes"):
                raise IntegrityError(
                    f"artifact {name} in {self.src} does not match its recorded sha256 "
                    f"(expected {record.get('sha256')}, found {found['sha256']}): the archive "
                    "was damaged or changed; nothing was imported",
                    version=version,
                    path=name,
                    expected_sha256=record.get("sha256"),
                    actual_sha256=found["sha256"],
                )
        unexpected = sorted(set(self.hashes) - set(files))
        if unexpected:
            raise IntegrityError(
                f"{self.src} holds files its metadata does not record ({', '.join(unexpected)}); "
                "nothing was imported",
                version=version,
                path=unexpected[0],
            )
