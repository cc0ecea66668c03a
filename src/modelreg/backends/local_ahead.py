"""metadata.json rewrites written ahead of their turn, inside one writer's transaction.

A promote rewrites the old holder's status, moves the pointer, then rewrites the new holder's.
Each new file's contents must be durable before its rename, and the new holder's rename must
wait for the pointer's move to be durable. Written when the transaction starts, the new
holder's file is fsynced together with the old holder's (the first disk wait), so the wait
beside the pointer's move holds only folder fsyncs, as the floor's does: one journal commit,
where a file's fsync beside them can need a second. A file written ahead and not used (the
promote failed, or wrote other metadata) is removed when its block ends; a killed writer
leaves it as any interrupted rewrite does, for `verify --repair`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from .. import _fsutil
from ..lower_errors import translated
from ..metadata import encode_metadata
from .local_syncs import OwedSyncs

__all__ = ["WrittenAhead"]


class WrittenAhead:
    """The files written ahead in the current transaction, by version name (one per backend)."""

    def __init__(self, syncs: OwedSyncs) -> None:
        self._syncs = syncs
        self._files: dict[str, tuple[Mapping[str, Any], _fsutil.StagedFile]] = {}

    def holding(
        self, name: str, metadata: Mapping[str, Any], path: Path
    ) -> AbstractContextManager[None]:
        """Write `metadata` for `path` now, if this thread is in a transaction and pointers are
        links (a folder-copy pointer copies the version's folder, a file written ahead with
        it); `take` uses it while the block runs."""
        if not self._syncs.held():
            return contextlib.nullcontext()
        with translated(f"update the metadata of {name} at", path):  # the probe writes too
            if not _fsutil.symlinks_supported(path.parent.parent):
                return contextlib.nullcontext()
            staged = _fsutil.StagedFile(path, encode_metadata(metadata))
        return self._held(name, metadata, staged)

    @contextlib.contextmanager
    def _held(
        self, name: str, metadata: Mapping[str, Any], staged: _fsutil.StagedFile
    ) -> Iterator[None]:
        if name in self._files:  # written ahead already
            staged.discard()
            yield
            return
        self._files[name] = (metadata, staged)
        try:
            yield
        finally:
            self._files.pop(name, None)
            staged.discard()

    def take(self, name: str, metadata: Mapping[str, Any], path: Path) -> _fsutil.StagedFile:
        """The file to rename into place for this write: the one written ahead if it holds
        `metadata`, else a new one."""
        ahead = self._files.pop(name, None)
        if ahead is not None:
            if ahead[0] == metadata:
                return ahead[1]
            ahead[1].discard()
        return _fsutil.StagedFile(path, encode_metadata(metadata))

    def syncs(self) -> list[Callable[[], object]]:
        """The fsyncs of the files still waiting: made with the next write's own."""
        return [staged.sync for _, staged in self._files.values() if not staged.synced]
