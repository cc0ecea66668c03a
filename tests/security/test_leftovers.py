"""Finding 10, the resource half: tables read whole, and what a killed server left unseen.

The CSV table endpoint read a 42 MB table into memory (67 -> 415 MB). kill -9 of a server in
the middle of an upload left temporary files outside the registry (150-300 MB), a scratch
file in the cache and an unfinished S3 multipart upload, none of which `verify --repair` saw.
Now tables are sampled as they stream; uploads stage inside the registry's own staging area
(the cache for a SQL catalog), and `verify --repair` finds and removes all three.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from modelreg import ModelRegistry
from server.support import fill

from .support import READ_TOKEN, WRITE_TOKEN, ServerProcess, auth, peak_memory, serve

MB = 1 << 20


def test_a_large_table_is_sampled_as_it_streams(tmp_path: Path) -> None:
    source = tmp_path / "run"
    source.mkdir()
    (source / "model.pkl").write_bytes(pickle.dumps({"coef": [0.5]}))
    with open(source / "validation_predictions.csv", "w") as out:
        out.write("timestamp,actual,predicted\n")
        row = 0
        while out.tell() < 42 * MB:
            out.writelines(
                f"2026-01-01T{(row + i) % 24:02d}:00:00,{(row + i) * 1e-3:.6f},0.5\n"
                for i in range(10_000)
            )
            row += 10_000
    registry = ModelRegistry(tmp_path / "models")
    name = registry.register_files(source, metrics={"rmse": 0.1})
    with serve(tmp_path / "models", tmp_path) as server:
        headers = auth(READ_TOKEN)
        httpx.get(f"{server.url}/api/versions/{name}/tables/feature_importance", headers=headers)
        before = peak_memory(server.pid)
        answer = httpx.get(
            f"{server.url}/api/versions/{name}/tables/validation_predictions",
            headers=headers,
            timeout=120,
        )
        assert answer.status_code == 200
        table = answer.json()
        assert table["columns"] == ["timestamp", "actual", "predicted"]
        assert 2500 <= len(table["rows"]) <= 5000 and table["truncated"] is True
        assert table["rows"][0][0] == "2026-01-01T00:00:00"
        assert peak_memory(server.pid) - before < 64 * MB


def _slow_upload(url: str, size: int) -> Iterator[bytes]:
    """A registration whose file trickles in, so the server can be killed in its middle."""
    data = b"\x01" * MB
    digest = hashlib.sha256()
    for _ in range(size // MB):
        digest.update(data)
    sha = digest.hexdigest()
    meta = {"metrics": {"rmse": 0.1}, "files": {"big.bin": {"sha256": sha}}}
    yield b'--xyz\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n'
    yield json.dumps(meta).encode() + b"\r\n"
    yield b'--xyz\r\nContent-Disposition: form-data; name="files"; filename="big.bin"\r\n\r\n'
    for _ in range(size // MB):
        yield data
        time.sleep(0.02)
    yield b"\r\n--xyz--\r\n"


def _upload_in_background(server: ServerProcess, size: int) -> threading.Thread:
    def send() -> None:
        with contextlib.suppress(httpx.TransportError):  # the server is killed under it
            httpx.post(
                f"{server.url}/api/versions",
                content=_slow_upload(server.url, size),
                headers={
                    **auth(WRITE_TOKEN),
                    "Content-Type": "multipart/form-data; boundary=xyz",
                },
                timeout=120,
            )

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


def _kill_when(server: ServerProcess, condition: object, what: str) -> None:
    deadline = time.monotonic() + 60
    while not condition():  # type: ignore[operator]
        assert server.process.poll() is None, server.log()
        assert time.monotonic() < deadline, f"never saw {what}"
        time.sleep(0.01)
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(timeout=30)


def _stored(places: list[Path]) -> int:
    """Bytes in named files below `places` (where an upload in flight may be written)."""
    total = 0
    for place in places:
        for path in place.rglob("*") if place.exists() else []:
            with contextlib.suppress(OSError):
                total += path.stat().st_size if path.is_file() else 0
    return total


def _repair(location: str | Path, tmp_path: Path, env: dict[str, str]) -> list[str]:
    with serve(location, tmp_path, env=env) as server:
        answer = httpx.post(
            f"{server.url}/api/verify", json={"repair": True}, headers=auth(WRITE_TOKEN)
        )
        assert answer.status_code == 200, answer.text
        repaired = answer.json()["repaired"]
        again = httpx.post(f"{server.url}/api/verify", json={}, headers=auth(READ_TOKEN)).json()
        assert again["problems"] == [], again
    return sorted(p["kind"] for p in repaired)


@pytest.mark.parametrize("kind", ["folder", "sqlite"])
def test_kill_9_mid_upload_leaves_nothing_repair_cannot_see(tmp_path: Path, kind: str) -> None:
    location: str | Path = tmp_path / "models"
    cache = tmp_path / "cache"
    if kind == "sqlite":
        location = f"sqlite:///{tmp_path / 'registry.db'}"
    fill(
        ModelRegistry(location, cache_dir=cache) if kind == "sqlite" else ModelRegistry(location), 1
    )
    (tmp_path / "tmp").mkdir()
    env = {"TMPDIR": str(tmp_path / "tmp"), "MODELREG_CACHE": str(cache)}
    places = [tmp_path / "tmp", tmp_path / "models" / ".staging", cache]
    with serve(location, tmp_path, env=env) as server:
        sender = _upload_in_background(server, 64 * MB)
        _kill_when(server, lambda: _stored(places) > 8 * MB, "8 MB of the upload stored")
        sender.join(timeout=60)
    assert list((tmp_path / "tmp").iterdir()) == [], "a killed server left files outside"
    assert "staging" in _repair(location, tmp_path, env)
    staged = (tmp_path / "models" / ".staging") if kind == "folder" else cache
    assert not [p for p in staged.glob(".scratch.*")] + [p for p in staged.glob("v.*")]


@pytest.mark.postgres
@pytest.mark.s3
def test_kill_9_mid_upload_to_s3_leaves_no_unfinished_multipart_upload(
    tmp_path: Path, postgres_schema_url: str, s3_endpoint: str
) -> None:
    import boto3

    prefix = f"leftovers-{os.getpid()}-{time.monotonic_ns()}"
    artifacts = f"s3://modelreg-test/{prefix}"
    env = {
        "MODELREG_ARTIFACTS": artifacts,
        "MODELREG_CACHE": str(tmp_path / "cache"),
        "AWS_ENDPOINT_URL": s3_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    s3 = boto3.client("s3", endpoint_url=s3_endpoint)

    def unfinished() -> list[dict[str, object]]:
        answer = s3.list_multipart_uploads(Bucket="modelreg-test", Prefix=prefix)
        return list(answer.get("Uploads") or [])

    with serve(postgres_schema_url, tmp_path, env=env) as server:
        sender = _upload_in_background(server, 160 * MB)
        _kill_when(server, lambda: bool(unfinished()), "a multipart upload begin")
        sender.join(timeout=60)
    assert unfinished(), "the kill must have interrupted the upload to S3"
    kinds = _repair(postgres_schema_url, tmp_path, env)
    assert "unfinished-upload" in kinds and "staging" in kinds, kinds
    assert unfinished() == []
