"""Content-addressed artifact blobs on any fsspec filesystem (local, s3://, gs://, memory://).

A blob's key is its sha256 (`<root>/sha256/ab/abcdef...`), so identical artifacts are stored
once and a key never changes meaning: object stores have no rename, and none is needed. An
upload streams the local file, hashes what it sends, and is committed under its key only when
the hash and the stored size match; the catalog row that references it comes after that.
Downloads land in a local cache keyed by sha256 and are checked on the way in.

A writer killed mid-upload leaves something behind: a temporary file beside the blob (a folder
store), a download or scratch file in the cache, or an unfinished multipart upload (an object
store). Each is named, or marked in the cache, with its writer's host and pid, so `leftovers()`
finds those whose writer is gone, and `verify --repair` removes them (aborting the upload).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .. import _fsutil
from ..config import from_environment
from ..errors import IntegrityError, MissingDependencyError, StorageError
from ..integrity import hash_limited
from ..lower_errors import translated
from .artifact_local import write_blob
from .base import Debris

__all__ = ["ArtifactStore", "Blob", "default_cache_dir", "link_or_copy"]

_HEX = frozenset("0123456789abcdef")
#: temporary names: an upload beside its blob, a download in the cache, a staging folder,
#: and the cache folder noting which uploads a process began
_UPLOADING = ".up"
_DOWNLOADING = ".dl"
_SCRATCH = ".scratch"
_MARKERS = ".uploads"
#: a cache entry modified less than this before its hash began is hashed again next time
_RACY_NS = 2_000_000_000
#: an upload to S3 as boto3's `upload_file` sends it: parts of 8 MiB, 10 at a time
PART_SIZE = 8 << 20
CONCURRENCY = 10
#: how long a completion the client timed out on may take to show at the store
COMPLETE_WAIT = 300.0
#: S3 takes at most this many parts: a larger file gets larger parts
_MAX_PARTS = 10_000
#: each part's checksum, checked by the store, as boto3's transfer manager asks for it (an
#: upload begun without one gets a whole-object CRC64 from some stores, moto's in Python)
_CHECKSUM = "CRC32"


@dataclass(frozen=True)
class Blob:
    """One stored object: its content address, size, URI and age (for orphan sweeps)."""

    sha256: str
    bytes: int
    uri: str
    age_seconds: float | None = None


def default_cache_dir() -> Path:
    """Where downloaded blobs are kept: `$MODELREG_CACHE`, else the user's cache folder."""
    env = from_environment("cache")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "modelreg" / "blobs"


def _check_sha(sha256: str) -> str:
    if len(sha256) != 64 or not set(sha256) <= _HEX:
        raise IntegrityError(f"{sha256!r} is not a sha256 hex digest", expected_sha256=sha256)
    return sha256


