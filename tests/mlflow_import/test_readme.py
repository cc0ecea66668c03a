"""The README's "Coming from MLflow" blocks run as written, on a real MLflow registry."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from modelreg import ModelRegistry

from .mlflow_builder import Built

README = Path(__file__).resolve().parents[2] / "README.md"
MARKER = "<!-- mlflow-import"


def _blocks() -> tuple[str, str]:
    text = README.read_text(encoding="utf-8")
    found = re.search(
        re.escape(MARKER) + r".*?```bash\n(.*?)```\n```python\n(.*?)```", text, re.DOTALL
    )
    assert found, "README.md lost its MLflow blocks"
    return found.group(1), found.group(2)


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_readme_blocks_run(sqlite_template: Built, tmp_path: Path) -> None:
    shell, python = _blocks()
    shutil.copyfile(sqlite_template.uri.removeprefix("sqlite:///"), tmp_path / "mlflow.db")
    commands = "\n".join(line for line in shell.splitlines() if not line.startswith("pip "))
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "NO_COLOR": "1"}
    for script in (["bash", "-euo", "pipefail", "-c", commands], [sys.executable, "-c", python]):
        done = subprocess.run(
            script, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
    assert "churn 0 0 [SkippedVersion(mlflow_version=2" in done.stdout  # the CLI copied churn
    churn = ModelRegistry(tmp_path / "models", model="churn")
    assert len(churn.list_versions()) == 3 and churn.current_version("champion")
    assert ModelRegistry(tmp_path / "models", model="wide").list_versions()
