"""Finding 3: a malicious server could make a client overwrite its own files.

The remote client opened `<its temp folder>/<name>` for writing for every name a server's
metadata listed, so an entry `../x` truncated a file outside its folder before the download
even began; the client only had a read token and `trust_pickle=False`. Now the one artifact-name
rule and a containment check run before the client opens anything, a file is created (never
truncated), and no more bytes are taken than the metadata records.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from modelreg import ModelRegistry, ModelRegistryError

from .support import READ_TOKEN, running_app

VERSION = "20260101_000000"
PAYLOAD = b"what the server wants written"


def hostile_server(files: dict[str, Any], payload: bytes = PAYLOAD) -> Starlette:
    """A registry server that answers whatever it likes: here, `files` as the version's."""
    meta = {
        "version": VERSION,
        "metrics": {"rmse": 0.1},
        "files": files,
        "model": {"flavor": "files", "files": list(files)},
        "deployment_status": "production",
    }

    def metadata(request: Request) -> JSONResponse:
        return JSONResponse(meta)

    def download(request: Request) -> Response:
        return Response(payload, headers={"X-Checksum-Sha256": hashlib.sha256(payload).hexdigest()})

    def channels(request: Request) -> JSONResponse:
        return JSONResponse({"production": VERSION})

    return Starlette(
        routes=[
            Route(f"/api/versions/{VERSION}/metadata", metadata),
            Route(f"/api/versions/{VERSION}/files/{{name:path}}", download),
            Route("/api/channels", channels),
        ]
    )


@pytest.fixture
def client_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The client's temporary folder parent, with a precious file beside its folders."""
    folder = tmp_path / "client-tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    (folder / "precious.txt").write_text("keep me")
    yield folder


RECORD = {"sha256": hashlib.sha256(PAYLOAD).hexdigest(), "bytes": len(PAYLOAD)}


@pytest.mark.parametrize(
    "name",
    ["../precious.txt", "model/../../precious.txt", "PRECIOUS", "model\\..\\..\\precious.txt"],
)
def test_a_server_cannot_make_the_client_write_outside_its_folder(
    client_tmp: Path, name: str
) -> None:
    if name == "PRECIOUS":
        name = str(client_tmp / "precious.txt")  # an absolute path
    with running_app(hostile_server({name: RECORD})) as url:
        registry = ModelRegistry(url, token=READ_TOKEN, trust_pickle=False)
        with pytest.raises(ModelRegistryError, match="not allowed"):
            registry.load_version(VERSION)
        registry.close()
    assert (client_tmp / "precious.txt").read_text() == "keep me"
    assert sorted(p.name for p in client_tmp.iterdir()) == ["precious.txt"]


def test_a_server_cannot_send_more_than_the_metadata_records(client_tmp: Path) -> None:
    endless = PAYLOAD * 10_000
    small = {"sha256": hashlib.sha256(endless).hexdigest(), "bytes": 10}
    with running_app(hostile_server({"model/weights.bin": small}, endless)) as url:
        registry = ModelRegistry(url, token=READ_TOKEN, trust_pickle=False)
        with pytest.raises(ModelRegistryError, match="more than the 10 bytes"):
            registry.load_version(VERSION)
        registry.close()
    assert sorted(p.name for p in client_tmp.iterdir()) == ["precious.txt"]
