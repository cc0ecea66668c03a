"""Scratch folders a catalog assembles loads in, one per thread, reused from load to load
(and the one-off scratch folders it stages registrations in).

A load from the SQL catalog links each cached blob into a scratch folder beside
`metadata.json` (`SqlBackend.local_folder`). Creating and removing that folder on every load
cost two directory operations, and on a busy disk removing a directory waits for the
filesystem's journal (~2 ms of a 4 ms load at load 7, measured). So each thread keeps its
folder: it is emptied after a load, never removed until `close`, and named for this process
(`ArtifactStore.scratch_path`), so a folder a dead process left is debris that
`verify --repair` removes. A load inside a load (the folder busy) gets a folder of its own.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from .. import _fsutil
from ..lower_errors import translated

__all__ = ["Assemblies"]


class _Own(threading.local):
    folder: Path | None = None
    busy: bool = False


class Assemblies:
    """Each thread's reusable scratch folder (`new` names one), removed by `close`."""

    def __init__(self, new: Callable[[], Path]) -> None:
        self._new = new
        self._own = _Own()
        self._made: set[Path] = set()
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def folder(self, action: str) -> Iterator[Path]:
        """An empty folder for one load (`action` names it in an error), emptied again when
        the load is done."""
        own = self._own
        if own.busy:
            with self.once(action) as folder:
                yield folder
            return
        if own.folder is None:
            own.folder = self._new()
            with self._lock:
                self._made.add(own.folder)
        with translated(action + " in", own.folder):
            _fsutil.make_dirs(own.folder)  # a repair may have taken an idle day-old one
        own.busy = True
        try:
            yield own.folder
        finally:
            own.busy = False
            if not _emptied(own.folder):
                own.folder = None

    @contextlib.contextmanager
    def once(self, action: str) -> Iterator[Path]:
        """A folder of its own (`new`), removed when done: a staging folder, a nested load."""
        folder = self._new()
        with translated(action + " in", folder):
            _fsutil.make_dirs(folder)
        try:
            yield folder
        finally:
            with contextlib.suppress(OSError):
                _fsutil.remove_tree(folder)

    def close(self) -> None:
        """Remove every thread's folder (a load still running keeps its files open)."""
        with self._lock:
            made, self._made = self._made, set()
        for folder in made:
            with contextlib.suppress(OSError):
                _fsutil.remove_tree(folder)
        self._own = _Own()


def _emptied(folder: Path) -> bool:
    """Remove what a load put in `folder`; False when that failed: the folder is then given up
    (removed if it can be, else left as debris) and the next load makes another."""
    try:
        for entry in os.scandir(folder):
            _fsutil.remove_tree(Path(entry.path))
    except OSError:
        with contextlib.suppress(OSError):
            _fsutil.remove_tree(folder)
        return False
    return True
