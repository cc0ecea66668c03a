"""pytest fixtures for the facade suite: `pytest_plugins = ["modelreg.testing.fixtures"]`."""

from __future__ import annotations

import pytest

from .support import Clock

__all__ = ["clock"]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Registrations and pointer moves happen at `clock.now`, which a test moves by hand."""
    fixed = Clock()
    monkeypatch.setattr("modelreg.operations.store.utc_now", fixed)
    return fixed
