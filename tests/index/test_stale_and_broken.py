"""The folder is the truth: a deleted, corrupt, stale or failing index never changes an answer."""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from modelreg import ModelRegistry, TrainingResult
from modelreg.backends.local import LocalBackend
from modelreg.backends.local_index import INDEX_DIR, VersionIndex

from ._handmade import write_version
from .test_same_results import age


def _result(seed: int, auc: float) -> TrainingResult:
    return TrainingResult(model={"seed": seed}, metrics={"auc": auc}, features=["x"])


def _names(registry: ModelRegistry, **query: object) -> list[str]:
    return [v.version for v in registry.list_versions(**query)]  # type: ignore[arg-type]


@pytest.fixture
def filled(tmp_path: Path) -> tuple[ModelRegistry, list[str]]:
    registry = ModelRegistry(tmp_path / "models")
    names = [registry.register(_result(i, 0.5 + i / 100)) for i in range(4)]
    registry.promote_to_production(names[1])
    registry.promote_to_production(names[2])
    return registry, names


def _db(registry: ModelRegistry) -> Path:
    return Path(registry.path) / INDEX_DIR / "versions.sqlite"


def test_the_index_is_built_and_kept_in_step(filled: tuple[ModelRegistry, list[str]]) -> None:
    registry, names = filled
    assert _names(registry) == names[::-1]
    with sqlite3.connect(_db(registry)) as conn:
        rows = dict(conn.execute("SELECT name, status FROM versions"))
    assert rows[names[1]] == "archived" and rows[names[2]] == "production"
    assert _names(registry, status="archived") == [names[1]]
    assert _names(registry, min_metrics={"auc": 0.52}, limit=1) == [names[3]]


def test_deleting_the_index_changes_nothing(filled: tuple[ModelRegistry, list[str]]) -> None:
    registry, _ = filled
    before = _names(registry, min_metrics={"auc": 0.51})
    shutil.rmtree(Path(registry.path) / INDEX_DIR)
    assert _names(registry, min_metrics={"auc": 0.51}) == before
    assert _db(registry).exists(), "rebuilt on first use"
    newer = registry.register(_result(9, 0.9))  # a process holding the old file must notice too
    assert _names(registry, limit=1) == [newer]


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "wrong-rows"])
def test_a_damaged_index_is_rebuilt_never_trusted(
    filled: tuple[ModelRegistry, list[str]], damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    registry, names = filled
    expected = _names(registry)
    registry.close()
    db = _db(registry)
    if damage == "garbage":
        db.write_bytes(b"this is not a database" * 100)
    elif damage == "truncated":
        db.write_bytes(db.read_bytes()[:1000])
    elif damage == "empty":
        db.write_bytes(b"")
    else:  # valid SQLite, wrong content: a half-finished write left it dirty
        with sqlite3.connect(db) as conn:
            conn.execute("DELETE FROM versions WHERE name = ?", (names[0],))
            conn.execute("UPDATE state SET dirty = 1")
    fresh = ModelRegistry(registry.path)
    with caplog.at_level(logging.WARNING, logger="modelreg"):
        assert _names(fresh) == expected
        assert _names(fresh, status="archived") == [names[1]]


def test_versions_copied_in_or_removed_by_hand_are_seen(
    filled: tuple[ModelRegistry, list[str]], tmp_path: Path
) -> None:
    registry, names = filled
    root = Path(registry.path)
    assert _names(registry) == names[::-1]
    age(root)
    assert _names(registry) == names[::-1]  # now trusted by fingerprint alone
    shutil.rmtree(root / names[0])
    write_version(root, "20990101_000000", metrics={"auc": 0.99})
    assert _names(registry, min_metrics={"auc": 0.5}) == [
        "20990101_000000",
        names[3],
        names[2],
        names[1],
    ]
    assert names[0] not in registry.backend.version_names()


def test_a_copy_in_progress_appears_when_its_metadata_arrives(
    filled: tuple[ModelRegistry, list[str]], tmp_path: Path
) -> None:
    registry, _ = filled
    root = Path(registry.path)
    partial = root / "20990101_000000"
    partial.mkdir()
    (partial / "model.pkl").write_bytes(b"half")
    assert "20990101_000000" not in _names(registry)
    age(root)
    assert "20990101_000000" not in _names(registry)
    # the copy finishes: a file appears inside the folder, and the root itself does not change
    done = write_version(tmp_path / "elsewhere", "20990101_000000", metrics={"auc": 0.7})
    stamp = os.stat(root).st_mtime_ns
    shutil.copy(done / "metadata.json", partial / "metadata.json")
    assert os.stat(root).st_mtime_ns == stamp
    assert _names(registry, limit=1) == ["20990101_000000"]


def test_a_failing_index_never_fails_a_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: VersionIndex) -> sqlite3.Connection:
        raise sqlite3.OperationalError("disk I/O error")

    registry = ModelRegistry(tmp_path / "models")
    first = registry.register(_result(0, 0.5))
    assert _names(registry) == [first]
    monkeypatch.setattr(VersionIndex, "_connect", broken)
    second = registry.register(_result(1, 0.6))
    assert registry.promote_to_production(second)
    assert registry.cleanup_old_versions(keep_versions=1) == [first]
    assert _names(registry, status="production") == [second]
    monkeypatch.undo()
    assert _names(registry) == [second]
    assert _names(registry, status="production") == [second]


