"""Channels without a scan of the root: a delete at 100,000 versions reads no listing of it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from modelreg import InvalidInputError, ModelRegistry, TrainingResult

from .test_same_results import age


def _result(seed: int) -> TrainingResult:
    return TrainingResult(model={"seed": seed}, metrics={"auc": 0.5}, features=["x"])


def _count_root_scans(monkeypatch: pytest.MonkeyPatch, root: Path) -> list[str]:
    scans: list[str] = []
    real = os.scandir

    def counting(path: Any = ".") -> Any:
        if os.fspath(path) == os.fspath(root):
            scans.append(os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", counting)
    return scans


def test_deletes_after_the_first_scan_read_no_listing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = ModelRegistry(tmp_path / "models", keep_versions=100)
    names = [registry.register(_result(i)) for i in range(6)]
    registry.promote_to_production(names[0])
    assert registry.delete_version(names[1])  # makes .trash: the root changes before the rename
    age(tmp_path / "models")
    scans = _count_root_scans(monkeypatch, tmp_path / "models")
    for name in names[2:]:
        assert registry.delete_version(name)
    assert len(scans) == 1  # the first delete's; its own renames keep the answer valid
    assert registry.channels() == {"production": names[0]}


def test_a_channel_made_by_hand_is_still_seen(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path / "models", keep_versions=100)
    names = [registry.register(_result(i)) for i in range(3)]
    registry.promote_to_production(names[0])
    age(tmp_path / "models")
    assert registry.delete_version(names[2])
    (tmp_path / "models" / "canary").mkdir()
    os.symlink(f"../{names[1]}", tmp_path / "models" / "canary" / "latest")
    with pytest.raises(InvalidInputError, match="canary"):
        registry.delete_version(names[1])
    assert registry.channels() == {"canary": names[1], "production": names[0]}


class _Uncounted:
    """A stat of the root as ext4 reports it past 65,000 subfolders: a link count of 1."""

    def __init__(self, st: os.stat_result) -> None:
        self._st = st
        self.st_nlink = 1

    def __getattr__(self, name: str) -> Any:
        return getattr(self._st, name)


def test_deletes_where_links_are_uncounted_list_no_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deletes each within a clock tick of the last, the first one making .trash, a listing
    after each, a cleanup: no listing of the root at all, by the channels or by the index.
    Before, every delete and every read after one scanned all 100,000 entries."""
    root = tmp_path / "models"
    registry = ModelRegistry(root, keep_versions=100)
    names = [registry.register(_result(i)) for i in range(8)]
    registry.promote_to_production(names[0])
    real_stat = os.stat

    def uncounted(path: Any, *args: Any, **kwargs: Any) -> Any:
        st = real_stat(path, *args, **kwargs)
        return _Uncounted(st) if os.fspath(path) == os.fspath(root) else st

    monkeypatch.setattr(os, "stat", uncounted)
    age(root)
    assert len(registry.list_versions()) == 8  # the index in step, the channels known
    scans = _count_root_scans(monkeypatch, root)
    for name in names[1:6]:
        assert registry.delete_version(name)
        assert [v.version for v in registry.list_versions(limit=2)] == [names[-1], names[-2]]
    assert registry.cleanup_old_versions(keep_versions=1) == [names[6]]
    assert scans == []
    assert registry.channels() == {"production": names[0]}
    assert [v.version for v in registry.list_versions()] == [names[7], names[0]]


def test_a_delete_stats_the_root_once_after_its_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The channel folders' cache and the index each need the root's stat after a delete's
    rename: one stat serves both."""
    root = tmp_path / "models"
    registry = ModelRegistry(root, keep_versions=100)
    names = [registry.register(_result(i)) for i in range(3)]
    registry.promote_to_production(names[0])
    assert registry.delete_version(names[1])  # makes .trash
    age(root)
    real_stat, real_rename = os.stat, os.rename
    seen: list[str] = []

    def stat(path: Any, *args: Any, **kwargs: Any) -> Any:
        if os.fspath(path) in (os.fspath(root), os.fspath(root / ".trash")):
            seen.append(os.path.basename(os.fspath(path)))
        return real_stat(path, *args, **kwargs)

    def rename(source: Any, dest: Any) -> None:
        seen.append("rename")
        real_rename(source, dest)

    monkeypatch.setattr(os, "stat", stat)
    monkeypatch.setattr(os, "rename", rename)
    assert registry.delete_version(names[2])
    assert seen[seen.index("rename") - 1 :] == ["models", "rename", "models"]
    assert registry.channels() == {"production": names[0]}
