"""Register by upload (hashes checked on arrival) and import an export archive."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from modelreg import ModelRegistry

from .support import rich_result

MODEL = b"not really a model, but bytes to register"


def _declared(**extra: Any) -> dict[str, Any]:
    return {
        "metrics": {"rmse": 0.1},
        "features": ["a", "b"],
        "data_range": {"start": "2025-01-01", "end": "2025-06-30"},
        "files": {"model.bin": {"sha256": hashlib.sha256(MODEL).hexdigest()}},
        **extra,
    }


def _upload(client: TestClient, headers: dict, meta: dict, files: list | None = None) -> Any:
    return client.post(
        "/api/versions",
        data={"metadata": json.dumps(meta)},
        files=files if files is not None else [("files", ("model.bin", MODEL))],
        headers=headers,
    )


def test_register_by_upload(client: TestClient, writer: dict, served: ModelRegistry) -> None:
    response = _upload(client, writer, _declared(metadata_extra={"ticket": "ML-7"}))
    assert response.status_code == 201
    name = response.json()["version"]
    info = served.get_version_info(name)
    assert info is not None
    assert info["files"]["model.bin"] == {
        "sha256": hashlib.sha256(MODEL).hexdigest(),
        "bytes": len(MODEL),
    }
    assert info["ticket"] == "ML-7" and info["data_range"]["end"].startswith("2025-06-30")
    assert (Path(served.path) / name / "model.bin").read_bytes() == MODEL
    assert served.events()[-1].user == "alice"


def test_a_damaged_upload_is_refused(
    client: TestClient, writer: dict, served: ModelRegistry
) -> None:
    meta = _declared()
    meta["files"]["model.bin"]["sha256"] = "0" * 64
    response = _upload(client, writer, meta)
    assert response.status_code == 422
    assert response.json()["context"]["actual_sha256"] == hashlib.sha256(MODEL).hexdigest()
    assert served.list_versions() == []


@pytest.mark.parametrize(
    ("meta", "files"),
    [
        ("not json", None),
        ([1, 2], None),
        ({"files": {}}, None),
        ({"metrics": {"rmse": 1}}, None),
        ({"metrics": {"rmse": "high"}, "files": {"model.bin": {"sha256": "x"}}}, None),
        ({**_declared(), "version": "20200101_000000"}, None),
        (_declared(), [("files", ("../evil.bin", MODEL))]),
        (_declared(), [("files", (".hidden", MODEL))]),
        (_declared(), [("files", ("metadata.json", MODEL))]),
        (_declared(), [("files", ("other.bin", MODEL))]),
        (_declared(), [("files", ("model.bin", MODEL)), ("files", ("model.bin", MODEL))]),
        ({**_declared(), "files": {"model.bin": {"sha256": "a"}, "x.bin": {"sha256": "b"}}}, None),
        (_declared(metadata_extra={"metrics": 1}), None),
    ],
)
def test_bad_uploads_are_422(
    client: TestClient, writer: dict, served: ModelRegistry, meta: Any, files: list | None
) -> None:
    body = meta if isinstance(meta, str) else json.dumps(meta)
    response = client.post(
        "/api/versions",
        data={"metadata": body},
        files=files if files is not None else [("files", ("model.bin", MODEL))],
        headers=writer,
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"] in ("invalid_input", "reserved_key")
    assert served.list_versions() == []


def test_upload_needs_a_write_token(client: TestClient, reader: dict) -> None:
    assert _upload(client, reader, _declared()).status_code == 403


def test_import_an_export(
    client: TestClient, writer: dict, served: ModelRegistry, tmp_path: Path
) -> None:
    source = ModelRegistry(tmp_path / "elsewhere")
    name = source.register(rich_result(1))
    archive = source.export_version(name, tmp_path / "out.tar.gz")
    with open(archive, "rb") as handle:
        response = client.post(
            "/api/import", files={"archive": (archive.name, handle)}, headers=writer
        )
    assert response.status_code == 201 and response.json() == {"version": name, "added": True}
    assert served.get_version_info(name) is not None
    wrong = client.post("/api/import", files={"archive": ("x.rar", b"zz")}, headers=writer)
    assert wrong.status_code == 422
