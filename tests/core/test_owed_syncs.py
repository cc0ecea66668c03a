"""Folder fsyncs owed inside a transaction and paid together (`backends/local_syncs.py`).

A promote used to wait for the disk eight times in a row; it now waits three times, as its
floor does (both statuses' new files, written ahead; the folders of the old status and the
pointer; the record), and the order that crash safety needs is kept: a file is fsynced before
it is renamed into place, the old status is renamed before the pointer moves, the new status
only once the move is durable, a pointer move is durable before its audit record is written,
and every rename is durable by the time the operation returns.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest

from modelreg import ModelRegistry, _fsutil
from modelreg.backends import local_index
from modelreg.metadata import METADATA_FILE


class Recorder:
    """Stands in for `_fsutil.os`: records each write-side call with the path it touched."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.paths: dict[int, str] = {}
        self.outside: list[str] = []  # fsyncs made while no `together` was running
        self.together = 0
        self._lock = threading.Lock()

    def _note(self, what: str, path: str) -> None:
        with self._lock:
            self.calls.append((what, path))

    def open(self, path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        fd = os.open(path, flags, *args, **kwargs)
        self.paths[fd] = os.fspath(path)
        return fd

    def fsync(self, fd: int) -> None:
        if not self.together:
            self.outside.append(self.paths[fd])
        self._note("fsync", self.paths[fd])
        os.fsync(fd)

    def write(self, fd: int, data: Any) -> int:
        self._note("write", self.paths[fd])
        return os.write(fd, data)

    def replace(self, source: Any, dest: Any) -> None:
        self._note("rename", os.fspath(dest))
        os.replace(source, dest)

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorder = Recorder()
    monkeypatch.setattr(_fsutil, "os", recorder)
    together = _fsutil.together

    def counted(*steps: Any) -> None:
        recorder.together += 1
        try:
            together(*steps)
        finally:
            recorder.together -= 1

    monkeypatch.setattr(_fsutil, "together", counted)
    return recorder


def _last(calls: list[tuple[str, str]], what: str, path: str) -> int:
    return max(i for i, call in enumerate(calls) if call == (what, path))


def _first(calls: list[tuple[str, str]], what: str, path: str) -> int:
    return min(i for i, call in enumerate(calls) if call == (what, path))


def test_a_promote_keeps_the_order_crash_safety_needs(
    first_promoted: tuple[ModelRegistry, list[str]], recorder: Recorder
) -> None:
    registry, (old, new) = first_promoted
    root = Path(registry.path)
    registry.promote_to_production(new)
    calls = recorder.calls
    events = str(root / "events.jsonl")
    for name in (old, new):
        folder = root / name
        renamed = _last(calls, "rename", str(folder / METADATA_FILE))
        written = [p for w, p in calls[:renamed] if w == "write" and p.startswith(f"{folder}/.")]
        assert written, f"{name}: no temporary written before its rename"
        assert _last(calls, "fsync", written[-1]) < renamed  # contents durable first
        assert _last(calls, "fsync", str(folder)) > renamed  # the rename durable by the end
    pointer = str(root / "production")
    moved = _last(calls, "rename", f"{pointer}/latest")
    assert _last(calls, "rename", str(root / old / METADATA_FILE)) < moved  # old status first
    assert _last(calls, "fsync", pointer) > moved
    # the new status is renamed only once the move is durable
    assert _last(calls, "fsync", pointer) < _last(calls, "rename", str(root / new / METADATA_FILE))
    assert _last(calls, "fsync", pointer) < _first(calls, "write", events)  # move, then record
    assert _last(calls, "fsync", events) > _first(calls, "write", events)
    assert registry.backend._syncs.pay("move") == registry.backend._syncs.pay("update") == []


@pytest.mark.parametrize("boot", ["known", "unknown"])
def test_a_promote_waits_for_the_disk_three_times(
    first_promoted: tuple[ModelRegistry, list[str]], recorder: Recorder, boot: str
) -> None:
    registry, (_old, new) = first_promoted
    batches: list[int] = []
    together = _fsutil.together
    log_syncs: list[str] = []

    def sized(*steps: Any) -> None:
        if steps:
            batches.append(len(steps))
        together(*steps)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_fsutil, "together", sized)
        patch.setattr(local_index, "fsync_uncounted", log_syncs.append)
        patch.setattr(local_index, "current_boot", lambda: "b" if boot == "known" else None)
        registry.promote_to_production(new)
    # both statuses' files, written ahead (where the boot has no name, the index's dirty mark
    # too); the old status's folder and the pointer's (folders only: one journal commit); the
    # record (its fsync, the new status's folder)
    assert batches == ([2, 2, 2] if boot == "known" else [3, 2, 2])
    assert len(log_syncs) == (0 if boot == "known" else 1)
    assert recorder.outside == []


