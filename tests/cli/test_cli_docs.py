"""The README's CLI walkthrough runs as written (tests/docs/ checks the docs name every command)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from modelreg import ModelRegistry

README = Path(__file__).resolve().parents[2] / "README.md"
MARKER = "<!-- cli-walkthrough"


def walkthrough() -> str:
    """The first ```bash block after the walkthrough marker."""
    text = README.read_text(encoding="utf-8")
    found = re.search(re.escape(MARKER) + r".*?```bash\n(.*?)```", text, re.DOTALL)
    assert found, "README.md lost its CLI walkthrough block"
    return found.group(1)


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_walkthrough_runs_as_written(tmp_path: Path) -> None:
    script = walkthrough()
    assert "modelreg init" in script and "modelreg rollback" in script
    bin_dir = Path(sys.executable).parent
    assert (bin_dir / "modelreg").exists(), "the console script is not installed"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "NO_COLOR": "1"}
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    registry = ModelRegistry(tmp_path / "cli-models")
    versions = registry.list_versions()
    assert len(versions) == 2  # cleanup kept the newest and production
    production = registry.channels()["production"]
    assert [e.action for e in registry.history()] == ["promote", "promote", "rollback"]
    assert registry.history()[-1].reason == "latency regression"
    assert production == registry.history()[0].version
    assert f'"version": "{production}"' in done.stdout  # `show latest --json`
