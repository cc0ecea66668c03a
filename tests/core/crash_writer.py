"""A writer for the crash tests: random registry writes in a loop until it is killed.

Run as `python crash_writer.py ROOT SEED KILL_AT [fallback]`; prints `ready` once imported,
then registers, promotes, rolls back and cleans up forever. With KILL_AT > 0 it SIGKILLs itself
just before its KILL_AT-th filesystem write (a moment measured in writes, so the same on a
loaded machine); with 0 it waits for the test to kill it. With `fallback`, symlinks are
refused, as on Windows without the privilege, so production is a folder copy.
"""

from __future__ import annotations

import os
import random
import signal
import sys
from collections.abc import Callable
from typing import Any

from modelreg import ModelRegistry, TrainingResult, _fsutil

_MUTATING = frozenset(
    {"write", "fsync", "mkdir", "rename", "replace", "symlink", "unlink", "rmdir", "ftruncate"}
)


class DieAtWrite:
    """Stands in for `_fsutil.os`: SIGKILLs this process just before its Nth write."""

    def __init__(self, kill_at: int) -> None:
        self.left = kill_at

    def _tick(self) -> None:
        self.left -= 1
        if self.left == 0:
            os.kill(os.getpid(), signal.SIGKILL)

    def open(self, path: Any, flags: int, *args: Any) -> int:
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            self._tick()
        return os.open(path, flags, *args)

    def __getattr__(self, name: str) -> Any:
        real = getattr(os, name)
        if name not in _MUTATING:
            return real

        def counted(*args: Any, **kwargs: Any) -> Any:
            self._tick()
            return real(*args, **kwargs)

        return counted


def killed_at(kill_at: int, action: Callable[[], object]) -> bool:
    """Run `action` in a forked child that SIGKILLs itself just before its write #kill_at.

    Returns True when it was killed, False when the action finished first.
    """
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 1
        try:
            _fsutil.os = DieAtWrite(kill_at)  # type: ignore[assignment]
            action()
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        assert os.WTERMSIG(status) == signal.SIGKILL
        return True
    assert os.WEXITSTATUS(status) == 0, "it failed without being killed"
    return False


def _result(rng: random.Random) -> TrainingResult:
    return TrainingResult(
        model={"weights": [rng.random() for _ in range(2000)]},
        metrics={"direction_accuracy": rng.random(), "rmse": rng.random()},
        features=["a", "b"],
    )


def main(root: str, seed: int, kill_at: int, fallback: bool) -> None:
    if kill_at > 0:
        _fsutil.os = DieAtWrite(kill_at)  # type: ignore[assignment]
    if fallback:
        _fsutil.symlinks_supported = lambda folder: False  # type: ignore[assignment]
    rng = random.Random(seed)
    registry = ModelRegistry(root, keep_versions=3, lock_timeout=30)
    print("ready", flush=True)
    while True:
        names = [v.version for v in registry.list_versions()]
        roll = rng.random()
        if roll < 0.35 or not names:
            registry.register(_result(rng))
        elif roll < 0.6:
            registry.promote_to_production(rng.choice(names))
        elif roll < 0.7:
            registry.promote(rng.choice(names), channel="staging")
        elif roll < 0.8:
            registry.rollback_to_version()
        elif roll < 0.85:
            registry.rollback_to_version(rng.choice(names))
        else:
            registry.cleanup_old_versions()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), "fallback" in sys.argv[4:])
