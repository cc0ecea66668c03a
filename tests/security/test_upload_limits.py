"""Finding 6: an upload's body was stored before the 401, stored twice with a token, unbounded.

300 MB sent without a token were spooled to temporary files before the server said 401; with
a token each upload was written twice (and copied a third time); nothing bounded its size. Now
the token is checked before a byte of the body is read, an upload is streamed once into the
registry's staging area, and `--max-upload-size` answers 413 without storing anything.
The server is a process of its own, so the bytes it writes are counted (/proc/PID/io).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from modelreg import ModelRegistry
from server.support import fill

from .support import READ_TOKEN, WRITE_TOKEN, ServerProcess, auth, serve, written_bytes

MB = 1 << 20


def _server(tmp_path: Path, *args: str) -> Iterator[ServerProcess]:
    fill(ModelRegistry(tmp_path / "models"), 1)
    (tmp_path / "tmp").mkdir()
    env = {"TMPDIR": str(tmp_path / "tmp")}
    with serve(tmp_path / "models", tmp_path, args=args, env=env) as process:
        yield process


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A folder registry's server, with a temp folder of its own that we can watch."""
    yield from _server(tmp_path)


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[ServerProcess]:
    """The same, with a 20 MB upload limit."""
    yield from _server(tmp_path, "--max-upload-size", "20M")


def _send_head(url: str, path: str, headers: dict[str, str], body: bytes) -> tuple[str, bytes]:
    """Send a request's headers and the first part of a body it claims is larger, as an
    attacker on a raw socket would; return the status line the server answers with."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        head = [f"POST {path} HTTP/1.1", f"Host: {host}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        answer = b""
        while not _complete(answer):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    status = answer.split(b"\r\n", 1)[0].decode()
    return status, answer


def _complete(answer: bytes) -> bool:
    head, sep, body = answer.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.lower().split(b"\r\n"):
        if line.startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return True


def _leftovers(tmp_path: Path) -> list[str]:
    staged = tmp_path / "models" / ".staging"
    found = list((tmp_path / "tmp").iterdir())
    found += list(staged.iterdir()) if staged.exists() else []
    return [p.name for p in found]


MULTIPART = "multipart/form-data; boundary=xyz"


@pytest.mark.parametrize(
    ("token", "status"),
    [(None, ("401",)), ("not-a-token-at-all", ("401",)), (READ_TOKEN, ("403", "413"))],
)
def test_a_body_is_not_read_before_the_token_is_checked(
    server: ServerProcess, tmp_path: Path, token: str | None, status: tuple[str, ...]
) -> None:
    headers = {"Content-Type": MULTIPART, "Content-Length": str(300 * MB)}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    before = written_bytes(server.pid)
    for path in ("/api/versions", "/api/import", "/api/promote"):
        line, _ = _send_head(server.url, path, headers, b"--xyz\r\n" + b"x" * MB)
        assert line.split()[1] in status, (path, line)
    assert written_bytes(server.pid) - before < MB // 2
    assert _leftovers(tmp_path) == []


def test_a_body_past_the_limit_is_refused_with_413(limited: ServerProcess, tmp_path: Path) -> None:
    server = limited
    headers = {"Content-Type": MULTIPART, "Authorization": f"Bearer {WRITE_TOKEN}"}
    line, answer = _send_head(
        server.url, "/api/versions", {**headers, "Content-Length": str(300 * MB)}, b""
    )
    assert "413" in line and b"max-upload-size" in answer
    before = written_bytes(server.pid)
    meta = json.dumps({"metrics": {"rmse": 0.1}, "files": {"big.bin": {"sha256": "0" * 64}}})

    def chunked() -> Iterator[bytes]:  # no Content-Length: the limit is counted as it comes
        yield b'--xyz\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n'
        yield meta.encode() + b"\r\n"
        yield b'--xyz\r\nContent-Disposition: form-data; name="files"; filename="big.bin"\r\n\r\n'
        for _ in range(40):
            yield b"\0" * MB

    try:
        response = httpx.post(
            f"{server.url}/api/versions",
            content=chunked(),
            headers={**headers, "Content-Type": MULTIPART},
            timeout=60,
        )
        assert response.status_code == 413, response.text
    except httpx.TransportError:
        pass  # the server may close the connection on the rest of the body: it did not store it
    assert written_bytes(server.pid) - before < 24 * MB
    assert _leftovers(tmp_path) == []
    assert len(ModelRegistry(tmp_path / "models").list_versions()) == 1


def test_an_upload_is_stored_once(server: ServerProcess, tmp_path: Path) -> None:
    data = os.urandom(12 * MB)
    meta = {
        "metrics": {"rmse": 0.1},
        "files": {"big.bin": {"sha256": hashlib.sha256(data).hexdigest()}},
    }
    before = written_bytes(server.pid)
    answer = httpx.post(
        f"{server.url}/api/versions",
        data={"metadata": json.dumps(meta)},
        files=[("files", ("big.bin", data))],
        headers=auth(WRITE_TOKEN),
        timeout=60,
    )
    assert answer.status_code == 201, answer.text
    written = written_bytes(server.pid) - before
    assert len(data) <= written < 1.25 * len(data), written
    name = answer.json()["version"]
    assert (tmp_path / "models" / name / "big.bin").read_bytes() == data
    assert _leftovers(tmp_path) == []


def _hashed_later(data: bytes) -> bytes:
    """A registration's head as a client hashing while it sends writes it: the file declared
    by its size, its sha256 to follow in the last part."""
    meta = {"metrics": {"rmse": 0.1}, "files": {"big.bin": {"bytes": len(data)}}}
    return (
        b'--xyz\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n'
        + json.dumps(meta).encode()
        + b'\r\n--xyz\r\nContent-Disposition: form-data; name="files"; filename="big.bin"\r\n\r\n'
    )


def test_a_lying_checksums_part_stores_nothing(server: ServerProcess, tmp_path: Path) -> None:
    data = os.urandom(4 * MB)
    body = (
        _hashed_later(data)
        + data
        + b'\r\n--xyz\r\nContent-Disposition: form-data; name="checksums"\r\n\r\n'
        + json.dumps({"big.bin": hashlib.sha256(b"something else").hexdigest()}).encode()
        + b"\r\n--xyz--\r\n"
    )
    answer = httpx.post(
        f"{server.url}/api/versions",
        content=body,
        headers={"Content-Type": MULTIPART, **auth(WRITE_TOKEN)},
        timeout=60,
    )
    assert answer.status_code == 422 and "big.bin arrived with sha256" in answer.text
    assert _leftovers(tmp_path) == []
    assert len(ModelRegistry(tmp_path / "models").list_versions()) == 1


def test_an_upload_cut_short_leaves_nothing(server: ServerProcess, tmp_path: Path) -> None:
    data = os.urandom(4 * MB)
    head = _hashed_later(data)
    host, port = server.url.removeprefix("http://").split(":")
    request = (
        f"POST /api/versions HTTP/1.1\r\nHost: {host}\r\nContent-Type: {MULTIPART}\r\n"
        f"Authorization: Bearer {WRITE_TOKEN}\r\nContent-Length: {len(head) + len(data) + 200}"
        "\r\n\r\n"
    ).encode()
    before = written_bytes(server.pid)
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(request + head + data[: 2 * MB])
        deadline = time.monotonic() + 20  # the server has begun storing the file
        while written_bytes(server.pid) - before < MB // 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert written_bytes(server.pid) - before >= MB // 2
    while _leftovers(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _leftovers(tmp_path) == []
    assert len(ModelRegistry(tmp_path / "models").list_versions()) == 1
