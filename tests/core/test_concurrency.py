"""Several writers on one folder at once: nothing lost, no name given twice, no dangling pointer.

Real processes (and, separately, threads of one process) register, promote, roll back and
clean up the same registry concurrently. Each records the names it was given. Afterwards every
recorded name is unique across writers, names a version holding *that* writer's model (so no
publish replaced another), and is either present or deleted by a cleanup that the audit log
records; pointers name existing, loadable versions, and the audit log has no torn lines.

The same runs with the lock disabled (as on a filesystem that ignores locks) prove that names
are claimed atomically (`mkdir` in `_fsutil.claim_and_publish`), not merely under the lock.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest

from modelreg import ModelRegistry
from modelreg.events import decode_event_lines
from modelreg.versions import parse_version

from . import concurrent_worker

WORKER = Path(concurrent_worker.__file__)
WORKERS = 4
ROUNDS = 12


def check_registry(root: Path, outs: list[Path], *, expect_deletes: bool) -> None:
    recorded = {i: out.read_text().split() for i, out in enumerate(outs)}
    given = [name for names in recorded.values() for name in names]
    assert len(given) == WORKERS * ROUNDS, "every registration returned a name"
    duplicates = [name for name, n in Counter(given).items() if n > 1]
    assert duplicates == [], f"names given to two writers: {duplicates}"

    registry = ModelRegistry(root)
    raw = (root / "events.jsonl").read_bytes()
    events, torn = decode_event_lines(raw)
    assert torn == 0 and raw.endswith(b"\n"), "the audit log has interleaved or torn lines"
    registered = [e.version for e in events if e.action == "register"]
    assert sorted(registered) == sorted(given), "one register event per registration"
    deleted = [e.version for e in events if e.action == "delete"]
    assert len(deleted) == len(set(deleted)), "no version deleted twice"

    present = {v.version for v in registry.list_versions()}
    for worker, names in recorded.items():
        for seq, name in enumerate(names):
            if name in present:
                info = registry.get_version_info(name)
                assert (info["worker"], info["seq"]) == (worker, seq), f"{name} was overwritten"
                loaded = registry.load_version(name)
                assert loaded is not None and loaded.model == {"worker": worker, "seq": seq}
            else:
                assert name in deleted, f"{name} vanished without a delete event"
    assert present | set(deleted) == set(given)
    if expect_deletes:
        assert deleted, "the cleanups must have deleted something"
    assert any(parse_version(name).counter > 1 for name in given), "writers must have clashed"

    for channel, target in registry.channels().items():
        assert target in present, f"{channel} dangles: {target}"
    assert registry.load_version("latest") is not None
    problems = registry.verify().problems
    assert [p for p in problems if p["kind"] in ("corrupt", "integrity", "broken-pointer")] == []
    assert not [p for p in (root).iterdir() if p.name.startswith(".") and p.name[1:].isdigit()]


class Reader(threading.Thread):
    """Reads while the writers write: whatever it can see must be complete.

    Readers take no lock. A version deleted between listing and loading may read as None
    (not found); anything else (a half-written version, an integrity error) is a failure.
    """

    def __init__(self, root: Path) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.stop = threading.Event()
        self.errors: list[BaseException] = []
        self.loads = 0

    def run(self) -> None:
        registry = ModelRegistry(self.root)
        while not self.stop.is_set():
            try:
                for version in registry.list_versions():
                    if registry.load_version(version.version) is not None:
                        self.loads += 1
                if registry.channels().get("production"):
                    assert registry.load_version("latest") is not None
                    self.loads += 1
            except BaseException as exc:
                self.errors.append(exc)
                return


def _run_processes(tmp_path: Path, lockless: bool) -> tuple[Path, list[Path]]:
    root = tmp_path / "models"
    outs = [tmp_path / f"worker{i}.txt" for i in range(WORKERS)]
    args = ["lockless"] if lockless else []
    errs = [out.with_suffix(".err") for out in outs]  # files, not pipes: nothing can block
    procs = []
    for i, (out, err) in enumerate(zip(outs, errs, strict=True)):
        with open(err, "w") as stderr:
            procs.append(
                subprocess.Popen(
                    [sys.executable, str(WORKER), str(root), str(i), str(ROUNDS), str(out), *args],
                    stderr=stderr,
                )
            )
    reader = Reader(root)
    reader.start()
    (tmp_path / "go").touch()
    try:
        for proc, err in zip(procs, errs, strict=True):
            assert proc.wait(timeout=240) == 0, err.read_text()
    finally:
        reader.stop.set()
        reader.join(timeout=60)
    assert reader.errors == [], reader.errors
    assert reader.loads > 0, "the reader must have read during the writes"
    return root, outs


@pytest.mark.parametrize("lockless", [False, True], ids=["locked", "lock-disabled"])
def test_processes_write_concurrently(tmp_path: Path, lockless: bool) -> None:
    root, outs = _run_processes(tmp_path, lockless)
    check_registry(root, outs, expect_deletes=not lockless)


@pytest.mark.parametrize("lockless", [False, True], ids=["locked", "lock-disabled"])
def test_threads_write_concurrently(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lockless: bool
) -> None:
    if lockless:
        monkeypatch.setattr(concurrent_worker.RegistryLock, "hold", concurrent_worker._no_lock)
    root = tmp_path / "models"
    outs = [tmp_path / f"worker{i}.txt" for i in range(WORKERS)]
    start = threading.Barrier(WORKERS)
    errors: list[BaseException] = []

    def run(worker: int) -> None:
        try:
            start.wait()
            concurrent_worker.work(root, worker, ROUNDS, outs[worker], lockless=lockless)
        except BaseException as exc:  # reported below, with its traceback
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    assert errors == []
    check_registry(root, outs, expect_deletes=not lockless)


def test_the_lock_is_exclusive_across_processes(tmp_path: Path) -> None:
    """A writer holding the lock keeps another process's writer waiting (LockTimeout)."""
    from modelreg import LockTimeout

    root = tmp_path / "models"
    registry = ModelRegistry(root)
    code = (
        "import sys; from modelreg import ModelRegistry, LockTimeout\n"
        f"r = ModelRegistry({str(root)!r}, lock_timeout=0.2)\n"
        "try:\n    r.cleanup_old_versions()\nexcept LockTimeout as e:\n"
        "    print('timeout', e.path); sys.exit(3)\n"
    )
    with registry.backend.transaction():
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 3 and "timeout" in proc.stdout, proc.stderr
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert issubclass(LockTimeout, TimeoutError)


