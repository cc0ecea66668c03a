"""A writer process for the SQL concurrency and crash tests (run as a script, not collected).

`python sql_writer.py register URL ARTIFACTS COUNT`: registers COUNT versions, printing each
name, all at one frozen moment so that every writer wants the same names;
`register-unlocked` does the same without the per-model advisory lock, so only the
UNIQUE constraint keeps names apart. `python sql_writer.py crash URL ARTIFACTS`: registers one
version but SIGKILLs itself after the artifacts are uploaded and checked, before the catalog
row is inserted.
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import modelreg.backends.sql_session
import modelreg.backends.sql_writes
import modelreg.operations.store
from conftest import make_result
from modelreg import ModelRegistry


def main(mode: str, url: str, artifacts: str, count: str = "1") -> None:
    registry = ModelRegistry(url, artifacts=artifacts, lock_timeout=120)
    if mode == "crash":

        def die(*_args: object, **_kwargs: object) -> int:
            print("uploaded", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
            raise AssertionError("unreachable")

        modelreg.backends.sql_writes.insert_version = die  # type: ignore[assignment]
    if mode.startswith("register"):
        frozen = datetime(2026, 1, 26, 10, 30, tzinfo=UTC)
        modelreg.operations.store.utc_now = lambda: frozen  # type: ignore[attr-defined]
    if mode == "register-unlocked":
        unlocked = ("SELECT 1", ())  # the writers' lock's statement, asking for nothing
        modelreg.backends.sql_session.lock_statement = lambda *_: unlocked  # type: ignore[assignment]
    for seed in range(int(count)):
        print(registry.register(make_result(seed + os.getpid() % 1000)), flush=True)
    registry.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
