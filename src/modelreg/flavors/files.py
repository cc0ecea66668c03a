"""Any folder of files, for models the registry does not understand: stored, hashed, returned.

Wrap the folder (or a single file) in `ModelFiles` and register it like any model. Loading
gives back a `ModelFiles` whose `path` is a private copy, so the caller may read, or even
change, the files without touching the registry, whichever backend it is; the copy is removed
when the object is garbage collected (or the interpreter exits).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from .. import _fsutil
from ..errors import CorruptVersionError, InvalidInputError
from ..integrity import open_artifact_file
from .base import Flavor

__all__ = ["FILES_DIR", "FilesFlavor", "ModelFiles"]

FILES_DIR = "model"


class ModelFiles:
    """A model that is a folder of files (or one file) the registry keeps as they are."""

    def __init__(
        self, path: str | os.PathLike[str], *, progress: Callable[[int], None] | None = None
    ) -> None:
        """`progress`, if given, hears the bytes copied while the registry stores the files
        (a CLI's progress bar for a 1.5 GB model); it is not stored with the version."""
        self.path = Path(path)
        self.progress = progress
        if not self.path.exists():
            raise InvalidInputError(f"ModelFiles: {self.path} does not exist", path=str(path))

    def __fspath__(self) -> str:
        return str(self.path)

    def __repr__(self) -> str:
        return f"ModelFiles({str(self.path)!r})"

    @property
    def files(self) -> list[str]:
        """Relative names of every file, sorted."""
        return sorted(name for name, _ in _walk(self.path))


class FilesFlavor(Flavor):
    name = "files"
    required = True  # a pickle would keep only the path, not the files

    def detect(self, model: Any) -> bool:
        return isinstance(model, ModelFiles)

    def save(self, model: Any, folder: Path) -> dict[str, Any]:
        hashes = _copy_tree(model.path, folder / FILES_DIR, model.progress)
        named = {f"{FILES_DIR}/{name}": record for name, record in hashes.items()}
        record: dict[str, Any] = {"files": sorted(named), "hashes": named}
        if model.path.is_file():
            record["single_file"] = model.path.name
        return record

    def load(self, folder: Path, record: Mapping[str, Any], *, trust_pickle: bool) -> Any:
        """A private copy of exactly the files the record names (checked before loading),
        never whatever else the folder may hold."""
        source = folder / FILES_DIR
        if not source.is_dir():
            raise CorruptVersionError(f"{source} is missing: this version's files are gone")
        prefix = f"{FILES_DIR}/"
        names = [n for n in record.get("files") or [] if isinstance(n, str)]
        private = Path(tempfile.mkdtemp(prefix="modelreg-files-"))
        try:
            for name in names:
                if not name.startswith(prefix):
                    raise CorruptVersionError(f"{folder}: {name!r} is not below {FILES_DIR}/")
                with open_artifact_file(folder, name) as handle:  # the name rule holds
                    target = private / name[len(prefix) :]
                    _fsutil.make_dirs(target.parent)
                    _fsutil.copy_file_hashed(handle, target)
        except BaseException:
            shutil.rmtree(private, ignore_errors=True)
            raise
        single = str(record.get("single_file") or "")
        is_single = single and single == Path(single).name and (private / single).is_file()
        loaded = ModelFiles(private / single if is_single else private)
        weakref.finalize(loaded, shutil.rmtree, private, ignore_errors=True)
        return loaded


def _walk(root: Path) -> Iterator[tuple[str, Path]]:
    if root.is_file():
        yield root.name, root
        return
    for path in sorted(root.rglob("*")):
        if path.is_file():
            yield path.relative_to(root).as_posix(), path


def _copy_tree(
    source: Path, dest: Path, progress: Callable[[int], None] | None = None
) -> dict[str, dict[str, Any]]:
    """Copy every file below `source` (or the file itself) into `dest`, hashing as it goes."""
    hashes: dict[str, dict[str, Any]] = {}
    for name, path in _walk(source):
        target = dest / name
        _fsutil.make_dirs(target.parent)
        with open(path, "rb") as handle:
            digest, size = _fsutil.copy_file_hashed(handle, target, progress)
        hashes[name] = {"sha256": digest, "bytes": size}
    return hashes
