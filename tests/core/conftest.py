"""Helpers shared by the core behaviour tests: a settable clock, a folder snapshot, and a
registry of two versions with the first in production."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from modelreg import ModelRegistry, TrainingResult


@pytest.fixture
def first_promoted(tmp_path: Path) -> tuple[ModelRegistry, list[str]]:
    """A registry of two versions, the first in production: what a promote starts from."""
    registry = ModelRegistry(tmp_path / "models")
    names = [
        registry.register(TrainingResult(model={"s": s}, metrics={"auc": s / 10}, features=["a"]))
        for s in range(2)
    ]
    registry.promote_to_production(names[0])
    return registry, names


def snapshot(root: Path) -> dict[str, str]:
    """Every entry below `root` (links by target, files by content hash, folders by name)."""
    found: dict[str, str] = {}
    if not root.exists():
        return found
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                found[rel] = "link:" + os.readlink(path)
            elif path.is_dir():
                found[rel] = "dir"
            else:
                found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found
