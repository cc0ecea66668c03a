"""A folder model's own record (`.model/metadata.json`: its description and tags).

It lives in a folder of its own, so writing it leaves the registry root's fingerprint (and so
the index) alone. It is stored data like any other: bounded in size, and unreadable means
corrupt, never absent.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .. import _fsutil
from .._json_text import loads
from ..errors import CorruptVersionError
from ..lower_errors import translated
from ..metadata import METADATA_FILE, encode_metadata

__all__ = ["read_model_record", "write_model_record"]

_MODEL_DIR = ".model"
#: a model's record holds a description and tags: far below this
_MAX_MODEL_RECORD = 1 << 20


def _record_path(root: Path) -> Path:
    return root / _MODEL_DIR / METADATA_FILE


def read_model_record(root: Path) -> dict[str, Any] | None:
    """The record of the model in `root`, or None where none was written."""
    path = _record_path(root)
    try:
        with path.open("rb") as stream:
            raw = stream.read(_MAX_MODEL_RECORD + 1)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise CorruptVersionError(f"cannot read {path}: {exc}", path=str(path)) from exc
    try:
        if len(raw) > _MAX_MODEL_RECORD:
            raise ValueError(f"larger than {_MAX_MODEL_RECORD} bytes")
        record = loads(raw)
        if not isinstance(record, dict):
            raise ValueError("not a JSON object")
    except ValueError as exc:
        raise CorruptVersionError(
            f"{path} cannot be read ({exc}); restore it or delete it", path=str(path)
        ) from exc
    return record


def write_model_record(root: Path, metadata: Mapping[str, Any]) -> None:
    """Replace the record of the model in `root`, atomically and durably."""
    path = _record_path(root)
    with translated("update the model's record at", path):
        _fsutil.make_dirs(path.parent)
        _fsutil.atomic_write_bytes(path, encode_metadata(metadata))
