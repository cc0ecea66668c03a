"""A version that does not exist gets the original API's returns on every backend.

`load_version` and `get_version_info` give None, `promote_to_production` and
`rollback_to_version` False, `list_versions` and `cleanup_old_versions` an empty list, and
`compare_versions` counts the missing side as having no metrics. `latest` before any promotion
is such a version. Nothing is written by any of these calls.
"""

from __future__ import annotations

import pytest

from ... import InvalidVersionError, VersionNotFoundError
from ..support import Open, make_result

MISSING = "20200101_000000"


def test_an_empty_registry_answers_every_original_method(backend_factory: Open) -> None:
    registry = backend_factory()
    assert registry.list_versions() == []
    assert registry.list_versions(min_direction_accuracy=0.5, limit=3) == []
    assert registry.cleanup_old_versions() == []
    assert registry.load_version() is None
    assert registry.load_version("latest") is None
    assert registry.get_version_info("latest") is None
    assert registry.compare_versions("latest", MISSING) == {}  # neither side has a metric
    assert registry.rollback_to_version() is False
    assert registry.rollback_to_version(MISSING) is False
    assert registry.promote_to_production(MISSING) is False
    assert registry.channels() == {} and registry.events() == []
    version = registry.register(make_result())  # the storage is made on the first write
    assert [v.version for v in registry.list_versions()] == [version]


@pytest.mark.parametrize("move", ["promote_to_production", "rollback_to_version"])
def test_latest_is_refused_where_a_version_is_chosen(backend_factory: Open, move: str) -> None:
    """`latest` is production itself, easily taken for "the newest": refused, by name."""
    registry = backend_factory()
    for _ in range(2):  # on an empty registry, and with a production
        with pytest.raises(InvalidVersionError, match="'latest' is the production version"):
            getattr(registry, move)("latest")
        registry.promote_to_production(registry.register(make_result()))
    assert len(registry.history()) == 2


def test_a_missing_version_gets_none_false_or_no_metrics(backend_factory: Open) -> None:
    registry = backend_factory()
    a = registry.register(make_result(direction_accuracy=0.55, rmse=0.01))
    assert registry.load_version(MISSING) is None
    assert registry.get_version_info(MISSING) is None
    assert registry.promote_to_production(MISSING) is False
    assert registry.rollback_to_version(MISSING) is False
    assert registry.channels() == {}
    assert [v.version for v in registry.list_versions()] == [a]


@pytest.mark.parametrize("other", ["latest", MISSING])
def test_compare_with_a_missing_side(backend_factory: Open, other: str) -> None:
    """The seed's gate, `comparison[m]["winner"] == version`, is simply False: no crash."""
    registry = backend_factory()
    a = registry.register(make_result(direction_accuracy=0.55, rmse=0.01))
    comparison = registry.compare_versions(a, other)
    assert sorted(comparison) == ["direction_accuracy", "rmse"]
    row = comparison["direction_accuracy"]
    assert (row["version1"], row["version2"]) == (a, other)
    assert (row["value1"], row["value2"], row["difference"], row["winner"]) == (
        0.55,
        None,
        None,
        None,
    )
    flipped = registry.compare_versions(other, a)["rmse"]
    assert (flipped["value1"], flipped["value2"], flipped["winner"]) == (None, 0.01, None)
    with pytest.raises(VersionNotFoundError, match=other):
        registry.compare_versions(a, other, missing_ok=False)
    assert registry.channels() == {}
