"""Issue 18, finding 4: files go to S3 from where they are, in parts sent side by side.

A file on disk is hashed in place and uploaded from there (no staging copy), in parts of
boto3's size several at a time; the parts are hashed again as they are read, and the upload
is completed only when that hash is the blob's key, else aborted, leaving nothing behind.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path
from typing import Any

import pytest

from contract.conftest import S3_BUCKET
from modelreg import IntegrityError, ModelRegistry
from modelreg.backends.artifact_store import PART_SIZE, ArtifactStore
from modelreg.errors import StorageError

MB = 1 << 20


def _options(endpoint: str) -> dict[str, Any]:
    return {"client_kwargs": {"endpoint_url": endpoint}}


def _store(tmp_path: Path, endpoint: str) -> ArtifactStore:
    url = f"s3://{S3_BUCKET}/{tmp_path.name}-{secrets.token_hex(4)}"
    return ArtifactStore(url, storage_options=_options(endpoint), cache_dir=tmp_path / "cache")


def _unfinished(store: ArtifactStore) -> list[Any]:
    return store._multipart(store.root + "/")


def test_a_large_file_goes_up_in_parts(tmp_path: Path, s3_endpoint: str) -> None:
    store = _store(tmp_path, s3_endpoint)
    source = tmp_path / "model.bin"
    source.write_bytes(os.urandom(2 * PART_SIZE + 5))
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    blob = store.put(source, digest, 2 * PART_SIZE + 5)
    assert blob.bytes == 2 * PART_SIZE + 5
    bucket, key, _ = store.fs.split_path(store.key(digest))
    head = store.fs.call_s3("head_object", Bucket=bucket, Key=key)
    assert head["ETag"].strip('"').endswith("-3")  # three parts: 8 MiB, 8 MiB, 5 bytes
    store.check(blob.uri, digest, blob.bytes)
    assert _unfinished(store) == []


@pytest.mark.parametrize("size", [100, 2 * PART_SIZE + 5], ids=["one-request", "parts"])
def test_a_file_changed_after_hashing_leaves_nothing_in_s3(
    tmp_path: Path, s3_endpoint: str, size: int
) -> None:
    store = _store(tmp_path, s3_endpoint)
    source = tmp_path / "model.bin"
    source.write_bytes(b"\1" * size)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    source.write_bytes(b"\2" * size)
    with pytest.raises(IntegrityError, match="changed while it was uploaded"):
        store.put(source, digest, size)
    assert store.blobs() == []
    assert _unfinished(store) == []


def test_a_failing_part_aborts_the_upload(
    tmp_path: Path, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _store(tmp_path, s3_endpoint)
    source = tmp_path / "model.bin"
    source.write_bytes(os.urandom(3 * PART_SIZE))
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    calls = {"parts": 0}
    original = store.fs._call_s3

    async def flaky(method: str, *args: Any, **kwargs: Any) -> Any:
        if method == "upload_part":
            calls["parts"] += 1
            if kwargs["PartNumber"] == 2:
                raise OSError("the network went away")
        return await original(method, *args, **kwargs)

    monkeypatch.setattr(store.fs, "_call_s3", flaky)
    with pytest.raises(StorageError, match="went away"):
        store.put(source, digest, 3 * PART_SIZE)
    monkeypatch.undo()
    assert store.blobs() == []
    assert _unfinished(store) == []


def test_register_files_uploads_from_the_callers_file(
    tmp_path: Path, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_copy(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the file was copied locally before the upload")

    monkeypatch.setattr("modelreg._fsutil.copy_file_hashed", no_copy)
    source = tmp_path / "source"
    source.mkdir()
    (source / "weights.bin").write_bytes(os.urandom(PART_SIZE + 3))
    (source / "notes.txt").write_bytes(b"small")
    registry = ModelRegistry(
        f"sqlite:///{tmp_path / 'registry.db'}",
        artifacts=f"s3://{S3_BUCKET}/{tmp_path.name}-{secrets.token_hex(4)}",
        storage_options=_options(s3_endpoint),
        cache_dir=tmp_path / "cache",
    )
    name = registry.register_files(source, metrics={"rmse": 0.1})
    # the caller's file is not hard-linked into the cache, and no scratch folder is left
    assert (source / "weights.bin").stat().st_nlink == 1
    assert not [p for p in (tmp_path / "cache").iterdir() if p.name.startswith(".scratch")]
    info = registry.get_version_info(name)
    assert info is not None
    expected = hashlib.sha256((source / "weights.bin").read_bytes()).hexdigest()
    assert info["files"]["weights.bin"] == {"sha256": expected, "bytes": PART_SIZE + 3}
    monkeypatch.undo()
    assert registry.verify().ok
    assert registry.debris() == []


@pytest.mark.parametrize("finished", [True, False], ids=["finished-anyway", "never-finished"])
def test_a_completion_the_client_gave_up_on(
    tmp_path: Path, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch, finished: bool
) -> None:
    """S3 may finish a large upload after the client's read timeout: the blob then counts
    when it shows under its key with the size sent; otherwise the error stands."""
    store = _store(tmp_path, s3_endpoint)
    source = tmp_path / "model.bin"
    source.write_bytes(os.urandom(2 * PART_SIZE))
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    original = store.fs._call_s3

    async def slow_store(method: str, *args: Any, **kwargs: Any) -> Any:
        if method == "complete_multipart_upload":
            if finished:
                await original(method, *args, **kwargs)
            raise OSError("Read timeout on endpoint URL")
        return await original(method, *args, **kwargs)

    monkeypatch.setattr(store.fs, "_call_s3", slow_store)
    monkeypatch.setattr("modelreg.backends.artifact_store.COMPLETE_WAIT", 2.0)
    if finished:
        assert store.put(source, digest, 2 * PART_SIZE).bytes == 2 * PART_SIZE
    else:
        with pytest.raises(StorageError, match="Read timeout"):
            store.put(source, digest, 2 * PART_SIZE)
    monkeypatch.undo()
    assert [b.sha256 for b in store.blobs()] == ([digest] if finished else [])
    assert _unfinished(store) == []
