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
