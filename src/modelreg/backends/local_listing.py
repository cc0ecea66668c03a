"""A folder registry's listing, read from its index: what changed on disk is read again.

A version whose metadata.json is as the index saw it (same inode, mtime and size) is listed
from the index, its fields kept as the index's JSON text (`IndexedMetadata`) until read; one
that changed is read from its file, and if it no longer matches the query the whole folder is
read instead, so a listing never differs from one without the index.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..versions import IndexedMetadata
from .base import VersionQuery, effective_status, matches
from .local_index import file_stat
from .local_index_query import Listed

if TYPE_CHECKING:
    from .local import LocalBackend

__all__ = ["indexed_page"]


def indexed_page(
    backend: LocalBackend, query: VersionQuery
) -> list[dict[str, Any] | IndexedMetadata] | None:
    """`query`'s page (statuses effective), or None when the folder must be read instead."""
    rows = backend.index.query(query) if backend.index is not None else None
    if rows is None:
        return None
    with _opened(backend.root, len(rows)) as root_fd:
        return _checked(backend, query, rows, root_fd)


def _checked(
    backend: LocalBackend, query: VersionQuery, rows: list[Listed], root_fd: int | None
) -> list[dict[str, Any] | IndexedMetadata] | None:
    """Each row as the index holds it, or its file read again where that changed."""
    found: list[dict[str, Any] | IndexedMetadata] = []
    append = found.append
    production, root = query.production, str(backend.root)  # not a Path's str() per row
    for name, stat, status, text in rows:
        if stat is not None and stat == file_stat(root, name, root_fd=root_fd):
            # as indexed, so the index's filter holds for it
            append(IndexedMetadata(name, effective_status(status, name, production), text))
            continue
        meta = backend.read_metadata(name)
        if meta is None:
            return None  # deleted meanwhile
        meta["deployment_status"] = effective_status(
            meta.get("deployment_status"), name, production
        )
        if not matches(meta, query):
            return None  # edited behind the index's back
        append(meta)
    return found


@contextlib.contextmanager
def _opened(root: Path, rows: int) -> Iterator[int | None]:
    """The root, opened for a page of more than a few rows (each version's stat then starts
    there: 100,000 path walks fewer for `list all`); None where it is not worth two calls."""
    fd = None
    if rows > _FEW:
        with contextlib.suppress(OSError):
            fd = os.open(root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        yield fd
    finally:
        if fd is not None:
            os.close(fd)


#: rows up to which a page stats each version by its full path
_FEW = 8
