"""`modelreg server` as people run it: a real process, tokens from a file, Ctrl+C to stop."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from click.testing import CliRunner

from modelreg import ModelRegistry
from modelreg.cli import cli

from .support import fill


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_server_command_serves_the_registry(tmp_path: Path) -> None:
    names = fill(ModelRegistry(tmp_path / "models"), 1)
    (tmp_path / "tokens").write_text("reader-secret-1:read:bob\n")
    port = _free_port()
    command = [sys.executable, "-m", "modelreg", "server", "--registry", str(tmp_path / "models")]
    command += ["--port", str(port), "--tokens-file", str(tmp_path / "tokens")]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/api/health", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.1)
        headers = {"Authorization": "Bearer reader-secret-1"}
        rows = httpx.get(f"{url}/api/versions", headers=headers).json()
        assert [r["version"] for r in rows] == names
        assert httpx.get(f"{url}/api/versions").status_code == 401
        assert "<title>modelreg</title>" in httpx.get(url).text
        httpx.get(f"{url}/api/versions?limit=5&token=reader-secret-1", headers=headers)
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=20)
    assert "reader-secret-1" not in err
    assert f"http://127.0.0.1:{port}/" in err
    combined = re.compile(
        r"^127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000\] "
        r'"(GET|POST) (\S+) HTTP/1\.1" (\d{3}) (\d+|-) "[^"]*" "[^"]*"$'
    )
    logged = [m.groups() for m in map(combined.match, err.splitlines()) if m]
    assert ("GET", "/api/versions", "200") in [g[:3] for g in logged]
    assert ("GET", "/api/versions", "401") in [g[:3] for g in logged]
    assert ("GET", "/api/versions?limit=5&token=***", "200") in [g[:3] for g in logged]


def test_server_without_tokens_is_a_usage_error(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "MODELREG_TOKENS"}
    result = CliRunner(env=env).invoke(cli, ["server", "--registry", str(tmp_path)])
    assert result.exit_code == 2
    assert "--anonymous-read" in result.output


def test_server_with_an_unreadable_tokens_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["server", "--tokens-file", str(tmp_path / "none")])
    assert result.exit_code == 2
