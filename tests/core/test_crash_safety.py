"""SIGKILL at random moments: whatever a writer was doing, the registry stays valid.

A writer process registers, promotes, rolls back and cleans up in a loop, and is killed with
SIGKILL dozens of times on one registry, at seeded random moments of two kinds: by this test
after a random delay (a real outside kill, wherever it lands), and by the writer itself just
before its Nth filesystem write for a random N (deterministic, and it lands inside the short
publish/move/delete steps far more often than a timer would). After every kill: every
visible version loads and passes its hash check, the production pointer names a version that
loads, and `verify()` finds nothing corrupt. Leftovers (staging folders, temporary pointers,
stale statuses, a pointer move whose event was lost) are allowed; `verify(repair=True)` must
mend them all. Repairs run only after some kills, so writers also start on a dirty registry.
"""

from __future__ import annotations

import contextlib
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from modelreg import ModelRegistry, TrainingResult, _fsutil

from .crash_writer import killed_at

WRITER = Path(__file__).with_name("crash_writer.py")
BROKEN = {"corrupt", "integrity", "broken-pointer"}


def _kill_writer(root: Path, seed: int, delay: float, kill_at: int, fallback: bool) -> None:
    args = [sys.executable, str(WRITER), str(root), str(seed), str(kill_at)]
    if fallback:
        args.append("fallback")
    errors = root.parent / "writer.err"  # a file, not a pipe: a chatty writer never blocks
    with open(errors, "w") as err:
        writer = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err, text=True)
    try:
        assert writer.stdout is not None
        line = writer.stdout.readline()
        assert line.strip() == "ready", errors.read_text()
        if kill_at:
            writer.wait(timeout=120)
        else:
            time.sleep(delay)
            writer.send_signal(signal.SIGKILL)
            writer.wait(timeout=60)
        assert writer.returncode == -signal.SIGKILL, f"it died on its own: {errors.read_text()}"
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()


def check_invariant(root: Path, kill: int) -> None:
    """Every version loads, nothing is broken, production points at a listed version.

    The registry is closed before returning: an index connection left for the garbage
    collector would delete its -shm file whenever a collection runs, in the middle of the
    test's next copy of the folder.
    """
    with contextlib.closing(ModelRegistry(root)) as registry:
        _check_invariant(registry, kill)


def _check_invariant(registry: ModelRegistry, kill: int) -> None:
    names = [v.version for v in registry.list_versions()]
    for name in names:
        assert registry.load_version(name) is not None, f"kill {kill}: {name} does not load"
    report = registry.verify()
    broken = [p for p in report.problems if p["kind"] in BROKEN]
    assert broken == [], f"kill {kill}: {broken}"
    production = registry.channels().get("production")
    if production is not None:
        assert production in names, f"kill {kill}: production points to missing {production}"
        loaded = registry.load_version("latest")
        assert loaded is not None
        assert registry.get_version_info("latest")["version"] == production


@pytest.mark.slow
@pytest.mark.parametrize(("fallback", "kills"), [(False, 60), (True, 24)], ids=["symlink", "copy"])
def test_sigkill_never_breaks_the_registry(tmp_path: Path, fallback: bool, kills: int) -> None:
    root = tmp_path / "models"
    rng = random.Random(20261128 + fallback)
    leftovers = 0
    for kill in range(kills):
        kill_at = rng.randrange(1, 300) if kill % 2 else 0
        _kill_writer(root, rng.randrange(10**6), rng.uniform(0.02, 0.3), kill_at, fallback)
        check_invariant(root, kill)
        if kill % 3 == 2:
            registry = ModelRegistry(root)
            leftovers += len(registry.verify(repair=True).problems)
            assert registry.verify().problems == [], f"kill {kill}: repair left problems"
            check_invariant(root, kill)
    registry = ModelRegistry(root)
    assert len(registry.events()) > kills, "the writers must have done real work"
    assert leftovers > 0, "some kills must have interrupted a write"
    assert registry.channels().get("production") is not None


