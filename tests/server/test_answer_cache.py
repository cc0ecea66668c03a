"""The server's answer cache: reused only while the model is unchanged, on every process.

Two apps, each with its own registry (its own connection pool) and its own cache, stand for
two server processes on one catalog: they share nothing but the database. A client writes
through A and reads through B, which answered the same request from its cache just before:
B must answer the write (read-your-writes), after an edit, a promote, a delete, a register.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from contract.conftest import postgres_schema_url, postgres_url  # noqa: F401
from modelreg import ModelRegistry
from modelreg.serving.answers import Answer, AnswerCache
from modelreg.serving.server import create_app
from modelreg.testing import make_result

from .support import READ_TOKEN, TOKENS, WRITE_TOKEN, auth

READER, WRITER = auth(READ_TOKEN), auth(WRITE_TOKEN)


class Process:
    """One server "process": its registry, its cache, its client."""

    def __init__(self, url: str, tmp_path: Path, tag: str) -> None:
        self.registry = ModelRegistry(
            url, artifacts=str(tmp_path / "blobs"), cache_dir=tmp_path / f"cache-{tag}"
        )
        self.cache = AnswerCache()
        app = create_app(self.registry, tokens=TOKENS, answer_cache=self.cache)
        self.client = TestClient(app, raise_server_exceptions=False)

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params=params, headers=READER)

    def close(self) -> None:
        self.client.close()
        self.registry.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def catalog(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.db'}"
    url: str = request.getfixturevalue("postgres_schema_url")
    return url


@pytest.fixture
def two(catalog: str, tmp_path: Path) -> Iterator[tuple[Process, Process]]:
    first = Process(catalog, tmp_path, "a")
    names = [first.registry.register(make_result(i)) for i in range(3)]
    first.registry.promote_to_production(names[0])
    second = Process(catalog, tmp_path, "b")
    yield first, second
    first.close()
    second.close()


def _warm(side: Process, path: str, **params: Any) -> Any:
    """Ask twice: the second answer comes from the cache (proved by its hit count)."""
    first = side.get(path, **params)
    hits = side.cache.hits
    again = side.get(path, **params)
    assert again.status_code == first.status_code == 200
    assert side.cache.hits == hits + 1 and again.content == first.content
    return again


def _model_file(side: Process, name: str) -> str:
    meta = side.registry.stored_metadata(name)
    assert meta is not None
    return next(f for f in meta["files"] if f.startswith("model"))


def test_a_promote_through_another_process_is_seen_at_once(two: tuple[Process, Process]) -> None:
    a, b = two
    production = a.registry.channels()["production"]
    before = _warm(b, "/api/versions/latest").json()
    assert (before["version"], before["deployment_status"]) == (production, "production")
    file = _model_file(a, production)
    model = f"/api/versions/latest/files/{file}"
    assert _warm(b, model).content == a.registry.open_artifact(production, file).read()
    target = next(v.version for v in a.registry.list_versions() if v.version != production)
    promoted = a.client.post(
        "/api/promote", json={"version": target, "force": True}, headers=WRITER
    )
    assert promoted.status_code == 200
    assert b.get("/api/versions/latest").json()["version"] == target
    assert b.get(model).content == a.registry.open_artifact(target, file).read()
    assert b.get(f"/api/versions/{production}").json()["deployment_status"] == "archived"


def test_an_edit_through_another_process_is_seen_at_once(two: tuple[Process, Process]) -> None:
    a, b = two
    name = a.registry.list_versions()[0].version
    assert "tags" not in _warm(b, f"/api/versions/{name}/metadata").json()
    _warm(b, "/api/versions", limit=2)
    edit = {"set": {"stage": "reviewed"}}
    assert a.client.post(f"/api/versions/{name}/tags", json=edit, headers=WRITER).status_code == 200
    assert b.get(f"/api/versions/{name}/metadata").json()["tags"] == {"stage": "reviewed"}
    listed = b.get("/api/versions", limit=2).json()
    assert {v["version"]: v["tags"] for v in listed}[name] == {"stage": "reviewed"}


def test_a_delete_through_another_process_stops_the_download(
    two: tuple[Process, Process],
) -> None:
    a, b = two
    production = a.registry.channels()["production"]
    name = next(v.version for v in a.registry.list_versions() if v.version != production)
    file = _model_file(a, name)
    path = f"/api/versions/{name}/files/{file}"
    kept = _warm(b, path)
    assert kept.content == a.registry.open_artifact(name, file).read()
    _warm(b, f"/api/versions/{name}")
    assert a.client.delete(f"/api/versions/{name}", headers=WRITER).status_code == 200
    assert b.get(path).status_code == 404
    assert b.get(f"/api/versions/{name}").status_code == 404
    assert b.get(f"/api/versions/{name}/metadata").status_code == 404


def test_a_register_through_another_process_is_listed_at_once(
    two: tuple[Process, Process],
) -> None:
    a, b = two
    listed = _warm(b, "/api/versions", limit=10)
    assert listed.headers["x-total-count"] == "3"
    new = a.registry.register(make_result(7))
    again = b.get("/api/versions", limit=10)
    assert again.headers["x-total-count"] == "4"
    assert again.json()[0]["version"] == new


def test_every_write_changes_the_revision(two: tuple[Process, Process]) -> None:
    a, _ = two
    ops = a.registry.operations
    seen = [ops.revision()]
    name = a.registry.register(make_result(9))
    seen.append(ops.revision())
    a.registry.promote_to_production(name)
    seen.append(ops.revision())
    a.registry.edit_tags(name, set_tags={"k": "v"})
    seen.append(ops.revision())
    a.registry.describe_model("a model")
    seen.append(ops.revision())
    a.registry.rollback()
    seen.append(ops.revision())
    a.registry.delete_version(name)
    seen.append(ops.revision())
    assert all(isinstance(n, int) for n in seen)
    assert seen == sorted(set(seen)), seen  # strictly increasing: each write moved it


def test_a_cached_answer_still_needs_a_token(two: tuple[Process, Process]) -> None:
    _, b = two
    name = b.registry.list_versions()[0].version
    for path in (
        f"/api/versions/{name}/files/{_model_file(b, name)}",
        "/api/versions/latest",
        "/api/versions",
    ):
        _warm(b, path)
        assert b.client.get(path).status_code == 401
        assert b.client.get(path, headers=auth("not-a-token-at-all")).status_code == 401
        assert b.client.get(path, headers=auth(READ_TOKEN)).status_code == 200


def test_a_folder_registry_reuses_nothing(tmp_path: Path) -> None:
    """A folder has no revision its writers all change: every answer is made afresh."""
    registry = ModelRegistry(tmp_path / "models")
    name = registry.register(make_result(0))
    cache = AnswerCache()
    with TestClient(create_app(registry, tokens=TOKENS, answer_cache=cache)) as client:
        for _ in range(2):
            assert client.get(f"/api/versions/{name}", headers=READER).status_code == 200
            assert client.get("/api/versions", headers=READER).status_code == 200
        other = ModelRegistry(tmp_path / "models")  # another process's write
        other.edit_tags(name, set_tags={"seen": "yes"})
        assert client.get(f"/api/versions/{name}", headers=READER).json()["tags"] == {"seen": "yes"}
    assert (cache.hits, cache.misses, len(cache)) == (0, 0, 0)


class _Fixed:
    """A registry stand-in at a fixed revision (the cache asks nothing else of it)."""

    model = "m"

    class operations:
        @staticmethod
        def revision() -> int:
            return 1


def test_the_cache_is_bounded_by_entries_and_bytes() -> None:
    cache = AnswerCache(max_entries=4, max_bytes=1000, max_answer=400)
    registry: Any = _Fixed()
    for i in range(50):  # a token holder asking ever new questions
        cache.answer(registry, ("list", i), lambda: Answer(b"x" * 300, "text/plain"))
        assert len(cache) <= 4 and cache.size <= 1000
    assert cache.size == 900  # three of 300 bytes fit under 1000
    big = cache.answer(registry, "big", lambda: Answer(b"y" * 401, "text/plain"))
    assert isinstance(big, Answer) and len(big.body) == 401
    assert len(cache) == 3 and cache.size == 900  # larger than max_answer: never kept
    made: list[int] = []
    cache.answer(registry, ("list", 49), lambda: made.append(1) or Answer(b"", "text/plain"))
    assert made == []  # the newest is still there
    cache.answer(registry, ("list", 0), lambda: made.append(1) or Answer(b"", "text/plain"))
    assert made == [1]  # the oldest went first
