"""The SQL listing answers exactly what the reference filter (`base.matches`) answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import make_result
from modelreg import ModelRegistry
from modelreg.backends.base import Backend, VersionQuery

START = datetime(2026, 1, 1, tzinfo=UTC)
METRICS = ("accuracy", "sharpe")


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> ModelRegistry:
    root: Path = tmp_path_factory.mktemp("pushdown")
    registry = ModelRegistry(f"sqlite:///{root / 'registry.db'}", cache_dir=root / "cache")
    names = []
    for seed in range(10):
        metrics = {"accuracy": 0.5 + (seed * 7 % 10) / 100}
        if seed % 3:
            metrics["sharpe"] = (seed * 3 % 7) / 2 - 1
        result = make_result(seed, **metrics)
        result.training_date = START + timedelta(days=seed * 3)
        names.append(registry.register(result))
    for name in (names[2], names[5], names[7]):
        registry.promote(name)
    return registry


thresholds = st.dictionaries(
    st.sampled_from(METRICS), st.floats(-1.5, 2.5, allow_nan=False), max_size=2
)


@settings(max_examples=80, deadline=None)
@given(
    min_metrics=thresholds,
    max_metrics=thresholds,
    after=st.none() | st.integers(0, 30),
    before=st.none() | st.integers(0, 30),
    status=st.none() | st.sampled_from(["registered", "production", "archived"]),
    limit=st.none() | st.integers(1, 12),
)
def test_sql_filters_match_the_reference(
    registry: ModelRegistry,
    min_metrics: dict[str, float],
    max_metrics: dict[str, float],
    after: int | None,
    before: int | None,
    status: str | None,
    limit: int | None,
) -> None:
    query = VersionQuery(
        min_metrics=min_metrics,
        max_metrics=max_metrics,
        trained_after=None if after is None else START + timedelta(days=after),
        trained_before=None if before is None else START + timedelta(days=before),
        status=status,
        limit=limit,
        production=registry.channels().get("production"),
    )
    backend = registry.backend
    assert backend.query(query) == Backend.query(backend, query)


@settings(max_examples=60, deadline=None)
@given(
    min_metrics=thresholds,
    status=st.none() | st.sampled_from(["registered", "production", "archived"]),
    sort=st.sampled_from(["version", "status", "trained", "accuracy"]),
    descending=st.booleans(),
    offset=st.integers(0, 4),
    limit=st.none() | st.integers(1, 12),
)
def test_a_listing_with_its_pointers_in_one_statement_matches_the_reference(
    registry: ModelRegistry,
    min_metrics: dict[str, float],
    status: str | None,
    sort: str,
    descending: bool,
    offset: int,
    limit: int | None,
) -> None:
    """Production read inside the statement filters and sorts as `query.production` does."""
    query = VersionQuery(
        min_metrics=min_metrics,
        status=status,
        sort=sort,
        descending=descending,
        offset=offset,
        limit=limit,
    )
    backend = registry.backend
    pointers = backend.pointers()
    page, found = backend.query_with_pointers(query)
    assert page == Backend.query(backend, query.at(pointers["production"]))
    assert found == (pointers if page else {})