def test_a_waiting_writer_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """While another process holds the lock, a writer logs that it is waiting, then proceeds."""
    from modelreg import _locking

    root = tmp_path / "models"
    ModelRegistry(root).create()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from modelreg import ModelRegistry\n"
            f"r = ModelRegistry({str(root)!r})\n"
            "with r.backend.transaction():\n"
            "    print('held', flush=True); sys.stdin.readline()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdin is not None
    assert holder.stdout.readline().strip() == "held"
    monkeypatch.setattr(_locking, "_WAIT_LOG_EVERY", 0.05)
    registry = ModelRegistry(root, lock_timeout=60)
    done = threading.Event()

    def release_once_logged() -> None:
        while not any("still waiting" in r.getMessage() for r in caplog.records):
            if done.wait(0.02):
                return
        holder.stdin.write("go\n")
        holder.stdin.flush()

    with caplog.at_level(logging.INFO, logger="modelreg"):
        releaser = threading.Thread(target=release_once_logged)
        releaser.start()
        try:
            assert registry.cleanup_old_versions() == []
        finally:
            done.set()
            releaser.join()
            holder.wait(timeout=60)
    waiting = [r for r in caplog.records if "still waiting" in r.getMessage()]
    assert waiting and str(root / ".lock") in waiting[0].getMessage()
