"""A catalog's listing keeps each row's metadata as the JSON text the database sent until a
field of it is read (`IndexedMetadata`, as a folder's index does): the rows equal, compare,
pickle and serve as a decoded listing's, and a damaged row raises `CorruptVersionError` when
first read, at the same point as a folder's damaged index row, with a catalog's message."""

from __future__ import annotations

import dataclasses
import json
import pickle
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from conftest import make_result
from modelreg import CorruptVersionError, ModelRegistry, ModelVersion
from modelreg.backends.base import VersionQuery
from modelreg.backends.sql import SqlBackend
from modelreg.serving.server import create_app
from server.support import READ_TOKEN, TOKENS, auth
from sql.conftest import opened_catalog


@pytest.fixture(params=["folder", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_registry(request: pytest.FixtureRequest, tmp_path: Path) -> ModelRegistry:
    """A folder registry, or one on a catalog as the `registry` fixture opens it."""
    if request.param == "folder":
        return ModelRegistry(tmp_path / "models")
    return opened_catalog(request, tmp_path, request.param)


def _store(registry: ModelRegistry, name: str, text: str) -> None:
    """Write `text` into version `name`'s metadata column behind modelreg's back."""
    backend = registry.backend
    assert isinstance(backend, SqlBackend)
    with backend._engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE modelreg_versions SET meta = :m WHERE name = :n"),
            {
                "m": text,
                "n": name,
            },
        )


def _decoded_listing(registry: ModelRegistry) -> list[ModelVersion]:
    """The same listing built from `Backend.query`'s decoded dicts."""
    backend = registry.backend
    pointers = backend.pointers()
    metas = backend.query(VersionQuery(production=pointers.get("production")))
    assert all(type(meta) is dict for meta in metas)
    return [
        ModelVersion.from_metadata(m, backend.location_of(m["version"]), pointers) for m in metas
    ]


def test_a_listed_row_is_decoded_when_first_read_and_equals_a_decoded_one(
    registry: ModelRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = [registry.register(make_result(seed)) for seed in range(3)]
    registry.promote_to_production(names[1])
    registry.set_tags(names[2], {"owner": "alice"})
    parsed: list[str] = []
    loads = json.loads
    monkeypatch.setattr(json, "loads", lambda text, **kw: parsed.append(text) or loads(text, **kw))
    rows = registry.list_versions()
    assert [row.version for row in rows] == names[::-1]
    assert all("_undecoded" in vars(row) for row in rows)
    assert [row.deployment_status for row in rows] == ["registered", "production", "registered"]
    assert [row.channels for row in rows] == [[], ["production"], []]
    shown = len(parsed)  # at most the pointers: none of the versions' documents
    assert not any('"metrics"' in text for text in parsed)
    assert rows[0].tags == {"owner": "alice"} and len(parsed) == shown + 1
    assert rows[0].metrics and rows[0].features and len(parsed) == shown + 1  # one parse a row
    monkeypatch.undo()
    assert rows == _decoded_listing(registry)
    unread = registry.list_versions()
    assert pickle.loads(pickle.dumps(unread[1])) == rows[1]
    assert "_undecoded" not in vars(pickle.loads(pickle.dumps(registry.list_versions()[2])))
    assert dataclasses.asdict(registry.list_versions()[0]) == dataclasses.asdict(rows[0])
    page, total = registry.find_page(VersionQuery(limit=2))
    assert (page, total) == (rows[:2], 3)


def test_the_page_equals_the_decoded_query_through_the_backend(registry: ModelRegistry) -> None:
    names = [registry.register(make_result(seed)) for seed in range(3)]
    registry.promote_to_production(names[0])
    backend = registry.backend
    page, pointers = backend.query_with_pointers(VersionQuery(limit=2))
    assert pointers == {"production": names[0]}
    assert page == backend.query(VersionQuery(limit=2, production=names[0]))
    assert [dict(meta) for meta in page] == page  # a Mapping, read-only, whole
    assert page[0]["version"] == names[2] and len(page[0]) == len(dict(page[0]))
    with pytest.raises(TypeError):
        page[0]["version"] = "x"  # type: ignore[index]


@pytest.mark.postgres
def test_a_jsonb_column_lists_the_same(postgres_schema_url: str, tmp_path: Path) -> None:
    """`versions.meta` may become `jsonb` (a migration): the listing reads it as text alike."""
    registry = ModelRegistry(postgres_schema_url, artifacts=str(tmp_path / "blobs"))
    try:
        names = [registry.register(make_result(seed)) for seed in range(2)]
        registry.promote_to_production(names[0])
        before = registry.list_versions()
        backend = registry.backend
        assert isinstance(backend, SqlBackend)
        with backend._engine.begin() as conn:
            conn.exec_driver_sql(
                "ALTER TABLE modelreg_versions ALTER COLUMN meta TYPE jsonb USING meta::jsonb"
            )
        after = registry.list_versions()
        assert after == before == _decoded_listing(registry)
    finally:
        registry.close()


def _damage_folder_index(registry: ModelRegistry, name: str) -> None:
    registry.list_versions()  # the index in step
    with sqlite3.connect(Path(registry.path) / ".index" / "versions.sqlite") as conn:
        conn.execute("UPDATE versions SET listed = '[1, 2]' WHERE name = ?", (name,))


def test_a_damaged_row_raises_when_first_read_as_a_folder_index_row_does(
    any_registry: ModelRegistry,
) -> None:
    """Listing never hides a damaged row or reports it missing; reading one of its stored fields
    raises CorruptVersionError naming it (a catalog's message, as a metadata read gives)."""
    registry = any_registry
    damaged, healthy = (registry.register(make_result(seed)) for seed in range(2))
    folder = not isinstance(registry.backend, SqlBackend)
    if folder:
        _damage_folder_index(registry, damaged)
    else:
        _store(registry, damaged, "[1, 2]")
    rows = {row.version: row for row in registry.list_versions()}
    assert set(rows) == {damaged, healthy}
    assert rows[damaged].deployment_status == "registered" and rows[damaged].channels == []
    assert rows[healthy].metrics
    with pytest.raises(CorruptVersionError, match=damaged) as raised:
        _ = rows[damaged].metrics
    with pytest.raises(CorruptVersionError):
        pickle.dumps(rows[damaged])
    if not folder:
        with pytest.raises(CorruptVersionError) as read:
            registry.stored_metadata(damaged)
        assert str(raised.value) == str(read.value)  # "... is a list, not an object"


def test_sqlite_text_that_is_not_json_raises_when_read(tmp_path: Path) -> None:
    registry = ModelRegistry(f"sqlite:///{tmp_path / 'r.db'}", cache_dir=tmp_path / "cache")
    damaged = registry.register(make_result(1))
    _store(registry, damaged, "[1, 2")
    (row,) = registry.list_versions()
    with pytest.raises(CorruptVersionError, match=f"{damaged}'s metadata in the catalog is not"):
        _ = row.training_date
    registry.close()


def test_the_server_answers_a_damaged_row_as_corrupt(registry: ModelRegistry) -> None:
    damaged = registry.register(make_result(1))
    registry.register(make_result(2))
    _store(registry, damaged, "[1, 2]")
    app = create_app(registry, tokens=TOKENS)
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/api/versions", headers=auth(READ_TOKEN))
        assert answer.status_code == 500, answer.text
        assert damaged in answer.text and "corrupt" in answer.text
        assert client.get("/api/versions", params={"limit": 1}, headers=auth(READ_TOKEN)).json()
