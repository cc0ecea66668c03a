"""Register, list, read and load: the same answers from every backend."""

from __future__ import annotations

import numpy as np
import pytest

from ..support import Clock, Open, make_result


def test_register_names_by_utc_time_and_lists_newest_first(
    backend_factory: Open, clock: Clock
) -> None:
    registry = backend_factory()
    first = registry.register(make_result(1))
    second = registry.register(make_result(2))
    clock.tick(60)
    third = registry.register(make_result(3))
    assert (first, second, third) == ("20260126_103000", "20260126_103000_2", "20260126_103100")
    assert [v.version for v in registry.list_versions()] == [third, second, first]


def test_a_second_handle_sees_the_same_registry(backend_factory: Open, clock: Clock) -> None:
    name = backend_factory().register(
        make_result(1), data_range={"start": "2025-01-01", "end": "2025-06-30"}
    )
    info = backend_factory().get_version_info(name)
    assert info is not None
    assert info["version"] == name
    assert info["metrics"] == make_result(1).metrics
    assert info["data_range"]["start"].startswith("2025-01-01")
    assert info["deployment_status"] == "registered"
    assert set(info["files"]) >= set(info["model"]["files"])


def test_load_round_trips_the_model(backend_factory: Open) -> None:
    registry = backend_factory()
    result = make_result(4)
    name = registry.register(result)
    loaded = registry.load_version(name)
    assert loaded is not None
    X = np.ones((2, 3))
    np.testing.assert_allclose(loaded.model.predict(X), result.model.predict(X))
    assert loaded.metrics == result.metrics
    assert loaded.features == result.features


def test_metadata_extra_is_kept(backend_factory: Open) -> None:
    registry = backend_factory()
    name = registry.register(make_result(), metadata_extra={"owner": "team-a", "run": 7})
    info = registry.get_version_info(name)
    assert info is not None
    assert (info["owner"], info["run"]) == ("team-a", 7)


def test_not_found_is_none_or_false(backend_factory: Open) -> None:
    registry = backend_factory()
    assert registry.get_version_info("20990101_000000") is None
    assert registry.load_version("20990101_000000") is None
    assert registry.load_version() is None  # no production yet
    assert registry.promote_to_production("20990101_000000") is False
    assert registry.rollback_to_version("20990101_000000") is False
    assert registry.rollback_to_version() is False
    assert registry.list_versions() == []
    assert registry.channels() == {}
    assert registry.history() == []


HOSTILE = [
    "../etc",
    "..",
    "/abs/path",
    "20260126_103000/../x",
    "",
    "latest/..",
    "a" * 300,
    "20261399_000000",
    "20260126_103000_0",
    "20260126_103000\n",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_are_refused_everywhere(backend_factory: Open, name: str) -> None:
    registry = backend_factory()
    registry.register(make_result())
    for call in (
        lambda: registry.get_version_info(name),
        lambda: registry.load_version(name),
        lambda: registry.promote_to_production(name),
        lambda: registry.rollback_to_version(name),
        lambda: registry.compare_versions(name, "latest"),
        lambda: registry.delete_version(name),
        lambda: registry.promote(registry.list_versions()[0].version, channel=name),
    ):
        with pytest.raises(ValueError):
            call()
    assert len(registry.list_versions()) == 1


def test_identical_artifacts_are_stored_once(backend_factory: Open) -> None:
    registry = backend_factory(model_format="pickle")  # skops files are not byte-reproducible
    a = registry.register(make_result(5))
    b = registry.register(make_result(5))
    info_a, info_b = registry.get_version_info(a), registry.get_version_info(b)
    assert info_a is not None and info_b is not None
    assert info_a["files"]["model.pkl"] == info_b["files"]["model.pkl"]
    store = getattr(getattr(registry.operations, "backend", None), "artifact_store", None)
    if store is not None:  # content-addressed: one blob serves both versions
        assert len(store.blobs()) == 1
