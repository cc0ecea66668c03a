"""Registries behind a real server for the attack tests: a folder, SQLite, PostgreSQL."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract.conftest import postgres_schema_url, postgres_url, s3_endpoint  # noqa: F401
from modelreg import ModelRegistry
from server.support import running_server

if importlib.util.find_spec("fastapi") is None:  # without the server extra there is no server
    collect_ignore_glob = ["test_*.py"]


def open_registry(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> ModelRegistry:
    """A fresh registry of `kind` (`folder`, `sqlite`, `postgresql`) for one test."""
    if kind == "folder":
        return ModelRegistry(tmp_path / "models", lock_timeout=10)
    if kind == "sqlite":
        return ModelRegistry(
            f"sqlite:///{tmp_path / 'registry.db'}", cache_dir=tmp_path / "cache", lock_timeout=10
        )
    url = request.getfixturevalue("postgres_schema_url")
    return ModelRegistry(
        url, artifacts=str(tmp_path / "artifacts"), cache_dir=tmp_path / "cache", lock_timeout=10
    )


KINDS = [
    pytest.param("folder"),
    pytest.param("sqlite"),
    pytest.param("postgresql", marks=pytest.mark.postgres),
]


@pytest.fixture(params=KINDS)
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ModelRegistry]:
    """The registry behind the server, on each backend the finding concerns."""
    registry = open_registry(request.param, request, tmp_path)
    yield registry
    registry.close()


@pytest.fixture
def url(served: ModelRegistry) -> Iterator[str]:
    """A real uvicorn server on a loopback port in front of `served`."""
    with running_server(served) as address:
        yield address