def test_an_interrupted_status_update_leaves_the_index_dirty(
    filled: tuple[ModelRegistry, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    registry, names = filled
    index = registry.backend.index
    assert isinstance(index, VersionIndex)
    assert _names(registry, status="registered") == [names[3], names[0]]
    # a crash after the file was rewritten, before the index heard of it
    mark = index.begin_change(names[3])
    assert mark is not None and mark()
    path = Path(registry.path) / names[3] / "metadata.json"
    path.write_text(path.read_text().replace('"registered"', '"archived"'))
    assert _names(registry, status="registered") == [names[0]]
    assert _names(registry, status="archived") == [names[3], names[1]]


def test_without_the_index_nothing_is_written(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "models", index=False)
    registry = ModelRegistry(backend=backend)
    name = registry.register(_result(0, 0.5))
    assert _names(registry) == [name]
    assert not (tmp_path / "models" / INDEX_DIR).exists()


def test_a_metadata_file_edited_by_hand_is_read_again(
    filled: tuple[ModelRegistry, list[str]],
) -> None:
    registry, names = filled
    assert registry.list_versions(limit=1)[0].metrics == {"auc": 0.53}
    path = Path(registry.path) / names[3] / "metadata.json"
    path.write_text(path.read_text().replace('"auc": 0.53', '"auc": 0.99'))
    assert registry.list_versions(limit=1)[0].metrics == {"auc": 0.99}
    assert _names(registry, max_metrics={"auc": 0.6}, limit=1) == [names[2]]


def test_listing_every_version_sees_a_hand_edit_as_a_page_of_ten_does(tmp_path: Path) -> None:
    """`list all` stats each version from the opened root (more than a few rows) and reads
    its rows in one statement: an edited file is still read again, and only that one."""
    registry = ModelRegistry(tmp_path / "models")
    names = [registry.register(_result(i, 0.5 + i / 100)) for i in range(12)]
    assert [v.version for v in registry.list_versions()] == names[::-1]
    path = Path(registry.path) / names[5] / "metadata.json"
    path.write_text(path.read_text().replace('"auc": 0.55', '"auc": 0.99'))
    every = registry.list_versions()
    assert [v.version for v in every] == names[::-1]
    assert {v.version: v.metrics["auc"] for v in every}[names[5]] == 0.99
    assert every[0].path == Path(registry.path) / names[-1]  # each row its own path
    assert every[-1].path == Path(registry.path) / names[0]
