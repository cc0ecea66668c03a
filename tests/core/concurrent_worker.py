"""One of several writers hammering one registry at once (see test_concurrency.py).

`python concurrent_worker.py ROOT WORKER ROUNDS OUT [lockless]`: waits for ROOT/../go, then
registers ROUNDS versions (tagged with its worker id), promotes and cleans up between them,
and appends every name it was given to OUT, one a line. With `lockless` the registry lock
does nothing, as on a network filesystem that ignores locks, and the worker only registers
and promotes (without the lock a cleanup may race a promotion: only names are guaranteed).
"""

from __future__ import annotations

import contextlib
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from modelreg import ModelRegistry, TrainingResult
from modelreg._locking import RegistryLock


@contextlib.contextmanager
def _no_lock(self: RegistryLock) -> Iterator[None]:
    yield


def disable_lock() -> None:
    RegistryLock.hold = _no_lock  # type: ignore[method-assign,assignment]


def work(root: Path, worker: int, rounds: int, out: Path, *, lockless: bool) -> None:
    rng = random.Random(worker)
    registry = ModelRegistry(root, keep_versions=4, lock_timeout=120)
    with open(out, "a", encoding="utf-8") as record:
        for seq in range(rounds):
            result = TrainingResult(
                model={"worker": worker, "seq": seq},
                metrics={"direction_accuracy": rng.random()},
                features=["a"],
            )
            name = registry.register(result, metadata_extra={"worker": worker, "seq": seq})
            record.write(name + "\n")
            record.flush()
            roll = rng.random()
            if roll < 0.4:
                registry.promote_to_production(name)
            elif roll < 0.6:
                registry.promote(name, channel=f"w{worker}")
            elif roll < 0.8 and not lockless:
                registry.cleanup_old_versions()
            elif not lockless:
                registry.rollback_to_version()


def main() -> None:
    root, worker, rounds, out = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    lockless = "lockless" in sys.argv[5:]
    if lockless:
        disable_lock()
    go = root.parent / "go"
    while not go.exists():
        time.sleep(0.005)
    work(root, worker, rounds, Path(out), lockless=lockless)


if __name__ == "__main__":
    main()
