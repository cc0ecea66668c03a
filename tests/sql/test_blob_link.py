"""A folder store takes the writer's own staged file by a hard link, bytes written once; a
caller's file is copied and never touched; across filesystems it copies; a writer killed
mid-put leaves a temporary `verify --repair` removes, never a half blob under its hash."""

from __future__ import annotations

import errno
import hashlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from modelreg import IntegrityError, ModelRegistry, _fsutil
from modelreg.backends.artifact_store import ArtifactStore
from modelreg.testing import make_result

_DATA = b"weights " * 4096
_SHA = hashlib.sha256(_DATA).hexdigest()


def _store(tmp_path: Path) -> ArtifactStore:
    return ArtifactStore(str(tmp_path / "blobs"), cache_dir=tmp_path / "cache")


def _staged(tmp_path: Path, data: bytes = _DATA) -> Path:
    path = tmp_path / "cache" / ".scratch" / "model.bin"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _blob(tmp_path: Path, sha: str = _SHA) -> Path:
    return tmp_path / "blobs" / "sha256" / sha[:2] / sha


def test_the_writers_own_file_is_linked_not_copied(tmp_path: Path) -> None:
    staged = _staged(tmp_path)
    _store(tmp_path).put(staged, _SHA, len(_DATA), own=True)
    blob = _blob(tmp_path)
    assert os.path.samefile(staged, blob) and blob.read_bytes() == _DATA
    assert staged.stat().st_nlink == 2  # the store's name and the staged one: nothing else
    assert not (tmp_path / "cache" / _SHA[:2] / _SHA).exists()  # the cache shares no inode
    assert not [p for p in blob.parent.iterdir() if p != blob]  # no temporary left


@pytest.mark.parametrize("how", ["not own", "symlink", "hard link"])
def test_a_callers_file_is_copied_and_left_as_it_was(tmp_path: Path, how: str) -> None:
    source = tmp_path / "mine.bin"
    source.write_bytes(_DATA)
    before = source.stat()
    path = source
    if how != "not own":  # staged as a link to the caller's file: never shared with the store
        path = tmp_path / "cache" / ".scratch" / "model.bin"
        path.parent.mkdir(parents=True)
        (path.symlink_to if how == "symlink" else path.hardlink_to)(source)
    _store(tmp_path).put(path, _SHA, len(_DATA), own=how != "not own")
    assert not os.path.samefile(source, _blob(tmp_path))
    assert _blob(tmp_path).read_bytes() == _DATA == source.read_bytes()
    after = source.stat()
    assert (after.st_ino, after.st_mtime_ns, after.st_mode) == (
        before.st_ino,
        before.st_mtime_ns,
        before.st_mode,
    )


def test_across_filesystems_the_bytes_are_copied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def other_filesystem(*_: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(_fsutil.os, "link", other_filesystem)
    staged = _staged(tmp_path)
    _store(tmp_path).put(staged, _SHA, len(_DATA), own=True)
    assert _blob(tmp_path).read_bytes() == _DATA
    assert not os.path.samefile(staged, _blob(tmp_path))


def test_an_own_file_that_differs_from_its_hash_is_not_stored(tmp_path: Path) -> None:
    staged = _staged(tmp_path, b"changed since it was hashed")
    store = _store(tmp_path)
    with pytest.raises(IntegrityError, match="changed while it was uploaded"):
        store.put(staged, _SHA, len(_DATA), own=True)
    assert store.blobs() == [] and staged.stat().st_nlink == 1
    assert not [p for p in _blob(tmp_path).parent.iterdir()]


_KILLED_PUT = """
    import os, signal, sys
    from pathlib import Path
    from modelreg import _fsutil
    from modelreg.backends.artifact_store import ArtifactStore

    def die(*_, **__):
        os.kill(os.getpid(), signal.SIGKILL)

    _fsutil.publish_file = die  # killed after the link and the hash, before the rename
    tmp = Path(sys.argv[1])
    store = ArtifactStore(str(tmp / "blobs"), cache_dir=tmp / "cache")
    store.put(tmp / "cache" / ".scratch" / "model.bin", sys.argv[2], int(sys.argv[3]), own=True)
"""


def test_a_writer_killed_mid_put_leaves_no_blob_under_its_hash(tmp_path: Path) -> None:
    staged = _staged(tmp_path)
    script = textwrap.dedent(_KILLED_PUT)
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path), _SHA, str(len(_DATA))], check=False
    )
    assert done.returncode == -9
    store = _store(tmp_path)
    assert store.blobs() == [] and not _blob(tmp_path).exists()
    leftovers = [item for item in store.leftovers() if item.kind == "temp-file"]
    assert len(leftovers) == 1, store.leftovers()
    store.remove_leftover(leftovers[0])
    assert staged.read_bytes() == _DATA and staged.stat().st_nlink == 1
    store.put(staged, _SHA, len(_DATA), own=True)
    assert _blob(tmp_path).read_bytes() == _DATA


def test_a_registration_writes_its_bytes_once_and_loads(tmp_path: Path) -> None:
    """A SQLite catalog with its folder store beside it: the staged model is the blob."""
    registry = ModelRegistry(
        f"sqlite:///{tmp_path / 'registry.db'}", cache_dir=tmp_path / "cache", trust_pickle=True
    )
    name = registry.register(make_result(3))
    info = registry.get_version_info(name) or {}
    for record in info["files"].values():
        blob = tmp_path / "registry-artifacts" / "sha256" / record["sha256"][:2] / record["sha256"]
        assert blob.stat().st_nlink == 1  # the staged name is gone; the cache has its own
    assert registry.load_version(name) is not None
    assert registry.verify().problems == []
