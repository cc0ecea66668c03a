"""The real console entry (`python -m modelreg`): exit codes, streams, and a fast `list`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cli_support import console, model_file

HEAVY = ("pandas", "sklearn", "numpy", "rich", "fastapi", "uvicorn", "sqlalchemy")


def test_a_script_session_through_the_console_entry(tmp_path: Path) -> None:
    models = str(tmp_path / "models")
    source = str(model_file(tmp_path / "src"))
    assert console("--registry", models, "init", cwd=tmp_path).returncode == 0
    made = console(
        "-r", models, "register", "--create", source, "-m", "rmse=0.01", "-q", cwd=tmp_path
    )
    assert made.returncode == 0, made.stderr
    name = made.stdout.strip()
    env = {"MODELREG_REGISTRY": models}
    assert console("promote", name, "--reason", "ci", cwd=tmp_path, env=env).returncode == 0
    listed = console("list", "--json", cwd=tmp_path, env=env)
    rows = json.loads(listed.stdout)
    assert [(r["version"], r["deployment_status"]) for r in rows] == [(name, "production")]
    assert listed.stderr == ""


def test_exit_codes_and_one_line_errors(tmp_path: Path) -> None:
    models = str(tmp_path / "models")
    source = str(model_file(tmp_path / "src"))
    console("-r", models, "init", cwd=tmp_path)
    missing = console("-r", models, "show", "20990101_000000", cwd=tmp_path)
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines() == [
        f"Error: version 20990101_000000 not found in {models}"
    ]
    malformed = console(
        "-r", models, "register", "--create", source, "--metric", "acc=abc", cwd=tmp_path
    )
    assert malformed.returncode == 2
    assert "'abc' is not a number" in malformed.stderr and "Traceback" not in malformed.stderr
    nowhere = console("-r", str(tmp_path / "nowhere"), "list", cwd=tmp_path)
    assert nowhere.returncode == 1 and "no registry at" in nowhere.stderr
    debug = console("-r", models, "--debug", "show", "20990101_000000", cwd=tmp_path)
    assert debug.returncode == 1 and "Traceback" in debug.stderr


def test_list_json_imports_nothing_heavy(tmp_path: Path) -> None:
    models = str(tmp_path / "models")
    console("-r", models, "init", cwd=tmp_path)
    console(
        "-r",
        models,
        "register",
        "--create",
        str(model_file(tmp_path / "src")),
        "-m",
        "a=1",
        cwd=tmp_path,
    )
    probe = (
        "import sys\n"
        "from modelreg.cli import main\n"
        "try:\n"
        f"    main(['--registry', {models!r}, 'list', '--json'])\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
        f"print('LOADED', sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)) == 1
    assert "LOADED []" in done.stderr


def test_shell_completion_is_built_in(tmp_path: Path) -> None:
    script = console(cwd=tmp_path, env={"_MODELREG_COMPLETE": "bash_source"})
    assert script.returncode == 0 and "_MODELREG_COMPLETE=bash_complete" in script.stdout
    words = console(
        cwd=tmp_path,
        env={"_MODELREG_COMPLETE": "bash_complete", "COMP_WORDS": "modelreg ro", "COMP_CWORD": "1"},
    )
    assert "rollback" in words.stdout


def test_version_arguments_complete_from_the_registry(tmp_path: Path) -> None:
    models = str(tmp_path / "models")
    made = console(
        "-r", models, "register", "--create", str(model_file(tmp_path / "src")), "-q", cwd=tmp_path
    )
    name = made.stdout.strip()
    words = console(
        cwd=tmp_path,
        env={
            "_MODELREG_COMPLETE": "bash_complete",
            "COMP_WORDS": f"modelreg -r {models} show {name[:4]}",
            "COMP_CWORD": "4",
        },
    )
    assert words.returncode == 0
    assert name in words.stdout and "latest" not in words.stdout
