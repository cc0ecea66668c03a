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

__all__ = ["MOVE", "UPDATE", "Outermost", "OwedSyncs"]

#: a pointer moved: durable before the audit record of the move
MOVE = "move"
#: a metadata.json rewritten: durable with the audit record at the latest
UPDATE = "update"

Step = Callable[[], object]


class Outermost:
    """Which thread is inside a block of nested blocks (one transaction of the writers' lock),
    so that what the transaction collects is settled once, when its outermost block ends."""

    def __init__(self) -> None:
        self.owner: int | None = None
        self.depth = 0

    def here(self) -> bool:
        return self.owner == threading.get_ident()

    @contextlib.contextmanager
    def block(self, end: Callable[[bool], None]) -> Iterator[None]:
        """Run the block; then `end(failed)` if it was this thread's outermost one. Another
        thread's block (one not holding the lock) is not tracked."""
        me = threading.get_ident()
        if self.owner not in (None, me):
            yield
            return
        self.owner = me
        self.depth += 1
        failed = True
        try:
            yield
            failed = False
        finally:
            self.depth -= 1
            if not self.depth:
                self.owner = None
                end(failed)


class OwedSyncs:
    """The folders whose latest rename is not yet fsynced, per kind (one per backend)."""

    def __init__(self) -> None:
        self._nest = Outermost()
        self._owed: dict[str, dict[Path, str]] = {MOVE: {}, UPDATE: {}}

    def batching(self) -> contextlib.AbstractContextManager[None]:
        """Owe fsyncs until the outermost block ends (call it while holding the writers' lock).

        Ending normally pays what is owed (its failure is raised); ending by an exception pays
        it too, but a failure then is only logged beneath the exception already on its way.
        """
        return self._nest.block(self._end)

    def _end(self, failed: bool) -> None:
        steps = self.pay(MOVE) + self.pay(UPDATE)
        if failed:
            with contextlib.suppress(Exception):
                _fsutil.together(*steps)
        else:
            _fsutil.together(*steps)

    def held(self) -> bool:
        """Whether this thread is inside a transaction (it holds the writers' lock)."""
        return self._nest.here()

    def owe(self, kind: str, folder: Path, what: str) -> None:
        """The rename just made in `folder` (`what` it did, for an error message)."""
        if not self._nest.here():
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
