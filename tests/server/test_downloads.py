"""Downloads: one registered file, found in one read, sent whole or streamed, on every backend.

The route answers a small file in one piece (read in the worker thread, with its length) and
streams a larger one; either way the bytes are the stored ones and `X-Checksum-Sha256` is their
registered hash. A catalog resolves the version and the file in one statement; the name is a
lookup key there, never a path, and a name the artifact-name rule refuses is "not found".
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient

from modelreg import ModelRegistry, VersionNotFoundError
from modelreg.serving.api import downloads
from modelreg.serving.server import create_app

from .support import READ_TOKEN, TOKENS, auth, fill


@pytest.fixture(params=["folder", "sqlite"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> ModelRegistry:
    if request.param == "folder":
        return ModelRegistry(tmp_path / "models", lock_timeout=5)
    return ModelRegistry(
        f"sqlite:///{tmp_path / 'catalog.db'}", cache_dir=tmp_path / "cache", lock_timeout=5
    )


@pytest.fixture
def client(served: ModelRegistry) -> Iterator[TestClient]:
    with TestClient(create_app(served, tokens=TOKENS), raise_server_exceptions=False) as c:
        yield c


def _record(served: ModelRegistry, name: str, filename: str) -> dict:
    meta = served.stored_metadata(name)
    assert meta is not None
    return meta["files"][filename]


def _model_file(served: ModelRegistry, name: str) -> str:
    """The model's file (`model.pkl` on a folder, the safe format's on a catalog)."""
    meta = served.stored_metadata(name)
    assert meta is not None
    return next(f for f in meta["files"] if f.startswith("model."))


def test_a_small_file_is_answered_whole_with_its_length_and_hash(
    client: TestClient, served: ModelRegistry
) -> None:
    name = fill(served, 1)[0]
    model = _model_file(served, name)
    record = _record(served, name, model)
    answer = client.get(f"/api/versions/{name}/files/{model}", headers=auth(READ_TOKEN))
    assert answer.status_code == 200
    assert answer.headers["content-length"] == str(record["bytes"])
    assert answer.headers["x-checksum-sha256"] == record["sha256"]
    assert answer.headers["content-disposition"].endswith(f"''{model}")
    assert hashlib.sha256(answer.content).hexdigest() == record["sha256"]


def test_a_file_past_the_whole_size_streams_every_byte(
    client: TestClient, served: ModelRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = fill(served, 1)[0]
    model = _model_file(served, name)
    record = _record(served, name, model)
    monkeypatch.setattr(downloads, "WHOLE", 100)  # the model is larger: read on, streamed
    answer = client.get(f"/api/versions/{name}/files/{model}", headers=auth(READ_TOKEN))
    assert answer.status_code == 200
    assert len(answer.content) == record["bytes"] > 250
    assert hashlib.sha256(answer.content).hexdigest() == record["sha256"]
    streamed = downloads.artifact_answer(served.open_registered(name, model))
    assert isinstance(streamed, StreamingResponse)
    assert asyncio.run(_drain(streamed)) == answer.content


async def _drain(response: StreamingResponse) -> bytes:
    return b"".join([bytes(chunk) async for chunk in response.body_iterator])


def test_latest_is_production_and_an_empty_channel_is_404(
    client: TestClient, served: ModelRegistry
) -> None:
    names = fill(served, 2)
    model = _model_file(served, names[0])
    path = f"/api/versions/latest/files/{model}"
    assert client.get(path, headers=auth(READ_TOKEN)).status_code == 404
    served.promote_to_production(names[0])
    answer = client.get(path, headers=auth(READ_TOKEN))
    assert answer.headers["x-checksum-sha256"] == _record(served, names[0], model)["sha256"]


@pytest.mark.parametrize(
    "filename",
    ["metadata.json", "../metadata.json", ".staging/x", "nope.bin", "a\\b", "/etc/passwd"],
)
def test_only_registered_names_are_reachable(
    client: TestClient, served: ModelRegistry, filename: str
) -> None:
    name = fill(served, 1)[0]
    with pytest.raises(VersionNotFoundError):
        served.open_registered(name, filename)
    answer = client.get(f"/api/versions/{name}/files/{filename}", headers=auth(READ_TOKEN))
    assert answer.status_code == 404, answer.text


def test_a_deleted_version_is_not_served(client: TestClient, served: ModelRegistry) -> None:
    first, second = fill(served, 2)
    model = _model_file(served, first)
    served.delete_version(first)
    answer = client.get(f"/api/versions/{first}/files/{model}", headers=auth(READ_TOKEN))
    assert answer.status_code == 404
    assert answer.json()["error"] == "not_found"
    other = client.get(f"/api/versions/{second}/files/{model}", headers=auth(READ_TOKEN))
    assert other.status_code == 200


def test_a_catalog_finds_the_version_and_its_file_in_one_statement(tmp_path: Path) -> None:
    registry = ModelRegistry(f"sqlite:///{tmp_path / 'c.db'}", cache_dir=tmp_path / "cache")
    name = fill(registry, 1)[0]
    model = _model_file(registry, name)
    registry.open_registered(name, model).handle.close()  # the model id is known now
    statements: list[str] = []
    engine = registry.backend._engine  # type: ignore[attr-defined]
    sa.event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    # SQLite reads BEGIN (see sql_engine.reader): count the queries
    opened = registry.open_registered(name, model)
    with opened.handle as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == opened.sha256
    assert len(_queries(statements)) == 1
    assert (opened.version, opened.name) == (name, model)
    assert opened.size == _record(registry, name, model)["bytes"]
    statements.clear()
    with pytest.raises(VersionNotFoundError, match="no file"):
        registry.open_registered(name, "nope.bin")
    with pytest.raises(VersionNotFoundError, match="not found"):
        registry.open_registered("20200101_000000", model)
    assert len(_queries(statements)) == 2


def _queries(statements: list[str]) -> list[str]:
    return [s for s in statements if s.lstrip().upper().startswith("SELECT")]
