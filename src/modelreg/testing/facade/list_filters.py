"""`list_versions` filters: metric thresholds both ways, dates, status, limit (pushed into SQL)."""

from __future__ import annotations

import pytest

from ... import InvalidInputError, ModelRegistry
from ..support import Clock, Open, make_result


@pytest.fixture
def populated(backend_factory: Open, clock: Clock) -> tuple[ModelRegistry, list[str]]:
    registry = backend_factory()
    names = []
    for seed, (acc, pf) in enumerate([(0.50, 1.0), (0.55, 1.4), (0.60, 0.9), (0.58, 1.6)]):
        result = make_result(seed, direction_accuracy=acc, profit_factor=pf, rmse=0.1 - acc / 10)
        names.append(
            registry.register(result, data_range={"start": "2025-01-01", "end": "2025-06-30"})
        )
        clock.tick(86400)
    registry.promote(names[1])
    registry.promote(names[3])
    return registry, names


def _names(versions: list) -> list[str]:
    return [v.version for v in versions]


def test_seed_thresholds(populated: tuple[ModelRegistry, list[str]]) -> None:
    registry, n = populated
    assert _names(registry.list_versions(min_direction_accuracy=0.55)) == [n[3], n[2], n[1]]
    assert _names(registry.list_versions(min_profit_factor=1.2)) == [n[3], n[1]]
    both = registry.list_versions(min_direction_accuracy=0.56, min_profit_factor=1.2)
    assert _names(both) == [n[3]]


def test_any_metric_either_direction(populated: tuple[ModelRegistry, list[str]]) -> None:
    registry, n = populated
    assert _names(registry.list_versions(max_metrics={"profit_factor": 1.0})) == [n[2], n[0]]
    assert _names(registry.list_versions(min_metrics={"no_such_metric": 0})) == []
    window = registry.list_versions(
        min_metrics={"direction_accuracy": 0.55}, max_metrics={"direction_accuracy": 0.58}
    )
    assert _names(window) == [n[3], n[1]]


def test_dates_status_and_limit(populated: tuple[ModelRegistry, list[str]]) -> None:
    registry, n = populated
    assert _names(registry.list_versions(trained_after="2026-01-27T00:00:00Z")) == [
        n[3],
        n[2],
        n[1],
    ]
    assert _names(registry.list_versions(trained_before="2026-01-27T10:30:00Z")) == [n[1], n[0]]
    assert _names(registry.list_versions(status="production")) == [n[3]]
    assert _names(registry.list_versions(status="archived")) == [n[1]]
    assert _names(registry.list_versions(status="registered")) == [n[2], n[0]]
    assert _names(registry.list_versions(limit=2)) == [n[3], n[2]]
    assert _names(registry.list_versions(limit=1, min_profit_factor=1.0)) == [n[3]]
    assert registry.list_versions(limit=0) == []


@pytest.mark.parametrize(
    "kwargs", [{"limit": -1}, {"status": "live"}, {"min_metrics": {"x": "high"}}, {"limit": 1.5}]
)
def test_bad_filters_raise(backend_factory: Open, kwargs: dict) -> None:
    with pytest.raises(InvalidInputError):
        backend_factory().list_versions(**kwargs)
