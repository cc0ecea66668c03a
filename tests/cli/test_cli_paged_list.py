"""`list --json` and `list -q` read the listing a page at a time (flat memory at 100,000
versions): the pages together are exactly the one listing, even while versions come and go."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from modelreg import ModelRegistry, TrainingResult
from modelreg.cli import browse
from modelreg.cli.browse import paged_versions


def _result(seed: int) -> TrainingResult:
    return TrainingResult(model={"seed": seed}, metrics={"auc": seed / 100}, features=["a"])


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browse, "_FIRST_PAGE", 2)
    monkeypatch.setattr(browse, "_LARGEST_PAGE", 4)
    monkeypatch.setattr(browse, "_OVERLAP", 1)


@pytest.fixture
def filled(tmp_path: Path) -> tuple[ModelRegistry, list[str]]:
    registry = ModelRegistry(tmp_path / "models")
    names = [registry.register(_result(seed)) for seed in range(13)]
    return registry, names


def _names(versions: Any) -> list[str]:
    return [v.version for v in versions]


@pytest.mark.usefixtures("small_pages")
@pytest.mark.parametrize("limit", [None, 0, 1, 2, 5, 13, 20])
def test_the_pages_are_the_listing(
    filled: tuple[ModelRegistry, list[str]], limit: int | None
) -> None:
    registry = filled[0]
    whole = registry.list_versions(limit=limit)
    paged = list(paged_versions(registry, limit, {}))
    assert _names(paged) == _names(whole)
    assert paged == whole  # the same rows, paths included


@pytest.mark.usefixtures("small_pages")
def test_filters_apply_to_every_page(filled: tuple[ModelRegistry, list[str]]) -> None:
    registry = filled[0]
    filters: dict[str, Any] = {"min_metrics": {"auc": 0.04}}
    paged = _names(paged_versions(registry, None, filters))
    assert paged == _names(registry.list_versions(**filters))
    assert len(paged) == 9


@pytest.mark.usefixtures("small_pages")
@pytest.mark.parametrize(
    ("gone", "new"), [([0, 1], 0), ([0, 1], 1), ([1, 2, 3], 0), ([0, 2, 4, 6, 8], 1)]
)
def test_versions_that_stay_are_listed_once_while_others_come_and_go(
    filled: tuple[ModelRegistry, list[str]],
    monkeypatch: pytest.MonkeyPatch,
    gone: list[int],
    new: int,
) -> None:
    """After the first page (two rows), the versions at `gone` (newest first) are deleted, more
    than the overlap of one, so the next page must step back, and `new` ones registered."""
    registry, names = filled
    newest_first = names[::-1]
    calls = 0
    listing = registry.list_versions

    def list_then_change(**kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        page = listing(**kwargs)
        if calls == 1:
            for index in gone:
                registry.delete_version(newest_first[index])
            for seed in range(new):
                registry.register(_result(90 + seed))
        return page

    monkeypatch.setattr(registry, "list_versions", list_then_change)
    paged = _names(paged_versions(registry, None, {}))
    assert len(paged) == len(set(paged)), paged
    stayed = [n for i, n in enumerate(newest_first) if i not in gone]
    assert [n for n in paged if n in newest_first] == [n for n in newest_first[:2]] + [
        n for n in stayed if n not in newest_first[:2]
    ]
    assert calls > 2
