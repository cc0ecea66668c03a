"""The index's upkeep for the metadata rewrites of one writer's transaction, done together.

A promote rewrites two metadata.json files. Alone, each rewrite costs the index two SQLite
transactions: the dirty mark (made before the rename; fsynced only where the boot has no name,
see `local_index`) and, after it, the new row with the mark cleared. Inside one transaction of
the writers' lock the first rewrite's mark covers the rest (`dirty` means "read the files",
whichever version changed), and the rows are recorded and the mark cleared in one commit when
the transaction ends, after the folders' fsyncs it owed are paid: two index transactions per
promote instead of four. A rewrite marked but never reported done (it failed half-way) keeps
the mark, so the index is rebuilt, as before.

Only the thread holding the lock collects; on other threads (and outside a transaction) each
rewrite is recorded at once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any

from .local_syncs import Outermost

__all__ = ["MARKED", "ChangeBatch"]

#: records the rows of (name, metadata) changes; clears the dirty mark when told to
Commit = Callable[[list[tuple[str, Mapping[str, Any]]], bool], None]


def MARKED() -> bool:
    """What `begin_change` returns for a rewrite marked with nothing left to make durable:
    the transaction's mark covers it already, or the mark needs no fsync."""
    return True


class ChangeBatch:
    """The rewrites of the current transaction, per index (one per `VersionIndex`)."""

    def __init__(self) -> None:
        self._nest = Outermost()
        #: the index was marked dirty, durably, in this transaction
        self.marked = False
        #: rewrites marked and not yet reported done
        self._open = 0
        self._rows: dict[str, Mapping[str, Any]] = {}

    def collecting(self, commit: Commit) -> contextlib.AbstractContextManager[None]:
        """Collect until the outermost block ends, then `commit` what was collected."""

        def end(_failed: bool) -> None:
            rows, clear = list(self._rows.items()), self.marked and not self._open
            self.marked, self._open, self._rows = False, 0, {}
            if rows or clear:
                commit(rows, clear)

        return self._nest.block(end)

    def here(self) -> bool:
        """Whether this thread is collecting."""
        return self._nest.here()

    def covered(self) -> bool:
        """Whether a new rewrite is covered by the mark this transaction already made."""
        if self.here() and self.marked:
            self._open += 1
            return True
        return False

    def opened(self) -> None:
        """The mark was just made (durable once its step ran) for a rewrite of this thread."""
        if self.here():
            self.marked = True
            self._open += 1

    def done(self, name: str, meta: Mapping[str, Any]) -> bool:
        """A marked rewrite finished: kept for the commit (True), or not collecting (False)."""
        if not self.here():
            return False
        self._rows[name] = meta
        self._open -= 1
        return True
