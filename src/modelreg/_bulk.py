"""Building many small objects at once: a listing of 100,000 versions, verify's walk.

CPython's cyclic garbage collector runs every few hundred allocations, and each of its
full passes walks every object alive; building 100,000 rows of dicts triggers dozens of
them, each longer than the last, for garbage that has no cycles (JSON rows, dataclasses).
Pausing it while such a batch is built cost a third of a 10,000-version listing here.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["gc_paused"]


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic collector off for the block, and back as it was after (reference counting
    still frees everything at once; cycles made meanwhile are collected later)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
