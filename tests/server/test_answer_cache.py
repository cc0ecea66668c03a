"""The server's answer cache: reused only while the model is unchanged, on every process.

Two apps, each with its own registry (its own connection pool) and its own cache, stand for
two server processes on one catalog: they share nothing but the database. A client writes
through A and reads through B, which answered the same request from its cache just before:
B must answer the write (read-your-writes), after an edit, a promote, a delete, a register.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from contract.conftest import postgres_schema_url, postgres_url  # noqa: F401
from modelreg import ModelRegistry
from modelreg.serving.api.answers import Answer, AnswerCache
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
        async def revision_async() -> int:
            return 1


def test_the_cache_is_bounded_by_entries_and_bytes() -> None:
    cache = AnswerCache(max_entries=4, max_bytes=1000, max_answer=400)
    registry: Any = _Fixed()
    made: list[bytes] = []

    def ask(key: bytes, size: int) -> bytes:
        def make() -> Answer:
            made.append(key)
            return Answer(b"x" * size, "text/plain")

        return bytes(asyncio.run(cache.answer(registry, key, make)).body)

    for i in range(50):  # a token holder asking ever new questions
        assert ask(b"list %d" % i, 300) == b"x" * 300
        assert len(cache) <= 4 and cache.size <= 1000
    assert cache.size == 900  # three of 300 bytes fit under 1000
    assert len(ask(b"big", 401)) == 401
    assert len(cache) == 3 and cache.size == 900  # larger than max_answer: never kept
    made.clear()
    ask(b"list 49", 300)
    assert made == []  # the newest is still there, answered without making it
    ask(b"list 0", 300)
    assert made == [b"list 0"]  # the oldest went first


def test_ever_new_long_query_strings_are_answered_but_never_kept(
    two: tuple[Process, Process],
) -> None:
    """Attack: a read-token holder sends 8 KiB of junk in each query string, never the same
    twice. A key is not counted in the cache's byte budget, so keeping these would grow memory
    by the request's length per entry: each is answered as usual, and none is kept."""
    _, side = two
    normal = side.get("/api/versions", limit=2)
    kept = len(side.cache)
    for i in range(40):
        junk = f"{i:04d}" + "x" * 8192
        answer = side.get("/api/versions", limit=2, junk=junk)
        assert answer.status_code == 200 and answer.content == normal.content
    assert len(side.cache) == kept
    for _ in range(2):  # the same long request twice: made each time, not answered from memory
        again = side.get("/api/versions", limit=2, junk="x" * 8192)
        assert again.status_code == 200 and again.content == normal.content
    assert side.cache.hits == 0


def test_requests_share_revision_reads_but_never_one_begun_before_them() -> None:
    """Ten requests at once need fewer reads than ten; each is answered by a read that
    began after it arrived (read-your-writes holds for a request sent after a write)."""
    reads: list[tuple[float, float]] = []

    class Slow:
        model = "m"

        class operations:
            @staticmethod
            async def revision_async() -> int:
                began = time.monotonic()
                await asyncio.sleep(0.05)
                reads.append((began, time.monotonic()))
                return len(reads)

    cache = AnswerCache()
    registry: Any = Slow()

    async def one() -> tuple[float, int]:
        arrived = time.monotonic()
        answer = await cache.answer(registry, "q", lambda: Answer(b"a", "text/plain"))
        assert answer.status_code == 200
        return arrived, len(reads)

    async def many() -> list[tuple[float, int]]:
        first = asyncio.ensure_future(one())
        await asyncio.sleep(0.01)  # the first read is in flight: these wait for the next
        rest = [one() for _ in range(9)]
        return [await first, *await asyncio.gather(*rest)]

    served = asyncio.run(many())
    assert len(reads) == 2  # one for the first, one shared by the nine after it
    for arrived, read in served:
        assert reads[read - 1][0] >= arrived  # the read that answered began after arrival


def test_a_kept_read_is_never_the_answer_to_a_write_or_another_model(
    two: tuple[Process, Process],
) -> None:
    a, b = two
    production = a.registry.channels()["production"]
    _warm(b, f"/api/versions/{production}")
    # the same path with DELETE and a read token: the route's refusal, not the kept answer
    refused = b.client.delete(f"/api/versions/{production}", headers=READER)
    assert refused.status_code == 403
    other = a.registry.for_model("other")
    name = other.register(make_result(5))
    other.promote_to_production(name)
    ours = _warm(b, "/api/versions/latest").json()
    theirs = b.get("/api/versions/latest", model="other").json()
    assert theirs["version"] == name
    assert theirs["metrics"] == other.get_version_info(name)["metrics"] != ours["metrics"]
    twice = b.client.get("/api/versions/latest?model=other&model=default", headers=READER)
    assert twice.status_code in (200, 422)  # FastAPI's own reading of it, whatever that is
    assert b.get("/api/versions/latest").json()["version"] == production


@pytest.mark.postgres
def test_the_revision_read_outlives_its_connection(
    postgres_schema_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The kept connection killed (a restart, an idle timeout): the next read still answers."""
    import sqlalchemy as sa

    side = Process(postgres_schema_url, tmp_path, "a")
    try:
        side.registry.register(make_result(0))
        before = side.registry.operations.revision()
        engine = sa.create_engine(
            postgres_schema_url.replace("postgresql://", "postgresql+psycopg://")
        )
        with engine.begin() as conn:
            killed = (
                conn.exec_driver_sql(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE starts_with(query, 'SELECT revision FROM modelreg_models')"
                    " AND pid <> pg_backend_pid()"
                )
                .scalars()
                .all()
            )
        engine.dispose()
        assert killed and all(killed)
        assert side.registry.operations.revision() == before
        _warm(side, "/api/versions")
    finally:
        side.close()
