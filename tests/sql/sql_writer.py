"""A writer process for the SQL concurrency and crash tests (run as a script, not collected).

`python sql_writer.py register URL ARTIFACTS COUNT`: registers COUNT versions, printing each
name. `python sql_writer.py crash URL ARTIFACTS`: registers one version but SIGKILLs itself
after the artifacts are uploaded and checked, before the catalog row is inserted.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conftest import make_result
from modelreg import ModelRegistry
from modelreg.backends.sql import SqlBackend


def main(mode: str, url: str, artifacts: str, count: str = "1") -> None:
    registry = ModelRegistry(url, artifacts=artifacts, lock_timeout=120)
    if mode == "crash":

        def die(*_args: object, **_kwargs: object) -> int:
            print("uploaded", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
            raise AssertionError("unreachable")

        SqlBackend._insert_version = die  # type: ignore[method-assign]
    for seed in range(int(count)):
        print(registry.register(make_result(seed + os.getpid() % 1000)), flush=True)
    registry.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
