"""The folder fsyncs a local writer owes, issued together instead of one after another.

A promote rewrites two metadata.json files, moves a symlink and appends to the audit log:
each rename is durable only once its folder is fsynced, and one after another those fsyncs
cost a disk round trip each (8 per promote, counting the index's). Inside one transaction of
the writers' lock they are owed instead, and paid together with the next fsync the writer
must make anyway (`_fsutil.together`), within these rules:

- a file's contents are fsynced before it is renamed into place (`_fsutil.replace_file`);
- a pointer move is durable before the audit record of it is written (`MOVE`): the log never
  names a move that a power cut could take back;
- a stored status may become durable with the record (`UPDATE`): a status a power cut loses
  is a stale status, which `verify(repair=True)` mends, as it mends a crash between the steps;
- whatever is still owed when the transaction ends is paid then.

Outside a transaction, or on another thread than the one holding it, nothing is owed: each
step is made durable at once, as before.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from .. import _fsutil
from ..lower_errors import translated

__all__ = ["MOVE", "UPDATE", "OwedSyncs"]

#: a pointer moved: durable before the audit record of the move
MOVE = "move"
#: a metadata.json rewritten: durable with the audit record at the latest
UPDATE = "update"

Step = Callable[[], object]


class OwedSyncs:
    """The folders whose latest rename is not yet fsynced, per kind (one per backend)."""

    def __init__(self) -> None:
        self._owner: int | None = None
        self._depth = 0
        self._owed: dict[str, dict[Path, str]] = {MOVE: {}, UPDATE: {}}

    @contextlib.contextmanager
    def batching(self) -> Iterator[None]:
        """Owe fsyncs until the outermost block ends (call it while holding the writers' lock).

        Ending normally pays what is owed (its failure is raised); ending by an exception pays
        it too, but a failure then is only logged beneath the exception already on its way.
        """
        me = threading.get_ident()
        if self._owner not in (None, me):  # another thread's transaction: not ours to batch
            yield
            return
        self._owner = me
        self._depth += 1
        try:
            yield
        except BaseException:
            self._end(quietly=True)
            raise
        self._end(quietly=False)

    def _end(self, *, quietly: bool) -> None:
        self._depth -= 1
        if self._depth:
            return
        self._owner = None
        steps = self.pay(MOVE) + self.pay(UPDATE)
        if quietly:
            with contextlib.suppress(Exception):
                _fsutil.together(*steps)
        else:
            _fsutil.together(*steps)

    def held(self) -> bool:
        """Whether this thread is inside a transaction (it holds the writers' lock)."""
        return self._owner == threading.get_ident()

    def owe(self, kind: str, folder: Path, what: str) -> None:
        """The rename just made in `folder` (`what` it did, for an error message)."""
        if self._owner != threading.get_ident():
            _durable(folder, what)()
        else:
            self._owed[kind][folder] = what

    def pay(self, kind: str) -> list[Step]:
        """The owed fsyncs of `kind`, as steps for `_fsutil.together`. Each is no longer owed
        once it has run; one that failed, or never ran because an earlier call failed, is
        still owed, and the transaction's end pays it."""
        owed = self._owed[kind]
        return [self._paying(owed, folder, what) for folder, what in list(owed.items())]

    @staticmethod
    def _paying(owed: dict[Path, str], folder: Path, what: str) -> Step:
        durable = _durable(folder, what)

        def step() -> None:
            durable()
            owed.pop(folder, None)

        return step


def _durable(folder: Path, what: str) -> Step:
    def step() -> None:
        with translated(f"make durable the {what} in", folder):
            _fsutil.fsync_dir(folder)

    return step
