"""Finding 10, the input and output half: what answers showed, and inputs that broke through.

Error bodies and `/api/debris` showed server paths, and the database URL, to read tokens; a
JSON field nested 100,000 deep gave a 500; `features: "abc"` was stored as ["a", "b", "c"]; a
promote on a read-only folder printed a raw `[Errno 13] ... .lock`. Now no answer shows a path
or a database URL, deep nesting and a string of features are 422, and a registry the server
may not write to says so in words.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from modelreg import InvalidInputError, ModelRegistry
from server.support import fill

from .support import READ_TOKEN, WRITE_TOKEN, auth, serve

MODEL = b"model bytes"


def _secrets(registry: ModelRegistry) -> list[str]:
    """What an answer must not show: where and how the registry is stored."""
    if isinstance(registry.path, Path):
        return [str(registry.path), str(Path(registry.path).resolve())]
    return ["postgresql", "sqlite:", "127.0.0.1", "search_path", "postgres@"]


def test_no_answer_shows_a_server_path_or_a_database_url(url: str, served: ModelRegistry) -> None:
    names = fill(served, 2)
    if isinstance(served.path, Path):  # leftovers of a killed writer, and a damaged version
        from modelreg._fsutil import HOST_TAG

        (served.path / ".staging" / f"v.{HOST_TAG}.999999999.dead").mkdir(parents=True)
        (served.path / names[0] / "metadata.json").write_text("{ not json")
    answers = [
        httpx.get(f"{url}/api/debris", headers=auth(READ_TOKEN)),
        httpx.get(f"{url}/api/versions/{names[0]}", headers=auth(READ_TOKEN)),
        httpx.get(f"{url}/api/versions/{names[0]}/files/model.pkl", headers=auth(READ_TOKEN)),
        httpx.get(
            f"{url}/api/compare",
            params={"version1": "20200101_000000", "version2": names[1]},
            headers=auth(READ_TOKEN),
        ),
        httpx.post(f"{url}/api/verify", json={}, headers=auth(READ_TOKEN)),
        httpx.post(
            f"{url}/api/promote", json={"version": "20200101_000000"}, headers=auth(WRITE_TOKEN)
        ),
        httpx.delete(f"{url}/api/versions/20200101_000000", headers=auth(WRITE_TOKEN)),
    ]
    assert {a.status_code for a in answers} >= {200, 404}
    for answer in answers:
        for secret in _secrets(served):
            assert secret not in answer.text, (answer.request.url, answer.text)
    if isinstance(served.path, Path):
        debris = answers[0].json()
        assert debris and debris[0]["path"].startswith("<registry>/.staging/")


def _register(url: str, meta_text: str) -> httpx.Response:
    return httpx.post(
        f"{url}/api/versions",
        data={"metadata": meta_text},
        files=[("files", ("model.bin", MODEL))],
        headers=auth(WRITE_TOKEN),
        timeout=60,
    )


def test_deep_nesting_is_refused_not_a_crash(url: str, served: ModelRegistry) -> None:
    files = json.dumps({"model.bin": {"sha256": hashlib.sha256(MODEL).hexdigest()}})
    deep = "[" * 100_000 + "]" * 100_000
    for field in ("metrics", "config", "metadata_extra"):
        text = f'{{"metrics": {{"rmse": 0.1}}, "files": {files}, "{field}": {deep}}}'
        answer = _register(url, text)
        assert answer.status_code == 422, (field, answer.text)
    deeper_than_stored = '{"a": ' * 40 + "1" + "}" * 40
    text = f'{{"metrics": {{"rmse": 0.1}}, "files": {files}, "config": {deeper_than_stored}}}'
    assert _register(url, text).status_code == 422
    promote = httpx.post(
        f"{url}/api/promote",
        content=('{"version": ' + deep + "}").encode(),
        headers={**auth(WRITE_TOKEN), "Content-Type": "application/json"},
    )
    assert 400 <= promote.status_code < 500, promote.text
    assert served.list_versions() == []


def test_features_must_be_a_list_of_names(url: str, served: ModelRegistry, tmp_path: Path) -> None:
    meta = {
        "metrics": {"rmse": 0.1},
        "features": "abc",
        "files": {"model.bin": {"sha256": hashlib.sha256(MODEL).hexdigest()}},
    }
    answer = _register(url, json.dumps(meta))
    assert answer.status_code == 422 and "features" in answer.json()["message"]
    (tmp_path / "model.bin").write_bytes(MODEL)
    with pytest.raises(InvalidInputError, match="features"):
        served.register_files(tmp_path / "model.bin", metrics={"rmse": 0.1}, features="abc")
    assert served.list_versions() == []


@pytest.fixture
def read_only_registry(tmp_path: Path) -> Iterator[Path]:
    """A registry with every write bit removed (its server is denied root's override)."""
    root = tmp_path / "models"
    names = fill(ModelRegistry(root), 2)
    ModelRegistry(root).promote(names[0])
    paths = [root, *root.rglob("*")]
    for path in paths:
        if not path.is_symlink():
            path.chmod(stat.S_IMODE(path.stat().st_mode) & ~0o222)
    yield root
    for path in [root, *root.rglob("*")]:  # afresh: readers may have added or removed files
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)


def _without_root_override() -> None:
    """In the child: root, but bound by file permissions like anyone (drops CAP_DAC_OVERRIDE,
    CAP_DAC_READ_SEARCH and CAP_FOWNER from the bounding set before exec)."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2, 3):
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_a_read_only_registry_says_so_in_words(read_only_registry: Path, tmp_path: Path) -> None:
    root = read_only_registry
    names = sorted(p.name for p in root.iterdir() if p.name[0].isdigit())
    with serve(root, tmp_path, preexec=_without_root_override) as server:
        rows = httpx.get(f"{server.url}/api/versions", headers=auth(READ_TOKEN)).json()
        assert len(rows) == 2
        answer = httpx.post(
            f"{server.url}/api/promote", json={"version": names[1]}, headers=auth(WRITE_TOKEN)
        )
        assert answer.status_code == 503, answer.text
        body = answer.json()
        assert body["error"] == "storage"
        assert "write access" in body["message"] and "Errno" not in body["message"]
        assert str(root) not in answer.text
    cli = subprocess.run(
        [sys.executable, "-m", "modelreg", "-r", str(root), "promote", names[1]],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_without_root_override,
        cwd=tmp_path,
    )
    assert cli.returncode == 1, cli.stderr
    assert "write access" in cli.stderr and "Errno" not in cli.stderr
    assert ModelRegistry(root).channels() == {"production": names[0]}
