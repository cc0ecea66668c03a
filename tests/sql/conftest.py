"""SQL-specific tests share the contract suite's services (a PostgreSQL database, moto's S3)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from contract.conftest import postgres_schema_url, postgres_url, s3_endpoint  # noqa: F401
from modelreg import ModelRegistry

if importlib.util.find_spec("sqlalchemy") is None:  # without the sql extra there is nothing to test
    collect_ignore_glob = ["test_*.py"]


def opened_catalog(request: pytest.FixtureRequest, tmp_path: Path, kind: str) -> ModelRegistry:
    """A registry on a SQLite file or (`kind` "postgres") a PostgreSQL schema of its own, with
    its blobs and download cache in `tmp_path`, closed after the test."""
    url = (
        f"sqlite:///{tmp_path / 'registry.db'}"
        if kind == "sqlite"
        else request.getfixturevalue("postgres_schema_url")
    )
    registry = ModelRegistry(url, artifacts=str(tmp_path / "blobs"), cache_dir=tmp_path / "cache")
    request.addfinalizer(registry.close)
    return registry


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def registry(request: pytest.FixtureRequest, tmp_path: Path) -> ModelRegistry:
    return opened_catalog(request, tmp_path, request.param)
