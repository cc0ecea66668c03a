"""The content-addressed store under the SQL catalog: checked uploads, a self-mending cache."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import sqlalchemy as sa

from conftest import make_result
from modelreg import IntegrityError, ModelRegistry, _fsutil
from modelreg.backends.artifact_store import ArtifactStore
from modelreg.errors import StorageError


def _registry(tmp_path: Path, cache: str = "cache", **options: str) -> ModelRegistry:
    return ModelRegistry(
        f"sqlite:///{tmp_path / 'registry.db'}",
        cache_dir=tmp_path / cache,
        trust_pickle=True,
        **options,
    )


def _elsewhere(tmp_path: Path) -> dict[str, str]:
    """A store the writer copies to (an object store), so the register seeds its cache; a
    folder store on its disk holds the staged files themselves instead (`test_blob_link`)."""
    return {"artifacts": f"memory://{tmp_path.name}"}


def test_a_file_changed_after_hashing_is_not_stored(tmp_path: Path) -> None:
    store = ArtifactStore(str(tmp_path / "blobs"), cache_dir=tmp_path / "cache")
    source = tmp_path / "model.bin"
    source.write_bytes(b"what was hashed")
    digest = hashlib.sha256(b"what was hashed").hexdigest()
    source.write_bytes(b"what is uploaded")
    with pytest.raises(IntegrityError, match="changed while it was uploaded"):
        store.put(source, digest, len(b"what was hashed"))
    assert store.blobs() == []


def test_upload_once_then_reuse(tmp_path: Path) -> None:
    store = ArtifactStore(f"memory://{tmp_path.name}", cache_dir=tmp_path / "cache")
    source = tmp_path / "model.bin"
    source.write_bytes(b"x" * 10_000)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    first = store.put(source, digest, 10_000)
    assert first.uri.endswith(f"sha256/{digest[:2]}/{digest}")
    assert store.put(source, digest, 10_000) == first
    assert [b.sha256 for b in store.blobs()] == [digest]
    assert store.cached(first.uri, digest, 10_000).read_bytes() == source.read_bytes()


def test_the_sha256_must_be_a_digest(tmp_path: Path) -> None:
    store = ArtifactStore(str(tmp_path / "blobs"), cache_dir=tmp_path / "cache")
    with pytest.raises(IntegrityError):
        store.key("../../etc/passwd")


def test_the_writer_keeps_what_it_uploaded_as_its_cached_copy(tmp_path: Path) -> None:
    registry = _registry(tmp_path, **_elsewhere(tmp_path))
    name = registry.register(make_result(3))
    info = registry.get_version_info(name)
    assert info is not None
    for record in info["files"].values():
        cached = tmp_path / "cache" / record["sha256"][:2] / record["sha256"]
        assert hashlib.sha256(cached.read_bytes()).hexdigest() == record["sha256"]
    assert registry.load_version(name) is not None


def test_a_damaged_cache_copy_is_downloaded_again(tmp_path: Path) -> None:
    registry = _registry(tmp_path)
    name = registry.register(make_result(3))
    assert registry.load_version(name) is not None
    cached = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert cached
    for path in cached:
        path.write_bytes(b"bit rot")
    assert registry.load_version(name) is not None


def test_a_missing_blob_is_an_integrity_error_not_not_found(tmp_path: Path) -> None:
    name = _registry(tmp_path).register(make_result(3))
    registry = _registry(tmp_path, cache="another-machine")
    for blob in (tmp_path / "registry-artifacts").rglob("*"):
        if blob.is_file():
            blob.unlink()
    with pytest.raises(IntegrityError, match="missing"):
        registry.load_version(name)
    assert [p["kind"] for p in registry.verify().problems] == ["integrity"]


def test_deleting_the_last_version_using_a_blob_removes_it(tmp_path: Path) -> None:
    registry = _registry(tmp_path)
    name = registry.register(make_result(3))
    store = registry.backend.artifact_store  # type: ignore[attr-defined]
    assert len(store.blobs()) == 1
    assert registry.delete_version(name) is True
    assert store.blobs() == []


def test_an_unreachable_database_is_a_storage_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match=r"127\.0\.0\.1"):
        ModelRegistry("postgresql://nobody@127.0.0.1:1/none", artifacts=str(tmp_path / "a"))


def test_a_failed_blob_cleanup_does_not_undo_the_delete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    registry = _registry(tmp_path)
    name = registry.register(make_result(3))
    store = registry.backend.artifact_store  # type: ignore[attr-defined]

    def unavailable(uri: str) -> None:
        raise StorageError(f"could not delete an artifact at {uri}: the store is down")

    monkeypatch.setattr(store, "delete", unavailable)
    assert registry.delete_version(name) is True
    assert "verify --repair" in caplog.text
    assert registry.list_versions() == []
    monkeypatch.undo()
    assert [p["kind"] for p in registry.verify(repair=True).repaired] == ["orphan-blob"]
    assert store.blobs() == []


@pytest.mark.parametrize("cache", ["cache", "cold"], ids=["cache-hit", "download"])
def test_a_load_hashes_each_artifact_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache: str
) -> None:
    """The cache is checked as it is hit or filled; the load trusts that and hashes no more."""
    name = _registry(tmp_path).register(make_result())
    registry = _registry(tmp_path, cache)  # "cache" was seeded by the upload, "cold" is empty
    meta = registry.stored_metadata(name)
    assert meta is not None
    stored = sum(int(record["bytes"]) for record in meta["files"].values())
    hashed: list[int] = []
    update = _fsutil.Digest.update

    def counting(self: _fsutil.Digest, chunk: bytes | memoryview) -> None:
        hashed.append(len(chunk))
        update(self, chunk)

    monkeypatch.setattr(_fsutil.Digest, "update", counting)
    assert registry.load_version(name) is not None
    assert stored > 0 and sum(hashed) == stored


def test_a_catalog_row_that_differs_from_the_metadata_is_refused(tmp_path: Path) -> None:
    """A load that downloads trusts the rows it downloads by only when they say what the
    metadata says. One served from the cache alone (`local_folder_of`) reads no row: the
    cached bytes are checked against the metadata's own sha256 and size."""
    registry = _registry(tmp_path)
    name = registry.register(make_result())
    assert registry.load_version(name) is not None  # fills the cache
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'registry.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE modelreg_artifacts SET bytes = bytes + 1"))
    engine.dispose()
    assert registry.load_version(name) is not None  # served from the cache alone
    cold = _registry(tmp_path, cache="cold")
    with pytest.raises(IntegrityError, match="differ from what its metadata records"):
        cold.load_version(name)


