"""verify reads each file of a version once, whole, with no file object and no read to find the
end; a read that answers short, a file that grew or shrank and a version deleted meanwhile
still come out as before. And the number of walk threads follows the cores."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest

from modelreg import ModelRegistry, TrainingResult, _fsutil
from modelreg.backends import base as backend_base
from modelreg.backends.local import LocalBackend
from modelreg.errors import VersionNotFoundError


def _registry(tmp_path: Path, count: int) -> tuple[ModelRegistry, list[str]]:
    registry = ModelRegistry(tmp_path / "models")
    names = [
        registry.register(TrainingResult(model={"s": s}, metrics={"auc": 0.5}, features=["a"]))
        for s in range(count)
    ]
    return registry, names


def test_each_file_is_read_in_one_call(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """metadata.json and the artifact: one read each, none to learn that the end is there."""
    registry, names = _registry(tmp_path, 6)
    monkeypatch.setattr(LocalBackend, "verify_threads", 1)
    reads: list[int] = []
    walking = threading.local()
    for name in ("read", "readv"):
        real = getattr(os, name)

        def counted(*args: Any, real: Any = real) -> Any:
            if getattr(walking, "on", False):
                reads.append(1)
            return real(*args)

        monkeypatch.setattr(os, name, counted)
    from modelreg.operations import verify as verify_module

    walked = verify_module._walked

    def marking(backend: LocalBackend, name: str) -> Any:
        walking.on = True
        try:
            return walked(backend, name)
        finally:
            walking.on = False

    monkeypatch.setattr(verify_module, "_walked", marking)
    report = registry.verify()
    assert report.problems == [] and report.checked == len(names)
    assert len(reads) == 2 * len(names)


def test_a_short_read_is_read_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"0123456789" * 100)
    real = os.read
    monkeypatch.setattr(os, "read", lambda fd, n: real(fd, min(n, 7)))
    assert _fsutil.read_whole(str(path)) == b"0123456789" * 100
    path.write_bytes(b"")
    assert _fsutil.read_whole(str(path)) == b""


def test_a_file_longer_than_fstat_saw_is_read_to_its_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"a" * 10)
    real = os.fstat

    def grown_after(fd: int) -> Any:
        seen = real(fd)
        with open(path, "ab") as handle:  # appended between the fstat and the read
            handle.write(b"b" * 5)
        return seen

    monkeypatch.setattr(os, "fstat", grown_after)
    assert _fsutil.read_whole(str(path)) == b"a" * 10 + b"b" * 5


@pytest.mark.parametrize("change", [b"x", b""])
def test_a_resized_artifact_is_reported_as_before(tmp_path: Path, change: bytes) -> None:
    registry, (name,) = _registry(tmp_path, 1)
    pkl = Path(registry.path) / name / "model.pkl"
    data = pkl.read_bytes()
    pkl.write_bytes(data + change if change else data[:-3])
    (problem,) = registry.verify().problems
    assert problem["kind"] == "integrity" and problem["where"] == name
    expected = f"more than {len(data)}" if change else str(len(data) - 3)
    assert f"has {expected} bytes, {len(data)} were registered" in problem["detail"]


def test_a_metadata_file_that_is_a_folder_is_reported_with_its_path(tmp_path: Path) -> None:
    registry, (name,) = _registry(tmp_path, 1)
    path = Path(registry.path) / name / "metadata.json"
    path.unlink()
    path.mkdir()
    (problem,) = registry.verify().problems
    assert problem["kind"] == "corrupt" and problem["where"] == name
    assert problem["detail"].endswith(f"Is a directory: '{path}'")


def test_a_version_deleted_before_its_files_are_checked_is_not_found(tmp_path: Path) -> None:
    registry, (name,) = _registry(tmp_path, 1)
    backend = registry.backend
    assert isinstance(backend, LocalBackend)
    files = backend.read_metadata(name)["files"]  # type: ignore[index]
    registry.delete_version(name)
    with pytest.raises(VersionNotFoundError):
        backend.check_artifacts(name, files)


@pytest.mark.parametrize(("cores", "threads"), [(1, 1), (2, 2), (3, 3), (64, 3)])
def test_walk_threads_follow_the_cores(
    monkeypatch: pytest.MonkeyPatch, cores: int, threads: int
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)), raising=False)
    assert backend_base.parallel_reads() == threads
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    assert backend_base.parallel_reads() == threads
