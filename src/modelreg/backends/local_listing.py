"""A folder registry's listing, read from its index: what changed on disk is read again.

A version whose metadata.json is as the index saw it (same inode, mtime and size) is listed
from the index, its fields kept as the index's JSON text (`IndexedMetadata`) until read; one
that changed is read from its file, and if it no longer matches the query the whole folder is
read instead, so a listing never differs from one without the index.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..versions import IndexedMetadata
from .base import VersionQuery, effective_status, matches
from .local_index import file_stat

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
    found: list[dict[str, Any] | IndexedMetadata] = []
    production, root = query.production, backend.root
    for name, stat, status, text in rows:
        if stat is not None and stat == file_stat(root, name):
            # as indexed, so the index's filter holds for it
            found.append(IndexedMetadata(name, effective_status(status, name, production), text))
            continue
        meta = backend.read_metadata(name)
        if meta is None:
            return None  # deleted meanwhile
        meta["deployment_status"] = effective_status(
            meta.get("deployment_status"), name, production
        )
        if not matches(meta, query):
            return None  # edited behind the index's back
        found.append(meta)
    return found
