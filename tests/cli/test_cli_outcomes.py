"""How a run ends: a closed pipe, Ctrl-C, errors as JSON, global options after the command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from cli_support import model_file, register, run
from click.testing import CliRunner

from modelreg.cli import cli


@pytest.fixture
def models(tmp_path: Path) -> Path:
    models = tmp_path / "models"
    for i in range(3):
        register(models, model_file(tmp_path / f"src{i}"), f"rmse=0.0{i + 1}")
    return models


def _closed_pipe(*args: str) -> subprocess.CompletedProcess[bytes]:
    """Run modelreg with its stdout a pipe whose reader has already gone (`| head -0`)."""
    read, write = os.pipe()
    os.close(read)
    try:
        env = {**os.environ, "NO_COLOR": "1"}
        return subprocess.run(
            [sys.executable, "-m", "modelreg", *args],
            stdout=write,
            stderr=subprocess.PIPE,
            env=env,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write)


@pytest.mark.parametrize("args", [["list", "-q"], ["list"], ["list", "--json"], ["history"]])
def test_a_closed_pipe_ends_quietly(models: Path, args: list[str]) -> None:
    result = _closed_pipe("-r", str(models), *args)
    assert result.stderr.decode() == ""
    assert result.returncode == 0


def test_a_closed_pipe_under_pipefail_with_head(models: Path) -> None:
    script = f"set -o pipefail; {sys.executable} -m modelreg -r {models} list -q | head -1"
    result = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "Broken pipe" not in result.stderr
    assert len(result.stdout.splitlines()) == 1


def test_ctrl_c_exits_130(models: Path) -> None:
    """A real SIGINT in the middle of a command: 130, as the shell expects, no traceback."""
    code = (
        "import os, signal, time\n"
        "from modelreg import ModelRegistry\n"
        "def slow(*a, **k):\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    time.sleep(30)\n"
        "ModelRegistry.list_versions = slow\n"
        "from modelreg.cli import main\n"
        f"main(['-r', {str(models)!r}, 'list'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 130, result.stderr
    assert "Interrupted." in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "code", "exit_code"),
    [
        (["show", "20990101_000000"], "not_found", 1),
        (["list", "--min", "rmse"], "invalid_input", 2),
        (["show", "../etc"], "invalid_version", 2),
        (["cleanup", "--keep", "0"], "invalid_input", 2),
    ],
)
def test_json_errors_are_the_rest_apis_object(
    models: Path, args: list[str], code: str, exit_code: int
) -> None:
    result = run(models, *args, "--json", ok=False)
    assert result.exit_code == exit_code
    assert result.stdout == ""
    error = json.loads(result.stderr)
    assert error["error"] == code
    assert error["message"]
    assert set(error) == {"error", "message", "context"}


def test_json_error_codes_match_the_servers() -> None:
    """The code a CLI prints is the one the REST API answers with, from one table."""
    from modelreg.errors import VersionNotFoundError

    body = VersionNotFoundError("version x not found", version="x").to_dict()
    assert body["error"] == "not_found"


@pytest.mark.parametrize("place", ["before", "after"])
def test_global_options_either_side_of_the_command(models: Path, place: str) -> None:
    options = ["-r", str(models)]
    args = [*options, "list", "-q"] if place == "before" else ["list", "-q", *options]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert len(result.stdout.split()) == 3


def test_a_global_option_after_the_command_wins_over_the_environment(
    models: Path, tmp_path: Path
) -> None:
    env = {"MODELREG_REGISTRY": str(tmp_path / "elsewhere")}
    result = CliRunner().invoke(cli, ["list", "-q", "--registry", str(models)], env=env)
    assert result.exit_code == 0, result.output
    assert len(result.stdout.split()) == 3


def test_global_options_after_a_command_with_its_own_registry_option() -> None:
    """`serve` has its own --registry; the hidden copy must not clash with it."""
    command = cli.get_command(click.Context(cli), "serve")
    assert command is not None
    owners = [p for p in command.params if "--registry" in p.opts]
    assert len(owners) == 1 and not getattr(owners[0], "hidden", False)
    hidden = {p.name for p in command.params if getattr(p, "hidden", False)}
    assert {"config_path", "debug"} <= hidden
