"""Artifact hashes: recorded at registration, checked before anything is loaded."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import _fsutil
from .errors import IntegrityError
from .metadata import METADATA_FILE

__all__ = ["hash_folder", "verify_files"]


def hash_folder(folder: Path, known: Mapping[str, Mapping[str, Any]] | None = None) -> dict:
    """`{relative name: {sha256, bytes}}` for every artifact below `folder` but metadata.json.

    Files already hashed while they were written (`known`) are not read again.
    """
    files: dict[str, dict[str, Any]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        if name == METADATA_FILE:
            continue
        if known and name in known:
            files[name] = dict(known[name])
            continue
        digest, size = _fsutil.hash_file(path)
        files[name] = {"sha256": digest, "bytes": size}
    return files


def verify_files(
    folder: Path, files: Mapping[str, Mapping[str, Any]], *, version: str | None = None
) -> None:
    """Raise IntegrityError for the first artifact that is missing, resized or changed."""
    for name, record in files.items():
        path = folder / name
        expected, size = record.get("sha256"), record.get("bytes")
        try:
            actual_size = path.stat().st_size
        except FileNotFoundError:
            raise IntegrityError(
                f"{path} is missing (version {version}); restore it or delete the version",
                version=version,
                path=str(path),
                expected_sha256=expected,
            ) from None
        if size is not None and actual_size != size:
            raise IntegrityError(
                f"{path} has {actual_size} bytes, {size} were registered (version {version}): "
                "it was truncated or changed; nothing was loaded",
                version=version,
                path=str(path),
                expected_sha256=expected,
            )
        digest, _ = _fsutil.hash_file(path)
        if digest != expected:
            raise IntegrityError(
                f"{path} does not match its registered sha256 (version {version}): expected "
                f"{expected}, found {digest}; nothing was loaded",
                version=version,
                path=str(path),
                expected_sha256=expected,
                actual_sha256=digest,
            )
