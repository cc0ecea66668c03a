"""The listing filter is one rule: `query.FILTERS`, read by three compilers that agree.

The Python matcher (`query.matches`), the SQLAlchemy compiler (`backends/sql_query.py`) and the
folder index's SQLite compiler (`backends/local_index_query.py`) each know only how a subject reads
and how a comparison is spelled. These tests fail when a `VersionQuery` field is no filter and
no declared non-filter, when a compiler cannot read a subject or spell a comparison, and when
the three answer differently on random queries over versions with metrics, dates, statuses and
tags.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelreg import ModelRegistry
from modelreg.query import (
    COMPARISONS,
    FILTERS,
    NOT_FILTERS,
    SUBJECTS,
    VersionQuery,
    conditions,
    matches,
)
from modelreg.testing.support import make_result

sql_query = pytest.importorskip("modelreg.backends.sql_query")
local_index = pytest.importorskip("modelreg.backends.local_index_query")

START = datetime(2026, 1, 1, tzinfo=UTC)
METRICS = ("auc", "rmse")
TAGS = {"owner": ("alice", "bob"), "dataset": ("v2", "v3")}
#: one example value per filter field, enough to compile it
EXAMPLES: dict[str, Any] = {
    "min_metrics": {"auc": 0.5},
    "max_metrics": {"rmse": 0.2},
    "trained_after": START,
    "trained_before": START + timedelta(days=3),
    "status": "archived",
    "tags": {"owner": "alice"},
}
#: what fails each example (a metric or tag on the wrong side, or absent; a date outside)
FAILS: dict[str, dict[str, Any]] = {
    "min_metrics": {"metrics": {"auc": 0.4, "rmse": 0.1}},
    "max_metrics": {"metrics": {"auc": 0.7}},
    "trained_after": {"training_date": "2025-12-31T23:59:59Z"},
    "trained_before": {"training_date": "2026-01-04T00:00:01Z"},
    "status": {"deployment_status": "registered"},
    "tags": {"tags": {"owner": "bob"}},
}


def test_every_query_field_is_a_declared_filter_or_declared_not_one() -> None:
    fields = {f.name for f in dataclasses.fields(VersionQuery)}
    filters = {spec.field for spec in FILTERS}
    assert filters.isdisjoint(NOT_FILTERS)
    assert fields == filters | NOT_FILTERS
    assert set(EXAMPLES) == set(FAILS) == filters, "give a new filter an example and a failure"
    for spec in FILTERS:
        assert spec.subject in SUBJECTS
        assert spec.comparison in COMPARISONS


def test_every_compiler_reads_every_subject_and_spells_every_comparison() -> None:
    assert set(sql_query._SUBJECTS) == set(SUBJECTS)
    assert set(local_index._SUBJECTS) == set(SUBJECTS)
    assert set(local_index._SQL_COMPARISONS) == set(COMPARISONS)


@pytest.mark.parametrize("spec", FILTERS, ids=lambda spec: spec.field)
def test_each_filter_compiles_to_one_condition_in_every_language(spec: Any) -> None:
    query = VersionQuery(**{spec.field: EXAMPLES[spec.field]}, production="20260101_000000")
    assert [(c.subject, c.comparison) for c in conditions(query)] == [
        (spec.subject, spec.comparison)
    ]
    assert len(sql_query.version_filters(query)) == 1
    where, params = local_index._where(query)
    assert len(where) == 1 and params
    meta = {
        "version": "20260101_000000",
        "training_date": "2026-01-02T00:00:00Z",
        "deployment_status": "archived",
        "metrics": {"auc": 0.7, "rmse": 0.1},
        "tags": {"owner": "alice"},
    }
    assert matches(meta, query)
    assert not matches({**meta, **FAILS[spec.field]}, query)  # a dropped rule would pass it


@pytest.fixture(scope="module")
def registries(tmp_path_factory: pytest.TempPathFactory) -> tuple[ModelRegistry, ModelRegistry]:
    """A folder registry (with its index) and a SQLite catalog holding the same 14 versions."""
    root: Path = tmp_path_factory.mktemp("filters")
    folder = ModelRegistry(root / "folder")
    catalog = ModelRegistry(f"sqlite:///{root / 'catalog.db'}", cache_dir=root / "cache")
    for registry in (folder, catalog):
        names = []
        for seed in range(14):
            metrics = {"auc": 0.5 + (seed * 7 % 10) / 20}
            if seed % 3:
                metrics["rmse"] = (seed * 3 % 7) / 20
            result = make_result(seed, **metrics)
            result.training_date = START + timedelta(days=seed % 6)
            names.append(registry.register(result))
            tags = {
                key: values[(seed >> bit) % 2]
                for bit, (key, values) in enumerate(TAGS.items())
                if seed % (bit + 2)
            }
            if tags:
                registry.set_tags(names[-1], tags)
        for name in (names[2], names[5], names[9]):
            registry.promote(name)
    return folder, catalog


@st.composite
def queries(draw: st.DrawFn) -> dict[str, Any]:
    bounds = st.dictionaries(st.sampled_from(METRICS), st.sampled_from([0.0, 0.2, 0.5, 0.8, 1.0]))
    query: dict[str, Any] = {
        "min_metrics": draw(bounds),
        "max_metrics": draw(bounds),
        "status": draw(st.none() | st.sampled_from(["registered", "production", "archived"])),
        "tags": draw(
            st.dictionaries(st.sampled_from(list(TAGS)), st.sampled_from(["alice", "bob", "v3"]))
        ),
    }
    for key in ("trained_after", "trained_before"):
        days = draw(st.none() | st.integers(0, 6))
        query[key] = None if days is None else START + timedelta(days=days)
    return query


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(asked=queries())
def test_python_sqlalchemy_and_the_index_agree(
    registries: tuple[ModelRegistry, ModelRegistry], asked: dict[str, Any]
) -> None:
    folder, catalog = registries
    answers = []
    for registry in (folder, catalog):
        query = VersionQuery.checked(**asked).at(registry.channels().get("production"))
        every = [v.version for v in registry.list_versions()]
        reference = [n for n in every if matches(_effective(registry, n), query)]
        pushed = [v.version for v in registry.list_versions(**asked)]
        assert pushed == reference
        assert registry.count_versions(query) == len(reference)
        # a version is known by its place: both registries registered them in the same order
        answers.append([every.index(n) for n in reference])
    at_folder = VersionQuery.checked(**asked).at(folder.channels().get("production"))
    indexed = folder.backend.index.query(at_folder)
    assert indexed is not None, "the index gave up, so its SQL went untested"
    assert [row[0] for row in indexed] == [v.version for v in folder.list_versions(**asked)]
    assert answers[0] == answers[1]


@settings(max_examples=150, deadline=None)
@given(
    asked=queries(),
    page=st.fixed_dictionaries(
        {
            "limit": st.none() | st.integers(0, 50),
            "offset": st.integers(0, 50),
            "sort": st.sampled_from(["version", "trained", "status", "auc"]),
            "descending": st.booleans(),
        }
    ),
)
def test_a_query_survives_its_url_encoding(asked: dict[str, Any], page: dict[str, Any]) -> None:
    """What the remote client sends, read back the way the route reads it, is the same query."""
    query = VersionQuery.checked(**asked, **page)
    sent = {k: v if isinstance(v, list) else str(v) for k, v in query.to_params().items()}
    typed = {"limit": int, "offset": int, "descending": lambda v: v == "true"}
    decoded = VersionQuery.from_params(
        floors=sent.pop("min", []),
        ceilings=sent.pop("max", []),
        tags=sent.pop("tag", []),
        **{k: typed.get(k, str)(v) for k, v in sent.items()},
    )
    assert decoded == query


def test_the_listing_route_takes_every_filter_parameter() -> None:
    pytest.importorskip("fastapi")
    from modelreg.serving.server import create_app

    app = create_app(ModelRegistry(Path("models")), anonymous_read=True)
    route = app.openapi()["paths"]["/api/versions"]["get"]
    assert {spec.param for spec in FILTERS} <= {p["name"] for p in route["parameters"]}


def _effective(registry: ModelRegistry, name: str) -> dict[str, Any]:
    info = registry.get_version_info(name)
    assert info is not None
    return info


def _reference(registry: ModelRegistry, asked: dict[str, Any]) -> list[str]:
    """What the Python matcher answers for `asked`, newest first."""
    query = VersionQuery.checked(**asked).at(registry.channels().get("production"))
    every = [v.version for v in registry.list_versions()]
    return [n for n in every if matches(_effective(registry, n), query)]


def test_queries_of_one_shape_share_one_statement_and_get_their_own_answers(
    registries: tuple[ModelRegistry, ModelRegistry],
) -> None:
    """The catalog compiles a listing once per shape; a value is a parameter, never baked in."""
    sql_listing = pytest.importorskip("modelreg.backends.sql_listing")
    _, catalog = registries
    asked = [
        {"min_metrics": {"auc": 0.5}, "trained_after": START, "tags": {"owner": "alice"}},
        {"min_metrics": {"auc": 0.8}, "trained_after": START + timedelta(days=2), "tags": {}},
        {"min_metrics": {"rmse": 0.2}, "trained_after": START + timedelta(days=1), "tags": {}},
    ]
    asked[1]["tags"], asked[2]["tags"] = {"owner": "bob"}, {"dataset": "v3"}  # same shape
    catalog.list_versions(**asked[0], limit=5)
    catalog.count_versions(VersionQuery.checked(**asked[0]))
    shapes = len(sql_listing.SHAPES)
    answers = []
    for each in asked:
        reference = _reference(catalog, each)
        assert [v.version for v in catalog.list_versions(**each, limit=5)] == reference[:5]
        assert catalog.count_versions(VersionQuery.checked(**each)) == len(reference)
        answers.append(reference)
    assert len(sql_listing.SHAPES) == shapes, "one shape, so no statement compiled again"
    assert answers[0] != answers[1] != answers[2], "values that pick different versions"


def test_the_shape_cache_is_bounded_and_answers_after_an_eviction(
    registries: tuple[ModelRegistry, ModelRegistry], monkeypatch: pytest.MonkeyPatch
) -> None:
    sql_listing = pytest.importorskip("modelreg.backends.sql_listing")
    _, catalog = registries
    small = sql_listing.ShapeCache(size=2)
    monkeypatch.setattr(sql_listing, "SHAPES", small)
    shapes = [
        {"min_metrics": {"auc": 0.6}},
        {"max_metrics": {"rmse": 0.2}},
        {"tags": {"owner": "alice"}},
        {"status": "archived"},
        {"trained_before": START + timedelta(days=3)},
        {"min_metrics": {"auc": 0.6}},  # evicted by now: compiled again
    ]
    for asked in shapes:
        assert [v.version for v in catalog.list_versions(**asked)] == _reference(catalog, asked)
        assert len(small) <= 2
    assert len(small) == 2
