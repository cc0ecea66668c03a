"""Finding 1: a write token could set what the server records itself, and so read any file.

`POST /api/versions` merged the client's `artifacts` over the server's own record: a `files`
entry naming `../../../../etc/passwd` made the server stream its own file to any reader, and
`version`, `deployment_status`, `lineage` or `registered_at` could be forged the same way.
Now every key the registry records itself is refused with 422 naming it, at every level where
the server keeps its own record, and what is stored is exactly what was uploaded.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx
import pytest

from modelreg import ModelRegistry

from .support import READ_TOKEN, WRITE_TOKEN, auth

MODEL = b"the bytes of a model"
SHA = hashlib.sha256(MODEL).hexdigest()
#: what the registry records about a version itself (DESIGN.md, "Trust model")
SERVER_KEYS = (
    "version",
    "files",
    "deployment_status",
    "promoted_at",
    "registered_at",
    "format_version",
    "lineage",
)


def _register(url: str, **fields: Any) -> httpx.Response:
    meta = {"metrics": {"rmse": 0.1}, "files": {"model.bin": {"sha256": SHA}}, **fields}
    return httpx.post(
        f"{url}/api/versions",
        data={"metadata": json.dumps(meta)},
        files=[("files", ("model.bin", MODEL))],
        headers=auth(WRITE_TOKEN),
        timeout=30,
    )


def test_a_planted_file_entry_is_refused_and_nothing_is_served(
    url: str, served: ModelRegistry
) -> None:
    planted = {"../../../../etc/passwd": {"sha256": "0" * 64, "bytes": 1}}
    answer = _register(url, artifacts={"files": planted})
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"] == "reserved_key"
    assert answer.json()["context"]["keys"] == ["files"]
    assert served.list_versions() == []
    for version in ("latest", "20200101_000000"):
        leak = httpx.get(
            f"{url}/api/versions/{version}/files/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
            headers=auth(READ_TOKEN),
        )
        assert leak.status_code in (404, 422)
        assert b"root:" not in leak.content


@pytest.mark.parametrize("key", SERVER_KEYS)
def test_every_key_the_server_records_is_refused_by_name(
    url: str, served: ModelRegistry, key: str
) -> None:
    forged = {"version": "20200101_000000", "deployment_status": "production"}.get(key, "forged")
    for fields in ({"artifacts": {key: forged}}, {"metadata_extra": {key: forged}}):
        answer = _register(url, **fields)
        assert answer.status_code == 422, (fields, answer.text)
        assert key in answer.json()["message"]
    assert served.list_versions() == []


@pytest.mark.parametrize(
    ("artifacts", "named"),
    [
        ({"model": {"flavor": "pickle", "files": ["model.bin"], "hashes": {}}}, "hashes"),
        ({"model": {"flavor": "pickle", "files": ["../../etc/passwd"]}}, "passwd"),
        ({"model": {"flavor": "pickle", "files": ["other.bin"]}}, "other.bin"),
        ({"comment": "not a description"}, "comment"),
        ({"signature": {"inputs": "all of them"}}, "inputs"),
    ],
)
def test_a_model_record_names_only_what_was_stored(
    url: str, served: ModelRegistry, artifacts: dict[str, Any], named: str
) -> None:
    answer = _register(url, artifacts=artifacts)
    assert answer.status_code == 422, answer.text
    assert named in answer.json()["message"]
    assert served.list_versions() == []


def test_what_is_stored_is_what_was_uploaded(url: str, served: ModelRegistry) -> None:
    record = {"flavor": "files", "files": ["model.bin"], "class": "modelreg.flavors:ModelFiles"}
    answer = _register(url, artifacts={"model": record}, metadata_extra={"ticket": "ML-7"})
    assert answer.status_code == 201, answer.text
    name = answer.json()["version"]
    meta = served.stored_metadata(name)
    assert meta is not None
    assert meta["version"] == name
    assert meta["files"] == {"model.bin": {"sha256": SHA, "bytes": len(MODEL)}}
    assert meta["deployment_status"] == "registered" and meta["promoted_at"] is None
    assert meta["lineage"]["user"] == "alice"
    assert meta["model"] == record and meta["ticket"] == "ML-7"
    assert [v.version for v in served.list_versions()] == [name]
    assert served.verify().ok