def _prepare(root: Path, fallback: bool) -> list[str]:
    registry = ModelRegistry(root, keep_versions=2)
    names = []
    for seed in range(5):
        names.append(registry.register(_result(seed)))
    registry.promote_to_production(names[0])
    registry.promote_to_production(names[1])
    registry.promote(names[0], channel="staging")
    registry.close()  # its listing index is consistent on disk before the folder is copied
    return names


def _make_dirty(root: Path, names: list[str]) -> None:
    """What crashes leave for `verify(repair=True)`: debris, a stale status, a lost event."""
    from modelreg.backends.local import _HOST_TAG

    (root / ".staging" / f"v.{_HOST_TAG}.999999999.dead").mkdir(parents=True)
    (root / ".trash" / f"{names[2]}.1.dead").mkdir(parents=True)
    meta_path = root / names[4] / "metadata.json"
    meta_path.write_text(meta_path.read_text().replace('"registered"', '"production"'))
    events = root / "events.jsonl"
    events.write_text("".join(events.read_text().splitlines(keepends=True)[:-1]))


def _assert_next_move_mends_statuses(root: Path, scratch: Path, other: str) -> None:
    """DESIGN: where a crash left status and pointer apart, the next write mends the file."""
    shutil.copytree(root, scratch, symlinks=True)
    registry = ModelRegistry(scratch)
    assert registry.promote_to_production(other)
    stale = [p for p in registry.verify().problems if p["kind"] == "stale-status"]
    assert stale == [], stale
    registry.close()
    shutil.rmtree(scratch)


def _result(seed: int) -> TrainingResult:
    return TrainingResult(model={"seed": seed}, metrics={"rmse": 0.1 * seed}, features=["a"])


OPERATIONS: dict[str, Callable[[ModelRegistry, list[str]], object]] = {
    "register": lambda r, names: r.register(_result(9)),
    "promote": lambda r, names: r.promote_to_production(names[3]),
    "promote-channel": lambda r, names: r.promote(names[2], channel="staging"),
    "rollback": lambda r, names: r.rollback_to_version(),
    "cleanup": lambda r, names: r.cleanup_old_versions(),
    "verify-repair": lambda r, names: r.verify(repair=True),
}


def _run_killed_at(root: Path, operation: str, names: list[str], kill_at: int) -> bool:
    """Run `operation` in a forked child that SIGKILLs itself at write #kill_at.

    Returns True when it was killed, False when the operation finished first.
    """
    return killed_at(
        kill_at, lambda: OPERATIONS[operation](ModelRegistry(root, keep_versions=2), names)
    )


@pytest.mark.slow
@pytest.mark.parametrize("fallback", [False, True], ids=["symlink", "copy"])
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_sigkill_at_every_write_of_an_operation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, operation: str, fallback: bool
) -> None:
    """Exhaustive: one kill before each write of the operation in turn, each on a fresh copy."""
    if fallback:
        monkeypatch.setattr(_fsutil, "symlinks_supported", lambda folder: False)
    base = tmp_path / "base"
    names = _prepare(base, fallback)
    if operation == "verify-repair":
        _make_dirty(base, names)
    kills = 0
    for kill_at in range(1, 500):
        root = tmp_path / f"kill{kill_at}"
        shutil.copytree(base, root, symlinks=True)
        if not _run_killed_at(root, operation, names, kill_at):
            break
        kills += 1
        check_invariant(root, kill_at)
        with contextlib.closing(ModelRegistry(root)) as registry:
            assert registry.channels().get("production"), "production vanished"
        if operation != "verify-repair":  # its stale statuses were there before the kill
            _assert_next_move_mends_statuses(root, tmp_path / "mend", names[4])
        with contextlib.closing(ModelRegistry(root)) as registry:
            registry.verify(repair=True)
            assert registry.verify().problems == [], f"kill {kill_at}: repair left problems"
        check_invariant(root, kill_at)
        OPERATIONS[operation](registry, names)  # and the next writer carries on
        check_invariant(root, kill_at)
        shutil.rmtree(root)
    else:
        pytest.fail(f"{operation} never finished")
    assert kills >= 3
