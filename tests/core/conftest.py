"""Helpers shared by the core behaviour tests: a settable clock and a folder snapshot."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest


class Clock:
    """Stands in for `modelreg.registry.utc_now`: a fixed moment, moved by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def tick(self, seconds: float = 1.0) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fixed = Clock(datetime(2026, 1, 26, 10, 30, 0, tzinfo=UTC))
    monkeypatch.setattr("modelreg.registry.utc_now", fixed)
    return fixed


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
