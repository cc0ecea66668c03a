"""A folder store's blob put in place: linked from the writer's own staged file, else copied.

A version's files are staged on the writer's disk (the cache's filesystem) before they are
stored. A folder store on that filesystem needs no second copy of the bytes: a staged file
that is the writer's own (a regular file no other name shares, so never a caller's file staged
by a link) is hard-linked beside its blob and hashed there; across filesystems, where links are
refused, or for any other file, the bytes are copied and hashed on the way. Either way the
temporary is made durable and renamed onto the blob's name only when its hash is that name,
so a writer killed mid-put leaves a temporary (`ArtifactStore.leftovers`), never a half blob.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from .. import _fsutil

__all__ = ["write_blob"]


def write_blob(path: Path, target: Path, temporary: str, *, own: bool) -> tuple[str, int, bool]:
    """Put `path`'s bytes at `target` (named by their sha256) through `temporary`, a name
    beside it, unless they are not what that name says; returns their sha256 and size, and
    whether `path` itself became the blob (linked).

    `own`: `path` is the writer's own staged file, which it may share with the store.
    """
    _fsutil.make_dirs(target.parent)
    tmp = target.with_name(temporary)
    try:
        linked = own and _fsutil.link_sole_file(path, tmp)
        if linked:
            digest, size = _fsutil.hash_file(tmp)
        else:
            with open(path, "rb") as source:
                digest, size = _fsutil.copy_file_hashed(source, tmp)
        if digest == target.name:
            _fsutil.publish_file(tmp, target, replace=True)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return digest, size, linked
