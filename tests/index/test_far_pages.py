"""Pages pushed into the folder index and SQL match the one stated order, from either end.

A page past the middle of a long listing is read from the other end of its order (the
reversed order's first rows); the contract suite's registries are too small to get there, so
here the threshold is lowered to nothing and every page of every order is compared with the
Python statement of the order (`query.ordered`) over every version.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from modelreg import ModelRegistry
from modelreg.backends.base import Backend
from modelreg.query import VersionQuery
from modelreg.testing.support import make_result

COUNT = 23


@pytest.fixture(params=["folder", "sqlite"])
def registry(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> ModelRegistry:
    moments = iter(datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=i // 4) for i in range(99))
    monkeypatch.setattr("modelreg.operations.store.utc_now", lambda: next(moments))
    if request.param == "folder":
        registry = ModelRegistry(tmp_path / "models")
    else:
        registry = ModelRegistry(f"sqlite:///{tmp_path}/c.db", artifacts=str(tmp_path / "blobs"))
    names = []
    for i in range(COUNT):  # rmse repeats (ties); every fifth version has no sharpe
        metrics = {"rmse": float(i % 3)} | ({} if i % 5 == 0 else {"sharpe": i / 7})
        names.append(registry.register(make_result(i, **metrics)))
    registry.promote(names[4])
    registry.promote(names[9])
    monkeypatch.setattr("modelreg.backends.local_index_query._FAR", 0)
    monkeypatch.setattr("modelreg.backends.sql_listing._FAR", 0)
    return registry


@pytest.mark.parametrize("sort", ["version", "rmse", "sharpe", "status", "trained"])
@pytest.mark.parametrize("descending", [True, False])
def test_every_page_from_either_end(registry: ModelRegistry, sort: str, descending: bool) -> None:
    production = registry.current_version()
    whole = VersionQuery.checked(sort=sort, descending=descending).at(production)
    backend = registry.backend
    expected = [m["version"] for m in Backend.query(backend, whole)]  # the Python path
    assert len(expected) == COUNT
    for limit in (1, 5, 10):
        for offset in range(0, COUNT + 2):
            query = VersionQuery.checked(
                sort=sort, descending=descending, offset=offset, limit=limit
            ).at(production)
            page = [m["version"] for m in backend.query(query)]
            assert page == expected[offset : offset + limit], (sort, descending, offset, limit)


def test_a_filtered_far_page(registry: ModelRegistry) -> None:
    query = VersionQuery.checked(min_metrics={"sharpe": 0.5}, sort="sharpe", limit=3, offset=10)
    whole = VersionQuery.checked(min_metrics={"sharpe": 0.5}, sort="sharpe")
    expected = [v.version for v in registry.find_versions(whole)][10:13]
    assert [v.version for v in registry.find_versions(query)] == expected
    assert registry.count_versions(query) == len(registry.find_versions(whole))


def test_every_version_newest_first_is_read_in_one_statement(tmp_path: Path) -> None:
    """Nothing to sort, filter or skip: the rows come along the order's index in one
    statement, not as names first and their rows after, 500 at a time (`list all`)."""
    registry = ModelRegistry(tmp_path / "models")
    names = [registry.register(make_result(i, rmse=float(i))) for i in range(12)]
    index = registry.backend.index
    assert index is not None
    assert index.query(VersionQuery()) is not None  # fresh: the next query only reads
    statements: list[str] = []
    index._connect().set_trace_callback(statements.append)
    rows = index.query(VersionQuery.checked(limit=5))
    assert rows is not None and [row[0] for row in rows] == names[::-1][:5]
    assert [row[0] for row in index.query(VersionQuery()) or []] == names[::-1]
    pages = [s for s in statements if s.startswith("SELECT v.") or " IN (" in s]
    assert len(pages) == 2, pages  # one for each listing (a scan may come first: not counted)
    assert not any(" IN (" in s for s in pages)
