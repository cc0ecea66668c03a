"""`.ci/run` runs the README's two commands as written, so the two cannot drift apart."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CI = ROOT / ".ci" / "run"


def readme_commands() -> list[str]:
    """The lines of the README's first ```bash block: the install-and-run commands."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"^```bash\n(.*?)^```", text, re.DOTALL | re.MULTILINE)
    assert found, "README.md lost its commands block"
    return found.group(1).splitlines()


def ci_commands() -> list[str]:
    """The single-quoted lines of .ci/run's `readme_lines=( ... )` array."""
    text = CI.read_text(encoding="utf-8")
    found = re.search(r"^readme_lines=\(\n(.*?)^\)", text, re.DOTALL | re.MULTILINE)
    assert found, ".ci/run lost its readme_lines array"
    lines = [line.strip() for line in found.group(1).splitlines()]
    assert all(len(line) > 2 and line[0] == line[-1] == "'" for line in lines), lines
    return [line[1:-1] for line in lines]


def test_ci_runs_the_readme_commands_as_written() -> None:
    commands = readme_commands()
    assert len(commands) == 2 and "python -m pytest" in commands[1]
    assert ci_commands() == commands
    assert not any("'" in command for command in commands)  # single quotes hold them whole


def test_ci_runs_them_in_a_new_venv_and_stops_on_failure() -> None:
    text = CI.read_text(encoding="utf-8")
    body = text[text.index('new_venv "$scratch/shipped-pip"') :]
    assert 'python3 -m venv "$1"' in text and '. "$1/bin/activate"' in text
    assert body.index('for line in "${readme_lines[@]}"') < body.index("ruff check .")
    assert 'bash -c "$1" || {' in text and "exit 1" in text
    assert text.startswith("#!/usr/bin/env bash\n") and "set -euo pipefail" in text


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize("script", ["run", "services.sh"])
def test_ci_scripts_parse(script: str) -> None:
    done = subprocess.run(
        ["bash", "-n", str(ROOT / ".ci" / script)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_ci_builds_the_docs_strict_in_the_new_venv() -> None:
    text = CI.read_text(encoding="utf-8")
    body = text[
        text.index('new_venv "$scratch/shipped-pip"') : text.index('new_venv "$scratch/newest-pip"')
    ]
    assert "python -m mkdocs build --strict" in body
    assert "nginx" in (ROOT / ".ci" / "services.sh").read_text(encoding="utf-8")
