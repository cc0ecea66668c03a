"""Helpers for the CLI tests: run a command against a registry inside tmp_path."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from modelreg.cli import cli


def run(registry: Path | str, *args: str, input: str | None = None, ok: bool = True) -> Result:
    """`modelreg --registry REGISTRY ARGS...` through click's runner; checks exit 0 if `ok`."""
    result = CliRunner().invoke(cli, ["--registry", str(registry), *args], input=input)
    if ok:
        assert result.exit_code == 0, (result.exit_code, result.output, result.exception)
    return result


def run_json(registry: Path | str, *args: str) -> Any:
    """Run a command with `--json` and parse its stdout."""
    return json.loads(run(registry, *args, "--json").stdout)


def model_file(folder: Path, payload: object = None, name: str = "model.pkl") -> Path:
    """A small pickled model file, as a user would register one."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(pickle.dumps(payload if payload is not None else {"coef": [0.5, -0.2]}))
    return path


def register(registry: Path | str, source: Path, *metrics: str) -> str:
    """Register `source` with `name=value` metrics; returns the new version's name."""
    args = [arg for metric in metrics for arg in ("--metric", metric)]
    return str(run(registry, "register", str(source), *args, "--create", "--quiet").stdout.strip())


def console(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The real entry point: `python -m modelreg ARGS...` in a subprocess."""
    environment = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "modelreg", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
