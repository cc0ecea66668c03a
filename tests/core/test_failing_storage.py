"""A disk that fails: the Nth filesystem write of an operation raises, for every N in turn.

Every mutating call of the registry goes through `modelreg._fsutil.os`, so a proxy there counts
them (opens for writing, writes, fsyncs, mkdirs, renames, replaces, symlinks, unlinks, rmdirs,
truncates) and makes the Nth one raise ENOSPC or EIO. After each failure the registry must be
either exactly as before or exactly as after a successful run (the versions, their files, the
pointers and the stored statuses), and the caller must have got a `StorageError`, which is also
an `OSError`, saying what failed and where.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from clock import Clock
from conftest import make_result
from modelreg import ModelRegistry, StorageError, _fsutil

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_MUTATING = {
    "write",
    "fsync",
    "mkdir",
    "rename",
    "replace",
    "symlink",
    "unlink",
    "rmdir",
    "ftruncate",
    "truncate",
    "link",
}


class FailingOS:
    """Stands in for the `os` module inside `_fsutil`: the Nth mutating call fails."""

    def __init__(self, fail_at: int, code: int) -> None:
        self.fail_at = fail_at
        self.code = code
        self.calls = 0
        self.failed: str | None = None

    def _count(self, name: str) -> None:
        self.calls += 1
        if self.calls == self.fail_at:
            self.failed = name
            raise OSError(self.code, os.strerror(self.code))

    def open(self, path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & _WRITE_FLAGS:
            self._count("open")
        return os.open(path, flags, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        real = getattr(os, name)
        if name not in _MUTATING:
            return real

        def counted(*args: Any, **kwargs: Any) -> Any:
            self._count(name)
            return real(*args, **kwargs)

        return counted


def state(root: Path) -> dict[str, Any]:
    """What a reader can observe: versions with their files and statuses, and the pointers."""
    registry = ModelRegistry(root)
    versions = {}
    for version in registry.list_versions():
        meta = json.loads((root / version.version / "metadata.json").read_text())
        versions[version.version] = {
            "status": meta["deployment_status"],
            "files": sorted(p.name for p in (root / version.version).iterdir()),
        }
    seen = {"versions": versions, "pointers": registry.channels()}
    registry.close()
    return seen


def _setup(root: Path, clock: Clock) -> list[str]:
    registry = ModelRegistry(root)
    names = []
    for seed in range(4):
        names.append(registry.register(make_result(seed)))
        clock.tick()
    registry.promote_to_production(names[0])
    registry.promote_to_production(names[1])
    registry.close()  # its listing index is consistent on disk before the folder is copied
    clock.tick()
    return names


OPERATIONS: dict[str, Callable[[ModelRegistry, list[str]], Any]] = {
    "register": lambda r, names: r.register(make_result(9), metadata_extra={"k": 1}),
    "promote": lambda r, names: r.promote_to_production(names[2]),
    "promote-channel": lambda r, names: r.promote(names[3], channel="staging"),
    "rollback": lambda r, names: r.rollback_to_version(),
    "cleanup": lambda r, names: r.cleanup_old_versions(keep_versions=3),
}


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EIO], ids=["ENOSPC", "EIO"])
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_every_failing_write_leaves_before_or_after(
    tmp_path: Path,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    operation: str,
    code: int,
) -> None:
    base = tmp_path / "base"
    names = _setup(base, clock)
    before = state(base)
    expected_dir = tmp_path / "expected"
    shutil.copytree(base, expected_dir, symlinks=True)
    expected = ModelRegistry(expected_dir)
    OPERATIONS[operation](expected, names)
    expected.close()
    after = state(expected_dir)
    assert after != before, "the operation must change something"

    failures = 0
    for n in range(1, 200):
        root = tmp_path / f"run{n}"
        shutil.copytree(base, root, symlinks=True)
        registry = ModelRegistry(root)
        proxy = FailingOS(n, code)
        monkeypatch.setattr(_fsutil, "os", proxy)
        try:
            OPERATIONS[operation](registry, names)
        except StorageError as exc:
            assert isinstance(exc, OSError)
            assert exc.errno_code == code or exc.errno == code, exc
            assert str(root) in str(exc) and os.strerror(code) in str(exc), str(exc)
            failures += 1
            raised = True
        else:
            raised = False
        finally:
            monkeypatch.setattr(_fsutil, "os", os)
        seen = state(root)
        assert seen in (before, after), f"write #{n} ({proxy.failed}) left a mixed state"
        # best-effort tidying (a probe, the trash) may fail quietly, but only after success
        assert raised or seen == after, f"write #{n} ({proxy.failed}) failed silently"
        report = registry.verify()
        bad = [p for p in report.problems if p["kind"] in ("corrupt", "integrity")]
        assert bad == [], f"write #{n} ({proxy.failed}) left {bad}"
        registry.close()
        shutil.rmtree(root)
        if proxy.calls < n:  # the operation finished before reaching write #n
            break
    else:
        pytest.fail("the operation never completed")
    assert failures >= 3, "the proxy must have hit several writes"
    assert seen == after


def test_storage_error_message_says_what_and_where(
    tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = ModelRegistry(tmp_path / "models")
    registry.register(make_result())
    monkeypatch.setattr(_fsutil, "os", FailingOS(1, errno.ENOSPC))
    with pytest.raises(StorageError, match="disk is full") as caught:
        registry.register(make_result(1))
    assert caught.value.path is not None
    assert str(tmp_path / "models") in caught.value.path