def test_outside_a_transaction_a_rewrite_is_durable_at_once(
    first_promoted: tuple[ModelRegistry, list[str]], recorder: Recorder
) -> None:
    registry, (old, _new) = first_promoted
    backend = registry.backend
    folder = Path(registry.path) / old
    meta = backend.read_metadata(old)
    assert meta is not None
    backend.write_metadata(old, {**meta, "note": "x"})
    assert _last(recorder.calls, "fsync", str(folder)) > _last(
        recorder.calls, "rename", str(folder / METADATA_FILE)
    )
    assert backend.read_metadata(old)["note"] == "x"  # type: ignore[index]


def test_together_runs_every_step_then_raises_the_first_failure() -> None:
    ran: list[str] = []

    def ok(name: str) -> Any:
        return lambda: ran.append(name)

    def fails(name: str) -> Any:
        def step() -> None:
            ran.append(name)
            raise OSError(5, f"{name} failed")

        return step

    with pytest.raises(OSError, match="first failed"):
        _fsutil.together(fails("first"), ok("b"), fails("c"), ok("d"))
    assert sorted(ran) == ["b", "c", "d", "first"]


def test_a_record_whose_companion_sync_fails_is_taken_back(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    log.write_bytes(b'{"a": 1}\n')

    def broken() -> None:
        raise OSError(5, "EIO")

    with pytest.raises(OSError, match="EIO"):
        _fsutil.append_line(log, b'{"b": 2}\n', along=[broken])
    assert log.read_bytes() == b'{"a": 1}\n'
    _fsutil.append_line(log, b'{"c": 3}\n', along=[lambda: None])
    assert log.read_bytes() == b'{"a": 1}\n{"c": 3}\n'


def test_the_user_database_is_asked_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under a service manager no variable names the user: getpass reads the user database
    (NSS, maybe LDAP) on every call; modelreg asks it once."""
    import getpass

    from modelreg import metadata

    for variable in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.delenv(variable, raising=False)
    asked: list[int] = []
    monkeypatch.setattr(getpass, "getuser", lambda: asked.append(1) or "svc")
    metadata._account_name.cache_clear()
    try:
        assert [metadata.current_user() for _ in range(3)] == ["svc"] * 3
        assert asked == [1]
        monkeypatch.setenv("USER", "alice")  # a variable still wins, as with getpass
        assert metadata.current_user() == "alice"
    finally:
        metadata._account_name.cache_clear()


def test_a_sync_owed_before_a_failed_write_is_still_paid(
    first_promoted: tuple[ModelRegistry, list[str]],
    recorder: Recorder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The pointer's folder is owed when the next metadata write fails before any fsync ran:
    the transaction's end still makes the move durable."""
    registry, (old, new) = first_promoted
    backend = registry.backend
    pointer = str(Path(registry.path) / "staging")
    meta = backend.read_metadata(new)
    assert meta is not None

    def refused(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "ENOSPC")

    with pytest.raises(OSError), backend.transaction():
        backend.set_pointer("staging", new)
        monkeypatch.setattr(_fsutil, "StagedFile", refused)
        backend.write_metadata(new, {**meta, "note": "x"})
    assert _last(recorder.calls, "fsync", pointer) > _last(
        recorder.calls, "rename", f"{pointer}/latest"
    )
    assert backend._syncs.pay("move") == []
    assert backend.get_pointer("staging") == new and old != new
