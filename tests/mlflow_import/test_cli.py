"""`modelreg migrate --from mlflow:URI`: the command, its JSON, its dry run, at 80 columns."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from modelreg import ModelRegistry
from modelreg.cli import cli

from .mlflow_builder import Built


def _migrate(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["migrate", *args])
    return result.exit_code, result.stdout, result.stderr


def test_the_command_copies_and_says_what_it_did(mlflow_sqlite: Built, tmp_path: Path) -> None:
    dest = str(tmp_path / "models")
    source = f"mlflow:{mlflow_sqlite.uri}"
    code, planned, _ = _migrate("--from", source, "--to", dest, "--dry-run")
    assert code == 0 and not Path(dest).exists()
    assert "churn: would copy 3 version(s)" in planned
    assert "v2 skipped: deleted in MLflow" in planned
    assert "(dry run: nothing was written)" in " ".join(planned.split())
    assert all(len(line) <= 80 for line in planned.splitlines()), planned

    code, done, _ = _migrate("--from", source, "--to", dest)
    assert code == 0 and "Copied 6 version(s)" in done and "moved 3 channel(s)" in done
    assert "demand-forecast-137644d2 (MLflow: demand forecast): copied 2" in done
    assert all(len(line) <= 80 for line in done.splitlines()), done
    champion = ModelRegistry(dest, model="churn").current_version("champion")
    assert f"channel champion -> {champion}" in done

    code, again, _ = _migrate("--from", source, "--to", dest, "--json", "--model", "churn")
    (report,) = json.loads(again)
    assert code == 0 and report["mlflow_model"] == "churn"
    assert report["copied"] == [] and report["present"] == [1, 3, 4] and report["bytes"] == 0
    assert report["skipped"] == [{"mlflow_version": 2, "reason": "deleted in MLflow"}]


def test_usage_errors(mlflow_sqlite: Built, tmp_path: Path) -> None:
    code, _, err = _migrate("--from", str(tmp_path / "a"), "--to", str(tmp_path / "b"), "--dry-run")
    assert code == 2 and "--dry-run and --model-format are for --from mlflow:" in err
    code, _, err = _migrate(
        "--from",
        f"mlflow:{mlflow_sqlite.uri}",
        "--to",
        str(tmp_path / "b"),
        "--model-format",
        "onnx",
    )
    assert code == 2 and "'onnx' is not one of" in err
    code, _, err = _migrate(
        "--from", f"mlflow:{mlflow_sqlite.uri}", "--to", str(tmp_path / "b"), "--model", "nope"
    )
    assert code == 2 and "has no model 'nope'" in err and not (tmp_path / "b").exists()