class ArtifactStore:
    """Blobs under one fsspec URL, plus a local download cache."""

    def __init__(
        self,
        url: str,
        *,
        storage_options: Mapping[str, Any] | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        try:
            import fsspec
        except ImportError as exc:  # pragma: no cover - fsspec ships with the sql extra
            raise MissingDependencyError(
                "artifact stores need fsspec: pip install 'modelreg[sql]'"
            ) from exc
        options = dict(storage_options or {})
        if fsspec.utils.get_protocol(url) in ("file", "local"):
            url = os.path.abspath(url.removeprefix("file://"))
            options.setdefault("auto_mkdir", True)
        with translated("open the artifact store at", url, unknown=True):
            self.fs, root = fsspec.core.url_to_fs(url, **options)
        self.url = url
        self.root = root.rstrip("/")
        self._local = "file" in self.fs.protocol or "local" in self.fs.protocol
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        #: this store's mark on the temporaries it leaves in a cache other stores may share
        self._tag = hashlib.sha256(self.url.encode()).hexdigest()[:8]
        #: cache entries this process hashed, by sha256, with the file's identity then
        self._verified: dict[str, tuple[int, int, int, int]] = {}

    def __repr__(self) -> str:
        return f"ArtifactStore({self.url!r})"

    # --- keys -----------------------------------------------------------------------------

    def key(self, sha256: str) -> str:
        sha = _check_sha(sha256)
        return f"{self.root}/sha256/{sha[:2]}/{sha}"

    def uri(self, sha256: str) -> str:
        """The blob's full URL, as the catalog records it."""
        return self.fs.unstrip_protocol(self.key(sha256))

    def _strip(self, uri: str) -> str:
        return str(self.fs._strip_protocol(uri))

    # --- writing --------------------------------------------------------------------------

    def put(self, path: Path, sha256: str, size: int, *, own: bool = False) -> Blob:
        """Store the file at `path` (whose hash the caller recorded) unless already there.

        The bytes sent are hashed on the way; a file changed since it was hashed raises
        IntegrityError and nothing appears under the key. `own`: `path` is the writer's own
        staged file, which a folder store on its filesystem links instead of copying
        (`artifact_local`); a caller's file is always copied.
        """
        key = self.key(sha256)
        with translated("upload an artifact at", key, unknown=True):
            if self._stored_size(key) == size:
                return Blob(sha256, size, self.uri(sha256))
            digest, sent, linked = self._upload(path, key, own)
            if (digest, sent) != (sha256, size):
                raise IntegrityError(
                    f"{path} changed while it was uploaded (expected sha256 {sha256}, "
                    f"{size} bytes; sent {digest}, {sent} bytes); nothing was stored",
                    path=str(path),
                    expected_sha256=sha256,
                )
            stored = self._stored_size(key)
        if stored != size:
            raise StorageError(
                f"upload of {path} to {key} left {stored} bytes, expected {size}; retry",
                path=key,
            )
        if not linked:
            self._seed_cache(path, sha256)
        return Blob(sha256, size, self.uri(sha256))

    def _seed_cache(self, path: Path, sha256: str) -> None:
        """Keep the bytes just uploaded as the cached copy (a hard link; best effort), so a
        load on the writing machine needs no download. Cache hits are re-hashed anyway.

        Not a caller's own file, staged by a link, nor one a folder store now holds by a link:
        the cache must share neither's inode (a damaged cached copy, then, would be theirs).
        The first load fills it from the store instead."""
        target = self._cache_path(sha256)
        if not path.is_symlink() and not target.exists():
            with contextlib.suppress(OSError):
                _fsutil.make_dirs(target.parent)
                os.link(path, target)

    def _upload(self, path: Path, key: str, own: bool) -> tuple[str, int, bool]:
        """Stream `path` to `key`, committing only if every byte was sent and hashed; the
        sha256 and size sent, and whether a folder store linked `path` instead."""
        if self._local:
            return write_blob(path, Path(key), _fsutil.owned_name(_UPLOADING), own=own)
        marker = self._mark_upload(key)
        try:
            return (*self._send(path, key), False)
        finally:
            if marker is not None:
                with contextlib.suppress(OSError):
                    marker.unlink()

    def _mark_upload(self, key: str) -> Path | None:
        """Note in the cache that this process is uploading `key` (best effort): if it dies,
        the note says which unfinished upload is its."""
        marker = self.cache_dir / _MARKERS / self._owned("up")
        try:
            _fsutil.make_dirs(marker.parent)
            marker.write_text(key)
        except OSError:
            return None
        return marker

    def _send(self, path: Path, key: str) -> tuple[str, int]:
        if getattr(self.fs, "_call_s3", None) is not None:  # S3: parts sent side by side
            from fsspec.asyn import sync

            result: tuple[str, int] = sync(self.fs.loop, self._send_parts, path, key)
            return result
        digest = _fsutil.Digest()
        sink = self.fs.open(key, "wb", autocommit=False)
        try:
            with open(path, "rb") as source:
                while chunk := source.read(_fsutil.CHUNK):
                    digest.update(chunk)
                    sink.write(chunk)
            sink.close()
        except BaseException:
            with contextlib.suppress(Exception):
                sink.discard()
            raise
        if digest.hexdigest() != key.rsplit("/", 1)[-1]:
            with contextlib.suppress(Exception):
                sink.discard()
            with contextlib.suppress(Exception):  # filesystems that ignore autocommit=False
                self.fs.rm_file(key)
        else:
            sink.commit()
        return digest.hexdigest(), digest.bytes

    async def _send_parts(self, path: Path, key: str) -> tuple[str, int]:
        """Upload to S3 as boto3's `upload_file` does (parts of PART_SIZE, CONCURRENCY at a
        time), hashing the parts in order as they are read; completed only if the hash is the
        key's, else aborted. A small file is one request, sent only if its hash is the key's."""
        bucket, name, _ = self.fs.split_path(key)
        expected = key.rsplit("/", 1)[-1]
        digest = _fsutil.Digest()
        size = os.path.getsize(path)
        part_size = max(PART_SIZE, -(-size // _MAX_PARTS))
        loop = asyncio.get_running_loop()
        with open(path, "rb", buffering=0) as source:
            if size <= part_size:  # one byte more: a file that grew meanwhile is no match
                body = await loop.run_in_executor(None, _read_hashed, source, part_size + 1, digest)
                if digest.hexdigest() == expected:
                    await self.fs._call_s3("put_object", Bucket=bucket, Key=name, Body=body)
                return digest.hexdigest(), digest.bytes
            started = await self.fs._call_s3(
                "create_multipart_upload", Bucket=bucket, Key=name, ChecksumAlgorithm=_CHECKSUM
            )
            upload = _Multipart(self.fs, bucket, name, started["UploadId"])
            try:
                parts = await upload.send(source, part_size, digest)
                if digest.hexdigest() == expected:
                    await upload.complete(parts, digest.bytes)
            finally:
                await upload.abort_unless_completed()
        return digest.hexdigest(), digest.bytes

    def _stored_size(self, key: str) -> int | None:
        self.fs.invalidate_cache(key)
        try:
            return int(self.fs.info(key)["size"])
        except FileNotFoundError:
            return None

    def exists(self, uri: str) -> bool:
        with translated("look up an artifact at", uri, unknown=True):
            return self._stored_size(self._strip(uri)) is not None

    def delete(self, uri: str) -> None:
        """Remove one blob; one already gone is fine."""
        key = self._strip(uri)
        with (
            translated("delete an artifact at", key, unknown=True),
            contextlib.suppress(FileNotFoundError),
        ):
            self.fs.rm_file(key)

    def blobs(self) -> list[Blob]:
        """Every blob under this store's root, with its age when the filesystem knows it."""
        base = f"{self.root}/sha256"
        with translated("list artifacts at", base, unknown=True):
            self.fs.invalidate_cache(base)
            try:
                found = self.fs.find(base, detail=True)
            except FileNotFoundError:
                return []
        blobs = []
        for key, info in found.items():
            sha = key.rsplit("/", 1)[-1]
            if len(sha) == 64 and set(sha) <= _HEX:
                blobs.append(
                    Blob(sha, int(info.get("size") or 0), self.fs.unstrip_protocol(key), _age(info))
                )
        return blobs

    # --- leftovers of killed writers ------------------------------------------------------

    def scratch_path(self) -> Path:
        """A fresh name for a scratch folder in the cache, marked with this store and process."""
        return self.cache_dir / self._owned(_SCRATCH)

    def _owned(self, prefix: str) -> str:
        return _fsutil.owned_name(f"{prefix}.{self._tag}")

    def leftovers(self) -> list[Debris]:
        """What killed writers left: scratch and download files in the cache, temporaries in a
        folder store, and uploads to an object store they began and never finished. Only this
        store's: a cache may be shared by every registry of the machine."""
        found = [
            Debris("staging", str(p), "a scratch folder of an interrupted write")
            for p in _children(self.cache_dir, f"{_SCRATCH}.{self._tag}.")
            if _fsutil.abandoned(p)
        ]
        for folder in [self.cache_dir, *_children(self.cache_dir, "")]:
            found += [
                Debris("temp-file", str(p), "an interrupted download")
                for p in _children(folder, f"{_DOWNLOADING}.{self._tag}.")
                if _fsutil.abandoned(p)
            ]
        if self._local:
            base = Path(self.root) / "sha256"
            for folder in _children(base, ""):
                found += [
                    Debris("temp-file", str(p), "an interrupted upload")
                    for p in _children(folder, f"{_UPLOADING}.")
                    if _fsutil.abandoned(p)
                ]
        markers = _children(self.cache_dir / _MARKERS, f"up.{self._tag}.")
        found += [
            Debris("unfinished-upload", str(p), f"an upload of {_read_text(p)} that never finished")
            for p in markers
            if _fsutil.abandoned(p)
        ]
        return found + self._stale_multipart(noted={_read_text(p) for p in markers})

    def _stale_multipart(self, noted: set[str]) -> list[Debris]:
        """Multipart uploads under this store's root begun more than a day ago, by writers on
        other machines (this machine's own are `noted` in the cache, and judged by them)."""
        uploads = self._multipart(self.root + "/")
        return [
            Debris("unfinished-upload", f"{key}#{upload_id}", "an upload begun a day ago or more")
            for key, upload_id, age in uploads
            if key not in noted and age is not None and age > _fsutil.STALE_AFTER
        ]

    def _multipart(self, prefix: str) -> list[tuple[str, str, float | None]]:
        """(key, upload id, age) of the unfinished multipart uploads under `prefix` (S3 only)."""
        call = getattr(self.fs, "call_s3", None)
        if call is None:
            return []
        bucket, _, rest = prefix.partition("/")
        with translated("list unfinished uploads at", prefix, unknown=True):
            answer = call("list_multipart_uploads", Bucket=bucket, Prefix=rest)
        return [
            (f"{bucket}/{u['Key']}", u["UploadId"], _age({"created": u.get("Initiated")}))
            for u in answer.get("Uploads") or []
        ]

    def remove_leftover(self, item: Debris) -> None:
        """Remove one of `leftovers()`; an unfinished upload is aborted at the store."""
        with translated("remove leftover at", item.path, unknown=True):
            if item.kind != "unfinished-upload":
                _fsutil.remove_tree(Path(item.path))
                return
            key, sep, upload_id = item.path.partition("#")
            if sep:
                self._abort(key, upload_id)
                return
            marker = Path(item.path)
            uploading = _read_text(marker)
            for stale_key, stale_id, _ in self._multipart(uploading):
                if stale_key == uploading:
                    self._abort(stale_key, stale_id)
            marker.unlink()

    def _abort(self, key: str, upload_id: str) -> None:
        bucket, _, rest = key.partition("/")
        with contextlib.suppress(FileNotFoundError):  # aborted or finished meanwhile
            self.fs.call_s3("abort_multipart_upload", Bucket=bucket, Key=rest, UploadId=upload_id)

    # --- reading --------------------------------------------------------------------------

    def open(self, uri: str) -> IO[bytes]:
        """Stream a blob's bytes."""
        key = self._strip(uri)
        with translated("open an artifact at", key, unknown=True):
            try:
                return self.fs.open(key, "rb")
            except FileNotFoundError as exc:
                raise IntegrityError(
                    f"artifact {key} is missing from the store; restore it or delete the version",
                    path=key,
                ) from exc

    def _cache_path(self, sha256: str) -> Path:
        return self.cache_dir / sha256[:2] / _check_sha(sha256)

    def check(self, uri: str, sha256: str, size: int) -> None:
        """Stream the stored blob, no further than `size`; IntegrityError unless it matches."""
        with self.open(uri) as source, translated("read an artifact at", uri, unknown=True):
            digest, got = hash_limited(source, size)
        _check_digest(uri, sha256, size, digest, got)

    def cached(self, uri: str, sha256: str, size: int) -> Path:
        """A local copy of the blob, downloaded once and checked against `sha256`.

        An entry is hashed when this process first uses it; later uses trust it while its
        identity (device, inode, size, mtime) is the one it had when hashed. As git does for
        its index, only an entry last modified well before the hash began is remembered: any
        later write then stamps a newer mtime, even on a clock with coarse ticks.
        """
        found = self.cached_copy(sha256, size)
        if found is not None:
            return found
        target = self._cache_path(sha256)
        with translated("create the artifact cache at", str(self.cache_dir), unknown=True):
            _fsutil.make_dirs(target.parent)
        tmp = target.parent / self._owned(_DOWNLOADING)
        try:
            with self.open(uri) as source, translated("download an artifact at", uri, unknown=True):
                digest, got = _fsutil.copy_file_hashed(source, tmp)
            _check_digest(uri, sha256, size, digest, got)
            with translated("fill the artifact cache at", str(target), unknown=True):
                _fsutil.publish_file(tmp, target, replace=True)
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
        return target

    def cached_copy(self, sha256: str, size: int) -> Path | None:
        """The cache's copy of the blob if it matches (hashed on first use), else None."""
        target = self._cache_path(sha256)
        known = self._verified.get(sha256)
        if known is not None and known == _identity(target, size):
            return target
        started = time.time_ns()
        if target.is_file() and _fsutil.hash_file(target) == (sha256, size):
            self._remember(sha256, target, size, started)
            return target
        return None

    def _remember(self, sha256: str, target: Path, size: int, started: int) -> None:
        identity = _identity(target, size)
        if identity is not None and identity[3] < started - _RACY_NS:
            self._verified[sha256] = identity


def _read_hashed(source: IO[bytes], size: int, digest: _fsutil.Digest) -> bytes:
    """Up to `size` bytes of `source` (fewer only at its end), added to `digest` in order."""
    pieces = []
    left = size
    while left:
        piece = source.read(left)
        if not piece:
            break
        pieces.append(piece)
        left -= len(piece)
    body = pieces[0] if len(pieces) == 1 else b"".join(pieces)
    digest.update(body)
    return body


class _Multipart:
    """One S3 multipart upload: parts sent CONCURRENCY at a time, completed or aborted."""

    def __init__(self, fs: Any, bucket: str, key: str, upload_id: str) -> None:
        self.fs = fs
        self.where = {"Bucket": bucket, "Key": key, "UploadId": upload_id}
        self.completed = False

    async def send(
        self, source: IO[bytes], part_size: int, digest: _fsutil.Digest
    ) -> list[dict[str, Any]]:
        """Every part of `source`, read (and hashed) in order in a worker thread, while up to
        CONCURRENCY earlier parts are on their way: memory stays within that many parts."""
        loop = asyncio.get_running_loop()
        window = asyncio.Semaphore(CONCURRENCY)
        sending: list[asyncio.Future[dict[str, Any]]] = []

        async def one(number: int, body: bytes) -> dict[str, Any]:
            try:
                answer = await self.fs._call_s3(
                    "upload_part",
                    PartNumber=number,
                    Body=body,
                    ChecksumAlgorithm=_CHECKSUM,
                    **self.where,
                )
                part = {"PartNumber": number, "ETag": answer["ETag"]}
                checksum = answer.get(f"Checksum{_CHECKSUM}")
                return part if checksum is None else {**part, f"Checksum{_CHECKSUM}": checksum}
            finally:
                window.release()

        try:
            while not any(t.done() and t.exception() is not None for t in sending):
                await window.acquire()
                body = await loop.run_in_executor(None, _read_hashed, source, part_size, digest)
                if not body:
                    window.release()
                    break
                sending.append(asyncio.ensure_future(one(len(sending) + 1, body)))
            return list(await asyncio.gather(*sending))
        except BaseException:
            for task in sending:
                task.cancel()
            await asyncio.gather(*sending, return_exceptions=True)
            raise

    async def complete(self, parts: list[dict[str, Any]], size: int) -> None:
        try:
            await self.fs._call_s3(
                "complete_multipart_upload", MultipartUpload={"Parts": parts}, **self.where
            )
        except Exception:
            if not await self._appeared(size):
                raise
        self.completed = True

    async def _appeared(self, size: int) -> bool:
        """Whether a completion the client gave up on finished at the store after all.

        S3 may take minutes to complete a large upload, longer than s3fs's read timeout; the
        client's retries then fail as the upload is no longer pending. The object is ours
        when it appears under its key (the hash of what was sent) with the size sent."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + COMPLETE_WAIT
        where = {"Bucket": self.where["Bucket"], "Key": self.where["Key"]}
        while loop.time() < deadline:
            with contextlib.suppress(Exception):
                head = await self.fs._call_s3("head_object", **where)
                if int(head.get("ContentLength", -1)) == size:
                    return True
            await asyncio.sleep(1.0)
        return False

    async def abort_unless_completed(self) -> None:
        if not self.completed:
            with contextlib.suppress(Exception):  # the leftover is found by `leftovers()`
                await self.fs._call_s3("abort_multipart_upload", **self.where)


def _identity(path: Path, size: int) -> tuple[int, int, int, int] | None:
    """What changes when a file is rewritten or replaced; None when missing or not `size`."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if st.st_size != size:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _check_digest(uri: str, sha256: str, size: int, digest: str, got: int) -> None:
    if (digest, got) != (sha256, size):
        raise IntegrityError(
            f"artifact {uri} does not match its registered sha256 {sha256} ({size} bytes): "
            f"found {digest} ({got} bytes); restore it or delete the version",
            path=uri,
            expected_sha256=sha256,
            actual_sha256=digest,
        )


def link_or_copy(source: Path, dest: Path) -> None:
    """Place a cached blob into a version folder: a hard link when possible, else a copy."""
    _fsutil.make_dirs(dest.parent)
    try:
        os.link(source, dest)
    except OSError:
        with open(source, "rb") as handle:
            _fsutil.copy_file_hashed(handle, dest)


def _children(folder: Path, prefix: str) -> list[Path]:
    """Entries of `folder` whose names start with `prefix` (none when it does not exist)."""
    try:
        return [Path(e.path) for e in os.scandir(folder) if e.name.startswith(prefix)]
    except (FileNotFoundError, NotADirectoryError):
        return []


def _read_text(path: Path) -> str:
    try:
        return path.read_text()[:1000]
    except (OSError, UnicodeDecodeError):
        return ""


def _age(info: Mapping[str, Any]) -> float | None:
    for key in ("mtime", "LastModified", "last_modified", "created"):
        value = info.get(key)
        if value is None:
            continue
        stamp = value.timestamp() if hasattr(value, "timestamp") else float(value)
        return max(0.0, time.time() - stamp)
    return None
