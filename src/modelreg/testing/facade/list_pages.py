"""Pages of a listing: `offset`, `sort`, `descending`, the total and the metrics that exist.

Every backend orders the same way (the order `VersionQuery` states): versions by registration
(`_9` before `_35`), missing sort values last, ties newest first.
"""

from __future__ import annotations

import pytest

from ... import InvalidInputError, ModelRegistry
from ...query import VersionQuery
from ..support import Clock, Open, make_result


@pytest.fixture
def paged(backend_factory: Open, clock: Clock) -> tuple[ModelRegistry, list[str]]:
    """Twelve versions, oldest first; the last eleven share one second (names _2 ... _11),
    and version 5 has no `sharpe`."""
    registry = backend_factory()
    names = []
    for seed in range(12):
        metrics = {"rmse": round(0.5 - (seed % 4) / 10, 2), "sharpe": float(seed)}
        if seed == 5:
            del metrics["sharpe"]
        names.append(registry.register(make_result(seed, **metrics)))
        if seed == 0:
            clock.tick(60)
    return registry, names


def _names(versions: list) -> list[str]:
    return [v.version for v in versions]


def test_pages_follow_the_version_order(paged: tuple[ModelRegistry, list[str]]) -> None:
    registry, n = paged
    assert n[-1].endswith("_11") and n[8].endswith("_8")  # so a string sort would differ
    newest = n[::-1]
    assert _names(registry.list_versions(limit=5)) == newest[:5]
    assert _names(registry.list_versions(limit=5, offset=5)) == newest[5:10]
    assert _names(registry.list_versions(offset=10)) == newest[10:]
    assert registry.list_versions(offset=12, limit=5) == []
    assert _names(registry.list_versions(limit=3, descending=False)) == n[:3]
    assert _names(registry.list_versions(offset=9, descending=False)) == n[9:]


def test_sort_by_a_metric_missing_last(paged: tuple[ModelRegistry, list[str]]) -> None:
    registry, n = paged
    by_sharpe = _names(registry.list_versions(sort="sharpe"))
    assert by_sharpe == [n[i] for i in (11, 10, 9, 8, 7, 6, 4, 3, 2, 1, 0, 5)]
    up = _names(registry.list_versions(sort="sharpe", descending=False, limit=3, offset=9))
    assert up == [n[10], n[11], n[5]]
    # ties (rmse repeats every 4) go newest first in both directions
    low = _names(registry.list_versions(sort="rmse", descending=False, limit=3))
    assert low == [n[11], n[7], n[3]]
    high = _names(registry.list_versions(sort="rmse", limit=3))
    assert high == [n[8], n[4], n[0]]
    assert _names(registry.list_versions(sort="no_such_metric", limit=2)) == [n[11], n[10]]


def test_sort_by_status_and_training_date(paged: tuple[ModelRegistry, list[str]]) -> None:
    registry, n = paged
    registry.promote(n[2])
    registry.promote(n[4])
    statuses = registry.list_versions(sort="status", descending=False)
    assert [v.deployment_status for v in statuses[:2]] == ["archived", "production"]
    assert _names(statuses[:2]) == [n[2], n[4]]
    assert _names(registry.list_versions(sort="status", limit=1)) == [n[11]]
    assert _names(registry.list_versions(sort="trained", descending=False, limit=1)) == [n[0]]


def test_filtered_pages_and_their_total(paged: tuple[ModelRegistry, list[str]]) -> None:
    registry, n = paged
    query = VersionQuery.checked(min_metrics={"sharpe": 3}, limit=2, offset=2)
    assert registry.count_versions(query) == 8  # 3..11 without 5
    assert _names(registry.find_versions(query)) == [n[9], n[8]]
    assert registry.count_versions() == 12
    registry.promote(n[7])
    assert registry.count_versions(VersionQuery.checked(status="production")) == 1
    assert registry.count_versions(VersionQuery.checked(status="registered")) == 11


def test_metric_names_count_the_versions_holding_each(
    paged: tuple[ModelRegistry, list[str]],
) -> None:
    registry, _ = paged
    assert registry.metric_names() == {"rmse": 12, "sharpe": 11}


def test_an_empty_registry_has_no_metrics(backend_factory: Open) -> None:
    registry = backend_factory()
    assert registry.metric_names() == {}
    assert registry.count_versions() == 0


@pytest.mark.parametrize(
    "kwargs",
    [{"offset": -1}, {"offset": 1.5}, {"sort": ""}, {"sort": "x" * 200}, {"descending": "no"}],
)
def test_bad_pages_raise(backend_factory: Open, kwargs: dict) -> None:
    with pytest.raises(InvalidInputError):
        backend_factory().list_versions(**kwargs)
