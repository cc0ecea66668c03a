"""The index is only a cache: every listing is identical with and without it.

Hypothesis builds random registries (versions written by hand, stored statuses that disagree with
the pointer, missing metrics, clashing timestamps), changes them behind the index's back, and
asks random queries of a registry with the index and of one that reads the files.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelreg import ModelRegistry, ModelVersion
from modelreg.backends.base import Backend, VersionQuery
from modelreg.backends.local import LocalBackend

from ._handmade import point, write_version

_START = datetime(2026, 1, 1, tzinfo=UTC)
_VALUES = st.sampled_from([0.1, 0.25, 0.5, 0.75, 0.9])
_METRICS = st.dictionaries(st.sampled_from(["auc", "rmse", "profit_factor"]), _VALUES)


@st.composite
def versions(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Distinct names: a few seconds apart, some sharing a second (counters _2, _3)."""
    keys = draw(
        st.lists(
            st.tuples(st.integers(0, 6), st.sampled_from([1, 2, 3])),
            unique=True,
            max_size=14,
        )
    )
    found = []
    for second, counter in keys:
        stamp = (_START + timedelta(seconds=second)).strftime("%Y%m%d_%H%M%S")
        found.append(
            {
                "name": stamp if counter == 1 else f"{stamp}_{counter}",
                "metrics": draw(_METRICS),
                "training_date": _START + timedelta(days=draw(st.integers(0, 5))),
                "status": draw(st.sampled_from(["registered", "production", "archived"])),
            }
        )
    return found


@st.composite
def queries(draw: st.DrawFn) -> dict[str, Any]:
    query: dict[str, Any] = {
        "min_metrics": draw(_METRICS),
        "max_metrics": draw(_METRICS),
        "status": draw(st.none() | st.sampled_from(["registered", "production", "archived"])),
        "limit": draw(st.none() | st.integers(0, 6)),
    }
    for key in ("trained_after", "trained_before"):
        days = draw(st.none() | st.integers(0, 5))
        query[key] = None if days is None else _START + timedelta(days=days)
    return query


class _Fallbacks(Backend):
    """Sits below LocalBackend in the MRO: counts the times it reads the files instead."""

    count = 0

    def query(self, query: VersionQuery) -> list[dict[str, Any]]:
        type(self).count += 1
        return super().query(query)


class CountingBackend(LocalBackend, _Fallbacks):
    pass


def age(root: Path) -> None:
    """Move the root's mtime into the past, as if the last change were long ago."""
    past = os.stat(root).st_mtime_ns - 60 * 10**9
    os.utime(root, ns=(past, past))


def _listing(registry: ModelRegistry, query: dict[str, Any]) -> list[ModelVersion]:
    return registry.list_versions(**query)


def _write(root: Path, items: list[dict[str, Any]]) -> None:
    for item in items:
        if not (root / item["name"]).exists():
            write_version(
                root,
                item["name"],
                metrics=item["metrics"],
                training_date=item["training_date"],
                status=item["status"],
            )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    first=versions(),
    later=versions(),
    removed=st.sets(st.integers(0, 13), max_size=4),
    production=st.none() | st.integers(0, 13),
    asked=st.lists(queries(), min_size=1, max_size=4),
)
def test_index_answers_like_the_files(
    first: list[dict[str, Any]],
    later: list[dict[str, Any]],
    removed: set[int],
    production: int | None,
    asked: list[dict[str, Any]],
) -> None:
    root = Path(tempfile.mkdtemp(prefix="modelreg-index-"))
    try:
        CountingBackend.count = 0
        indexed = ModelRegistry(backend=CountingBackend(root))
        plain = ModelRegistry(backend=LocalBackend(root, index=False))
        _write(root, first)
        if production is not None and first:
            point(root, "production", first[production % len(first)]["name"])
        for query in asked:
            assert _listing(indexed, query) == _listing(plain, query)
        age(root)  # the next listing records a fingerprint that a change must move
        assert _listing(indexed, {}) == _listing(plain, {})
        # behind the index's back: versions copied in, others removed, the pointer moved
        _write(root, later)
        for i in sorted(removed):
            if i < len(first):
                shutil.rmtree(root / first[i]["name"], ignore_errors=True)
        if later:
            point(root, "production", later[0]["name"])
        for query in asked:
            assert _listing(indexed, query) == _listing(plain, query)
        assert sorted(indexed.backend.version_names()) == sorted(plain.backend.version_names())
        assert CountingBackend.count == 0, "the index gave up and the files were read"
    finally:
        shutil.rmtree(root)
