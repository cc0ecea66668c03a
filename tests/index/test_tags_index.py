"""The folder index answers tag filters, and an index an older modelreg wrote is rebuilt."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from modelreg import ModelRegistry
from modelreg.backends.local_index import INDEX_DIR
from modelreg.testing import make_result


def test_tag_filters_run_in_the_index(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path / "models")
    names = [registry.register(make_result(seed)) for seed in range(3)]
    registry.set_tags(names[1], {"owner": "alice"})
    db = tmp_path / "models" / INDEX_DIR / "versions.sqlite"
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT name, key, value FROM tags").fetchall() == [
            (names[1], "owner", "alice")
        ]
    assert [v.version for v in registry.list_versions(tags={"owner": "alice"})] == [names[1]]


def test_an_older_index_is_rebuilt_with_tags(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path / "models")
    names = [registry.register(make_result(seed)) for seed in range(2)]
    registry.set_tags(names[0], {"owner": "alice"})
    db = tmp_path / "models" / INDEX_DIR / "versions.sqlite"
    with sqlite3.connect(db) as conn:  # what modelreg before tags left behind
        conn.execute("DROP TABLE tags")
        conn.execute("PRAGMA user_version=2")
    reader = ModelRegistry(tmp_path / "models")
    assert [v.version for v in reader.list_versions(tags={"owner": "alice"})] == [names[0]]


def test_an_older_tags_value_of_another_shape_is_no_tag(tmp_path: Path) -> None:
    """metadata_extra could hold `tags` before it was reserved: read as no tags, no error."""
    registry = ModelRegistry(tmp_path / "models")
    name = registry.register(make_result(0))
    path = tmp_path / "models" / name / "metadata.json"
    meta = json.loads(path.read_text())
    path.write_text(json.dumps({**meta, "tags": ["legacy", "list"]}))
    reader = ModelRegistry(tmp_path / "models")
    assert reader.list_versions()[0].tags == {}
    assert reader.list_versions(tags={"owner": "alice"}) == []
    assert reader.set_tags(name, {"owner": "alice"}) == {"owner": "alice"}


def test_first_tags_come_with_the_registration(tmp_path: Path) -> None:
    import pytest

    from modelreg import InvalidInputError

    registry = ModelRegistry(tmp_path / "models")
    name = registry.register(make_result(0), metadata_extra={"tags": {"owner": "alice"}})
    assert [v.version for v in registry.list_versions(tags={"owner": "alice"})] == [name]
    with pytest.raises(InvalidInputError, match="invalid tag key"):
        registry.register(make_result(1), metadata_extra={"tags": {"bad key": "x"}})
    assert len(registry.list_versions()) == 1