def test_a_cached_blob_that_differs_from_the_metadata_is_refused(tmp_path: Path) -> None:
    """The cache serves a load only with bytes that hash to what the metadata records: a
    cached copy changed since is downloaded again, and the load gets the registered bytes."""
    registry = _registry(tmp_path, **_elsewhere(tmp_path))
    name = registry.register(make_result(3))
    expected = registry.get_version_info(name)
    cached = [e for e in (tmp_path / "cache").rglob("*") if e.is_file() and len(e.name) == 64]
    assert cached, "the register seeds the cache"
    for entry in cached:
        entry.write_bytes(b"not the model")
    fresh = _registry(tmp_path, **_elsewhere(tmp_path))  # hashes each entry on its first use
    loaded = fresh.load_version(name)
    assert loaded is not None and expected is not None
    assert loaded.metrics == expected["metrics"]


def test_a_cache_entry_is_hashed_once_until_it_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loads served from the verified cache: hashed again only once its file was rewritten."""
    import os

    store = ArtifactStore(str(tmp_path / "blobs"), cache_dir=tmp_path / "cache")
    source = tmp_path / "model.bin"
    source.write_bytes(b"w" * 5000)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    uri = store.put(source, digest, 5000).uri
    entry = store.cached(uri, digest, 5000)
    past = entry.stat().st_mtime_ns - 60 * 10**9
    os.utime(entry, ns=(past, past))  # filled long ago: nothing racy about it
    hashed: list[Path] = []
    real = _fsutil.hash_file
    monkeypatch.setattr(_fsutil, "hash_file", lambda p, *a: hashed.append(p) or real(p, *a))
    for _ in range(3):
        assert store.cached(uri, digest, 5000) == entry
    assert hashed == [entry]  # the first use in this process hashed it; the others trusted it
    entry.write_bytes(b"x" * 5000)  # same size, same inode, a newer mtime
    assert store.cached(uri, digest, 5000).read_bytes() == b"w" * 5000  # caught and refilled
    assert hashed == [entry, entry]
