"""`modelreg server` that SIGKILLs itself between a change and its audit event, once.

Run as `python dying_server.py server ARGS...` with `$DIE_BEFORE_LOGGING` naming an action
(`register`, `promote`, `delete`): the server runs normally until it is about to append that
action's event to the log, its change already made, and dies there, as a writer killed at the
worst moment would. Only the folder registry has such a moment: a SQL catalog writes both in
one transaction.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

from modelreg import _fsutil
from modelreg.cli import main

_append_line = _fsutil.append_line


def _dying_append(path: Path, line: bytes, **batched: Any) -> None:
    action = os.environ["DIE_BEFORE_LOGGING"]
    if path.name == "events.jsonl" and f'"action": "{action}"'.encode() in line:
        os.kill(os.getpid(), signal.SIGKILL)
    _append_line(path, line, **batched)


if __name__ == "__main__":
    _fsutil.append_line = _dying_append
    sys.exit(main(sys.argv[1:]))
