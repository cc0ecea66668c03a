"""A promote's rewrites change only statuses: the index updates those rows, nothing more.

A rewrite whose listed fields differ from the row's only in `deployment_status` updates the one
`versions` row (status, file stat, listed text); the dates, metrics and tags rows are made from
the listed fields, so they stand. Any other difference (a tag edit, a file edited behind the
index) replaces every row of the version, as before.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from modelreg import ModelRegistry, TrainingResult
from modelreg.backends.local import LocalBackend
from modelreg.backends.local_index import VersionIndex

STATUSES = ("production", "archived", "registered")


def _result(seed: int) -> TrainingResult:
    return TrainingResult(
        model={"seed": seed}, metrics={"auc": seed / 10, "rmse": 1 - seed / 10}, features=["x"]
    )


def _index(registry: ModelRegistry) -> VersionIndex:
    index = registry.backend.index
    assert isinstance(index, VersionIndex)
    return index


@contextlib.contextmanager
def _statements(index: VersionIndex) -> Iterator[list[str]]:
    """The SQL the index's connection runs meanwhile."""
    seen: list[str] = []
    with index._using("tracing") as conn:
        conn.set_trace_callback(seen.append)
    try:
        yield seen
    finally:
        with index._using("tracing") as conn:
            conn.set_trace_callback(None)


def _table(statement: str) -> str:
    """The table an INSERT, DELETE or UPDATE writes."""
    words = statement.split()
    return words[1] if words[0] == "UPDATE" else words[2]


def _rows(index: VersionIndex) -> dict[str, list[tuple]]:
    with contextlib.closing(sqlite3.connect(index.path)) as conn:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
            for table in ("versions", "metrics", "tags")
        }


def _by_status(registry: ModelRegistry) -> dict[str, list[str]]:
    return {s: [v.version for v in registry.list_versions(status=s)] for s in STATUSES}


def test_a_promote_updates_only_the_two_versions_rows(tmp_path: Path) -> None:
    root = tmp_path / "models"
    with contextlib.closing(ModelRegistry(root)) as registry:
        names = [registry.register(_result(i)) for i in range(3)]
        registry.set_tags(names[1], {"team": "rates"})
        registry.promote_to_production(names[1])
        index = _index(registry)
        with _statements(index) as seen:
            registry.promote_to_production(names[2])
        tables = [_table(s) for s in seen if s.split()[0] in ("INSERT", "DELETE", "UPDATE")]
        assert sorted(t for t in tables if t != "state") == ["versions", "versions"]
        # listings by status are the folder's
        with contextlib.closing(ModelRegistry(backend=LocalBackend(root, index=False))) as plain:
            assert _by_status(registry) == _by_status(plain)
        after = _rows(index)
        status = {row[0]: row[4] for row in after["versions"]}
        assert status[names[2]] == "production" and status[names[1]] == "archived"
        listed = {row[0]: json.loads(row[6]) for row in after["versions"]}
        assert listed[names[2]]["deployment_status"] == "production"
        assert listed[names[1]]["tags"] == {"team": "rates"}
        assert (names[1], "team", "rates") in after["tags"]
        assert len(after["metrics"]) == 6


def test_a_file_edited_behind_the_index_is_recorded_whole_when_promoted(tmp_path: Path) -> None:
    root = tmp_path / "models"
    with contextlib.closing(ModelRegistry(root)) as registry:
        names = [registry.register(_result(i)) for i in range(2)]
        registry.list_versions()
        plain = LocalBackend(root, index=False)
        with plain.transaction():  # a metric changed by hand: the row does not know it
            meta = plain.read_metadata(names[0])
            assert meta is not None
            plain.write_metadata(names[0], {**meta, "metrics": {"auc": 0.75, "rmse": 0.5}})
        registry.promote_to_production(names[0])
        metrics = _rows(_index(registry))["metrics"]
        assert (names[0], "auc", 0.75) in metrics
        assert [v.version for v in registry.list_versions(min_metrics={"auc": 0.7})] == [names[0]]


def test_a_tag_edit_still_replaces_the_tags_rows(tmp_path: Path) -> None:
    root = tmp_path / "models"
    with contextlib.closing(ModelRegistry(root)) as registry:
        name = registry.register(_result(1))
        registry.set_tags(name, {"team": "rates"})
        registry.set_tags(name, {"team": "fx"})
        assert (name, "team", "fx") in _rows(_index(registry))["tags"]
        assert [v.version for v in registry.list_versions(tags={"team": "fx"})] == [name]
