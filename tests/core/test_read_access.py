"""The facade's small read calls that servers and services use instead of the backend."""

from __future__ import annotations

import hashlib

import pytest

from conftest import make_result
from modelreg import InvalidVersionError, ModelRegistry, VersionNotFoundError


def test_current_version_follows_the_pointer(registry: ModelRegistry) -> None:
    assert registry.current_version() is None
    first = registry.register(make_result(1))
    registry.promote(first, channel="staging")
    assert registry.current_version() is None
    assert registry.current_version("staging") == first
    registry.promote_to_production(first)
    assert registry.current_version() == first
    with pytest.raises(InvalidVersionError):
        registry.current_version("../production")


def test_stored_metadata_is_the_file_as_written(registry: ModelRegistry) -> None:
    name = registry.register(make_result(1))
    assert registry.stored_metadata("latest") is None
    registry.promote_to_production(name)
    stored = registry.stored_metadata("latest")
    assert stored is not None and stored["version"] == name
    assert "channels" not in stored and "path" not in stored  # nothing overlaid
    assert registry.stored_metadata("20200101_000000") is None


def test_open_artifact_reaches_only_registered_files(registry: ModelRegistry) -> None:
    name = registry.register(make_result(1))
    record = registry.stored_metadata(name)["files"]["model.pkl"]
    with registry.open_artifact(name, "model.pkl") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == record["sha256"]
    for filename in ("metadata.json", "../events.jsonl", "missing.bin"):
        with pytest.raises(VersionNotFoundError):
            registry.open_artifact(name, filename)
    with pytest.raises(VersionNotFoundError):
        registry.open_artifact("20200101_000000", "model.pkl")
