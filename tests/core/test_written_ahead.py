"""A promote writes the new holder's metadata.json ahead (`backends/local_ahead.py`).

Written before the old holder's rewrite, the new file's contents are fsynced with the old
one's, and its own write only renames it once the pointer's move is durable. A file written
ahead and not used (the move failed, or other metadata was written) is removed when the block
ends; nothing is written ahead outside a transaction.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest

from modelreg import ModelRegistry, _fsutil
from modelreg.backends.local import LocalBackend


def _temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".metadata.json."))


def _newcomer(
    first_promoted: tuple[ModelRegistry, list[str]],
) -> tuple[LocalBackend, str, dict[str, Any]]:
    """The folder backend, the version not in production, and its metadata."""
    registry, (_old, new) = first_promoted
    backend = registry.backend
    assert isinstance(backend, LocalBackend)
    meta = backend.read_metadata(new)
    assert meta is not None
    return backend, new, meta


def test_a_failed_move_leaves_no_file_written_ahead(
    first_promoted: tuple[ModelRegistry, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    registry, (old, new) = first_promoted
    root = Path(registry.path)

    def refused(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_fsutil, "replace_symlink", refused)
    with pytest.raises(Exception, match="No space left"):
        registry.promote_to_production(new)
    monkeypatch.undo()
    assert _temporaries(root / new) == [] and _temporaries(root / old) == []
    plain = LocalBackend(root, index=False)
    assert plain.read_metadata(old)["deployment_status"] == "production"  # type: ignore[index]
    assert plain.read_metadata(new)["deployment_status"] == "registered"  # type: ignore[index]
    assert registry.verify().problems == []


def test_a_write_of_other_metadata_replaces_the_file_written_ahead(
    first_promoted: tuple[ModelRegistry, list[str]],
) -> None:
    backend, new, meta = _newcomer(first_promoted)
    folder = backend.root / new
    with backend.transaction(), backend.metadata_ahead(new, {**meta, "note": "ahead"}):
        assert len(_temporaries(folder)) == 1
        backend.write_metadata(new, {**meta, "note": "written"})
        assert _temporaries(folder) == []
    assert backend.read_metadata(new)["note"] == "written"  # type: ignore[index]
    with backend.transaction(), backend.metadata_ahead(new, {**meta, "note": "unused"}):
        pass
    assert _temporaries(folder) == []
    assert backend.read_metadata(new)["note"] == "written"  # type: ignore[index]


def test_outside_a_transaction_nothing_is_written_ahead(
    first_promoted: tuple[ModelRegistry, list[str]],
) -> None:
    backend, new, meta = _newcomer(first_promoted)
    with backend.metadata_ahead(new, {**meta, "note": "x"}):
        assert _temporaries(backend.root / new) == []


def test_the_promoted_file_is_the_one_written_ahead(
    first_promoted: tuple[ModelRegistry, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One temporary per status, none made twice: the new holder's is renamed as written."""
    registry, (old, new) = first_promoted
    made: list[str] = []
    staged = _fsutil.StagedFile

    def counted(path: Path, data: bytes) -> _fsutil.StagedFile:
        made.append(path.parent.name)
        return staged(path, data)

    monkeypatch.setattr(_fsutil, "StagedFile", counted)
    with contextlib.closing(registry):
        registry.promote_to_production(new)
    assert made == [new, old]
    info = registry.get_version_info(new)
    assert info is not None and info["deployment_status"] == "production"


def test_nothing_is_written_ahead_where_pointers_are_folder_copies(
    first_promoted: tuple[ModelRegistry, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder-copy pointer copies the version's folder: a file written ahead would go too."""
    registry, (_old, new) = first_promoted
    monkeypatch.setattr(_fsutil, "symlinks_supported", lambda folder: False)
    registry.promote_to_production(new)
    copy = Path(registry.path) / "production" / "latest"
    assert copy.is_dir() and not copy.is_symlink()
    assert _temporaries(copy) == [] and _temporaries(Path(registry.path) / new) == []
