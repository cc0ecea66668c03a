"""`modelreg serve` as people run it: a real process, any registry location, stopped by a signal."""

from __future__ import annotations

import signal
import socket
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from modelreg import ModelRegistry
from modelreg.cli import cli

from .support import records, ridge, serve_process, wait_for


def test_help_shows_an_example_and_fits_80_columns() -> None:
    result = CliRunner().invoke(cli, ["serve", "--help"], terminal_width=80)
    assert result.exit_code == 0
    assert "modelreg serve --registry models/ --port 8000" in result.output
    assert "--trust-pickle / --no-trust-pickle" in result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80


def test_a_missing_folder_is_an_error_before_listening(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["serve", "--registry", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert "no registry at" in result.output


def test_a_malformed_channel_is_a_usage_error(tmp_path: Path) -> None:
    ModelRegistry(tmp_path / "models").create()
    result = CliRunner().invoke(
        cli, ["serve", "--registry", str(tmp_path / "models"), "--channel", "../x"]
    )
    assert result.exit_code == 2
    assert "channel" in result.output


def test_a_taken_port_is_a_clear_error(tmp_path: Path) -> None:
    ModelRegistry(tmp_path / "models").create()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = CliRunner().invoke(
            cli, ["serve", "--registry", str(tmp_path / "models"), "--port", port]
        )
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_serves_and_stops_cleanly_on_a_signal(tmp_path: Path, stop: signal.Signals) -> None:
    registry = ModelRegistry(tmp_path / "models")
    version = registry.register(ridge(1.0))
    registry.promote(version)
    with serve_process(str(tmp_path / "models"), tmp_path) as server:
        wait_for(lambda: server.ready()["ready"], "the first model")
        answer = httpx.post(f"{server.url}/predict", json=records())
        assert answer.json()["version"] == version
        server.process.send_signal(stop)
        assert server.process.wait(timeout=20) == 0
    log = server.log()
    assert "Traceback" not in log
    assert f"serving {version} from production" in log


def test_follows_a_registry_server_with_a_read_token(tmp_path: Path) -> None:
    from server.support import READ_TOKEN, running_server

    served = ModelRegistry(tmp_path / "served", model_format="safe")
    first = served.register(ridge(1.0))
    second = served.register(ridge(30.0))
    pickled = ModelRegistry(tmp_path / "served", model_format="pickle").register(ridge(3.0))
    served.promote(first)
    with running_server(served) as url:
        with serve_process(url, tmp_path) as anonymous:
            ready = wait_for(
                lambda: (r := anonymous.ready())["read_error"] and r, "the refused read"
            )
            assert ready["read_error"]["error"] == "unauthorized" and not ready["ready"]
            assert ready["reason"].startswith("cannot read production:")
            assert httpx.post(f"{anonymous.url}/predict", json=records()).status_code == 503
        with serve_process(url, tmp_path, env={"MODELREG_TOKEN": READ_TOKEN}) as server:
            wait_for(lambda: server.ready()["version"] == first, "the first version")
            served.promote(pickled)  # a server's pickles are not trusted by default
            failure = wait_for(lambda: server.ready()["last_failure"], "the refusal")
            assert failure["version"] == pickled and failure["error"] == "untrusted"
            assert httpx.post(f"{server.url}/predict", json=records()).json()["version"] == first
            served.promote(second)
            wait_for(lambda: server.ready()["version"] == second, "the second version")
            answer = httpx.post(f"{server.url}/predict", json=records()).json()
            assert answer["version"] == second
        assert READ_TOKEN not in server.log()


def test_serves_a_named_model(tmp_path: Path) -> None:
    named = ModelRegistry(tmp_path / "models", model="btc_direction")
    version = named.register(ridge(10.0))
    named.promote(version)
    with serve_process(str(tmp_path / "models"), tmp_path, "--model", "btc_direction") as server:
        wait_for(lambda: server.ready()["version"] == version, "the named model's production")
