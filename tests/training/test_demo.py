"""`modelreg demo`, the main job, end to end: in-process, as a process, and its folder rules."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from modelreg import InvalidInputError, ModelRegistry
from modelreg.cli import cli
from modelreg.training.demo import MARKER, prepare_folder


def _assert_demo_left_a_valid_registry(folder: Path) -> None:
    registry = ModelRegistry(folder / "models")
    assert registry.verify().ok
    production = registry.channels().get("production")
    assert production is not None and registry.load_version("latest") is not None
    actions = [event.action for event in registry.history()]
    assert actions[0] == "promote" and actions.count("promote") >= 2
    assert actions[-1] == "rollback"
    assert registry.history()[-1].version == production
    kept = registry.list_versions()
    assert len(kept) <= registry.keep_versions + 1  # cleanup ran; production always stays
    assert (folder / "prices.csv").is_file() and (folder / MARKER).is_file()


def test_demo_through_the_cli_runner(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    result = CliRunner().invoke(cli, ["demo", "--path", str(folder)])
    assert result.exit_code == 0, (result.output, result.exception)
    out = result.output
    for expected in (
        "First model",
        "Walk forward",
        "promoted",
        "switched from",
        "Rollback drill",
        "Cleanup",
        "all consistent",
        "Versions",
        "Audit history of production",
        "modelreg serve --registry",
    ):
        assert expected in out, expected
    _assert_demo_left_a_valid_registry(folder)


def test_demo_as_a_real_process(tmp_path: Path) -> None:
    env = {**os.environ, "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "modelreg", "demo", "--path", str(tmp_path / "d"), "--seed", "0"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "rollback" in done.stdout
    _assert_demo_left_a_valid_registry(tmp_path / "d")


def test_demo_refuses_a_folder_that_is_not_a_previous_demo(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "thesis.tex").write_text("precious")
    result = CliRunner().invoke(cli, ["demo", "--path", str(folder)])
    assert result.exit_code == 2
    assert "not a previous demo" in result.output and "--force" in result.output
    assert (folder / "thesis.tex").read_text() == "precious"


def test_force_clears_a_folder_and_a_previous_demo_is_replaced(tmp_path: Path) -> None:
    folder = tmp_path / "elsewhere"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "old.txt").write_text("x")
    assert prepare_folder(folder, force=True) == folder
    assert sorted(p.name for p in folder.iterdir()) == [MARKER]
    (folder / "models").mkdir()  # a previous run's leftovers
    prepare_folder(folder, force=False)
    assert sorted(p.name for p in folder.iterdir()) == [MARKER]


def test_force_never_clears_the_working_folder_or_a_file(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("x")  # tests run inside tmp_path
    with pytest.raises(InvalidInputError, match="refusing to clear"):
        prepare_folder(tmp_path, force=True)
    assert (tmp_path / "keep.txt").exists()
    with pytest.raises(InvalidInputError, match="not a folder"):
        prepare_folder(tmp_path / "keep.txt", force=True)
