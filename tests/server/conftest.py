"""Fixtures for the server tests: a registry with rich versions, and in-process clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from modelreg import ModelRegistry
from modelreg.serving.server import create_app

from .support import READ_TOKEN, TOKENS, WRITE_TOKEN, auth, fill


@pytest.fixture
def served(tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(tmp_path / "models", lock_timeout=5)


@pytest.fixture
def names(served: ModelRegistry) -> list[str]:
    """Three registered versions, oldest first."""
    return fill(served, 3)


@pytest.fixture
def client(served: ModelRegistry) -> Iterator[TestClient]:
    """No token by default: each test says who it is (`reader` / `writer` headers)."""
    with TestClient(create_app(served, tokens=TOKENS), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def reader() -> dict[str, str]:
    return auth(READ_TOKEN)


@pytest.fixture
def writer() -> dict[str, str]:
    return auth(WRITE_TOKEN)
