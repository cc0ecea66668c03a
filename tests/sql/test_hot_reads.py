"""The catalog's hot reads (fixed SQL on the driver's connection) and a writer's memory of
what its transaction read: same answers as the primitives they replace, on SQLite and
PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from conftest import make_result
from modelreg import ModelRegistry
from modelreg.backends.sql import SqlBackend
from modelreg.backends.sql_schema import version_tags, versions
from modelreg.errors import CorruptVersionError


def _backend(registry: ModelRegistry) -> SqlBackend:
    backend = registry.backend
    assert isinstance(backend, SqlBackend)
    return backend


def test_metadata_and_pointers_resolve_a_name_or_a_channel(registry: ModelRegistry) -> None:
    a, b = registry.register(make_result(1)), registry.register(make_result(2))
    backend = _backend(registry)
    assert backend.metadata_and_pointers(None, "production") == (None, {})
    registry.promote(a)
    backend.set_pointer("staging", b)
    meta, pointers = backend.metadata_and_pointers(None, "production")
    assert meta == backend.read_metadata(a)
    assert pointers == {"production": a, "staging": b}
    assert backend.metadata_and_pointers(b)[0] == backend.read_metadata(b)
    assert backend.metadata_and_pointers("20990101_000000") == (None, pointers)
    assert backend.metadata_at("staging") == (b, backend.read_metadata(b))
    assert backend.metadata_at("canary") == (None, None)


def test_version_info_over_an_alias_is_the_pointed_version(registry: ModelRegistry) -> None:
    a, b = registry.register(make_result(1)), registry.register(make_result(2))
    assert registry.get_version_info("@staging") is None
    registry.promote(a)
    _backend(registry).set_pointer("staging", a)
    info = registry.get_version_info("latest")
    assert info is not None and info["version"] == a
    assert info["deployment_status"] == "production"
    assert info["channels"] == ["production", "staging"]
    other = registry.get_version_info(b)
    assert other is not None and other["channels"] == [] and other["version"] == b


def test_load_of_a_channel_pointing_at_a_deleted_version_says_not_found(
    registry: ModelRegistry,
) -> None:
    a = registry.register(make_result(1))
    backend = _backend(registry)
    with backend.transaction():  # what a crash between the two writes could leave
        backend.delete_version(a)
        backend.set_pointer("staging", a)
    assert backend.metadata_at("staging") == (a, None)
    assert registry.load_version("@staging") is None


def test_a_writer_reads_copies_and_forgets_them_at_the_end(registry: ModelRegistry) -> None:
    a = registry.register(make_result(1, accuracy=0.5))
    backend = _backend(registry)
    with backend.transaction():
        first = backend.read_metadata(a)
        assert first is not None
        first["metrics"]["accuracy"] = -1.0  # a caller scribbling on what it got
        again = backend.read_metadata(a)
        assert again is not None and again["metrics"]["accuracy"] != -1.0
        assert backend.get_pointer("production") is None
        backend.set_pointer("production", a)
        assert backend.get_pointer("production") == a
    with backend._engine.begin() as conn:  # another writer changes the row meanwhile
        conn.execute(
            versions.update()
            .where(versions.c.name == a)
            .values(meta={**again, "description": "changed outside"})
        )
    with backend.transaction():
        fresh = backend.read_metadata(a)
        assert fresh is not None and fresh["description"] == "changed outside"


def _tags(backend: SqlBackend, name: str) -> dict[str, str]:
    with backend._engine.connect() as conn:
        rows = conn.execute(
            sa.select(version_tags.c.key, version_tags.c.value)
            .join(versions, versions.c.id == version_tags.c.version_id)
            .where(versions.c.name == name)
        )
        return {row.key: row.value for row in rows}


def test_a_status_write_keeps_the_tag_index_and_a_tag_edit_rewrites_it(
    registry: ModelRegistry,
) -> None:
    a, b = registry.register(make_result(1)), registry.register(make_result(2))
    registry.set_tags(a, {"owner": "alice"})
    registry.set_tags(b, {"owner": "bob"})
    registry.promote(a)
    registry.promote(b)  # a archived, b production: two status writes
    assert _tags(_backend(registry), a) == {"owner": "alice"}
    assert [v.version for v in registry.list_versions(tags={"owner": "bob"})] == [b]
    backend = _backend(registry)
    with backend.transaction():
        meta = backend.read_metadata(b)
        assert meta is not None
        backend.write_metadata(b, {**meta, "tags": {**meta["tags"], "owner": "carol"}})
    assert _tags(backend, b) == {"owner": "carol"}
    assert registry.list_versions(tags={"owner": "bob"}) == []


def test_metadata_the_catalog_cannot_decode_is_corrupt_not_missing(tmp_path: Path) -> None:
    registry = ModelRegistry(f"sqlite:///{tmp_path / 'r.db'}", cache_dir=tmp_path / "cache")
    a = registry.register(make_result(1))
    backend = _backend(registry)
    with backend._engine.begin() as conn:
        conn.exec_driver_sql("UPDATE modelreg_versions SET meta = '[1, 2' WHERE name = ?", (a,))
    with pytest.raises(CorruptVersionError, match=a):
        registry.stored_metadata(a)
    with backend._engine.begin() as conn:
        conn.exec_driver_sql("UPDATE modelreg_versions SET meta = '[1, 2]' WHERE name = ?", (a,))
    with pytest.raises(CorruptVersionError, match="list"):
        registry.stored_metadata(a)
    registry.close()
