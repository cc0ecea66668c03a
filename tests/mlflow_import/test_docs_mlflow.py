"""docs/mlflow.md runs as written, on a real MLflow registry (tests/docs_blocks.py runs it)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from docs_blocks import ROOT, run_page
from modelreg import ModelRegistry

from .mlflow_builder import Built


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_mlflow_page_runs(sqlite_template: Built, tmp_path: Path) -> None:
    shutil.copyfile(sqlite_template.uri.removeprefix("sqlite:///"), tmp_path / "mlflow.db")
    done = run_page(ROOT / "docs" / "mlflow.md", tmp_path)
    assert "churn 0 0 [SkippedVersion(mlflow_version=2" in done.stdout  # the CLI copied churn
    churn = ModelRegistry(tmp_path / "models", model="churn")
    assert len(churn.list_versions()) == 3 and churn.current_version("champion")
    assert ModelRegistry(tmp_path / "models", model="wide").list_versions()
