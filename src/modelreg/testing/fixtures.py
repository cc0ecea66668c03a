"""pytest fixtures for the facade suite: `pytest_plugins = ["modelreg.testing.fixtures"]`."""

from __future__ import annotations

import pytest

from .support import Clock, Open, OpenAs, acting_as

__all__ = ["as_person", "clock"]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Registrations and pointer moves happen at `clock.now`, which a test moves by hand."""
    fixed = Clock()
    monkeypatch.setattr("modelreg.operations.store.utc_now", fixed)
    monkeypatch.setattr("modelreg.operations.promotion.utc_now", fixed)
    return fixed


@pytest.fixture
def as_person(backend_factory: Open) -> OpenAs:
    """`as_person(name, **options)`: a registry on the backend under test acting as `name`.

    The suite uses "alice" and "bob". A backend that knows its callers by credentials (a
    server: by token) overrides this fixture to open one with that person's credentials.
    """
    return lambda name, **options: acting_as(backend_factory(**options), name)
