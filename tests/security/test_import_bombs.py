"""Finding 7: a small archive could fill the disk before import checked anything.

An artifact placed before metadata.json was unpacked whole before anything was checked: a
3 MB archive wrote 3.2 GB to staging before it was refused, through the CLI and through
`POST /api/import`. Now an artifact before the metadata is refused before a byte of it is
written, every member is bounded by the size the metadata declares, and the declared total by
the upload limit.
"""

from __future__ import annotations

import hashlib
import io
import json
import resource
import subprocess
import sys
import tarfile
from pathlib import Path

import httpx
import pytest

from modelreg import ModelRegistry
from server.support import fill

from .support import WRITE_TOKEN, auth, serve, written_bytes

MB = 1 << 20
BOMB = 200 * MB
VERSION = "20260101_000000"


class _Zeros(io.RawIOBase):
    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), self.left)
        buffer[:n] = bytes(n)
        self.left -= n
        return n


def _bomb(path: Path, *, metadata_first: bool) -> Path:
    """An archive that unpacks to BOMB bytes of zeros, its metadata telling the truth."""
    digest = hashlib.sha256()
    zeros = _Zeros(BOMB)
    while chunk := zeros.read(8 * MB):
        digest.update(chunk)
    meta = {
        "version": VERSION,
        "metrics": {"rmse": 0.1},
        "registered_at": "2026-01-01T00:00:00Z",
        "files": {"model.bin": {"sha256": digest.hexdigest(), "bytes": BOMB}},
    }
    meta_bytes = json.dumps(meta).encode()
    manifest = {
        "format": "modelreg-archive",
        "archive_version": 1,
        "version": VERSION,
        "metadata_sha256": hashlib.sha256(meta_bytes).hexdigest(),
    }

    def small(tar: tarfile.TarFile, name: str, data: bytes) -> None:
        info = tarfile.TarInfo(f"{VERSION}/{name}")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))

    with tarfile.open(path, "w:gz", compresslevel=1) as tar:
        small(tar, "modelreg-archive.json", json.dumps(manifest).encode())
        if metadata_first:
            small(tar, "metadata.json", meta_bytes)
        info = tarfile.TarInfo(f"{VERSION}/model.bin")
        info.size = BOMB
        tar.addfile(info, io.BufferedReader(_Zeros(BOMB)))
        if not metadata_first:
            small(tar, "metadata.json", meta_bytes)
    assert path.stat().st_size < 2 * MB
    return path


@pytest.mark.parametrize(
    ("metadata_first", "limit", "status", "says"),
    [
        (False, (), 422, "comes before metadata.json"),
        (True, ("--max-upload-size", "64M"), 413, "more than the"),
    ],
)
def test_an_import_bomb_is_refused_before_it_is_unpacked(
    tmp_path: Path, metadata_first: bool, limit: tuple[str, ...], status: int, says: str
) -> None:
    archive = _bomb(tmp_path / "bomb.tar.gz", metadata_first=metadata_first)
    fill(ModelRegistry(tmp_path / "models"), 1)
    with serve(tmp_path / "models", tmp_path, args=limit) as server:
        before = written_bytes(server.pid)
        with open(archive, "rb") as handle:
            answer = httpx.post(
                f"{server.url}/api/import",
                files={"archive": ("bomb.tar.gz", handle)},
                headers=auth(WRITE_TOKEN),
                timeout=120,
            )
        assert answer.status_code == status, answer.text
        assert says in answer.json()["message"]
        assert written_bytes(server.pid) - before < 16 * MB
    assert [v.version for v in ModelRegistry(tmp_path / "models").list_versions()] != [VERSION]


def _limit_file_size() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * MB, 64 * MB))


def test_the_cli_refuses_the_bomb_before_writing_it(tmp_path: Path) -> None:
    """Under a 64 MB file-size limit, unpacking first would die with EFBIG; refusing first
    says what is wrong with the archive."""
    archive = _bomb(tmp_path / "bomb.tar.gz", metadata_first=False)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "modelreg",
            "-r",
            str(tmp_path / "models"),
            "import",
            "--create",
            str(archive),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limit_file_size,
        cwd=tmp_path,
    )
    assert result.returncode == 2, result.stderr
    assert "comes before metadata.json" in result.stderr
    staged = tmp_path / "models" / ".staging"
    assert not staged.exists() or list(staged.iterdir()) == []
