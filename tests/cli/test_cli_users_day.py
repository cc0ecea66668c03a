"""The user's day of issue 14 from the CLI, on a folder and on a SQLite catalog: describe and
tag, alias, read `@champion`, filter by tag, move `staging` and roll it back, read the log."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import model_file, register, run, run_json


@pytest.mark.parametrize("kind", ["folder", "sqlite"])
def test_a_users_day_from_the_cli(tmp_path: Path, kind: str) -> None:
    models = tmp_path / "models" if kind == "folder" else f"sqlite:///{tmp_path / 'reg.db'}"
    source = model_file(tmp_path / "src")
    a, b, c = (register(models, source, f"rmse=0.0{i + 1}") for i in range(3))
    run(models, "model", "--describe", "Next-day *direction*.", "--tag", "team=fx")
    for version, owner in ((a, "alice"), (b, "alice"), (c, "bob")):
        run(models, "describe", version, f"## {version}\n**owner** {owner}", "--reason", "triage")
        run(models, "tag", version, f"owner={owner}", "dataset=v3")
    run(models, "promote", b, "--channel", "champion", "--reason", "best")
    run(models, "promote", c, "--channel", "staging", "--reason", "candidate")

    champion = run_json(models, "show", "@champion")
    assert (champion["version"], champion["description"]) == (b, f"## {b}\n**owner** alice")
    assert champion["tags"] == {"owner": "alice", "dataset": "v3"}
    exported = tmp_path / "champion.tar.gz"
    run(models, "export", "@champion", str(exported))
    assert exported.stat().st_size > 0
    listed = run_json(models, "list", "--tag", "owner=alice")
    assert [(row["version"], row["channels"]) for row in listed] == [(b, ["champion"]), (a, [])]
    assert run_json(models, "describe", "@staging") == {
        "version": c,
        "description": f"## {c}\n**owner** bob",
    }
    assert "**owner** bob" in run(models, "describe", c).stdout
    assert run_json(models, "model") == {
        "model": "default",
        "description": "Next-day *direction*.",
        "tags": {"team": "fx"},
    }

    run(models, "promote", a, "--channel", "staging", "--reason", "older one")
    run(models, "rollback", "--channel", "staging", "--reason", "worse")
    staging = run_json(models, "history", "--channel", "staging")
    assert [(e["action"], e["version"], e["reason"]) for e in staging] == [
        ("promote", c, "candidate"),
        ("promote", a, "older one"),
        ("rollback", c, "worse"),
    ]
    log = run_json(models, "history", "--all")
    described = [e for e in log if e["action"] == "describe"]
    assert [e.get("version") for e in described] == [None, a, b, c]
    assert described[1]["details"] == {"description": f"## {a}\n**owner** alice", "previous": None}


def test_describe_reads_a_file_and_clears(tmp_path: Path) -> None:
    models = tmp_path / "models"
    version = register(models, model_file(tmp_path / "src"), "rmse=0.1")
    notes = tmp_path / "NOTES.md"
    notes.write_text("# Notes\r\n\r\n- [red]not markup[/red]\n", encoding="utf-8")
    shown = run(models, "describe", version, "--file", str(notes)).stdout
    assert "[red]not markup[/red]" in shown  # printed as written, not as console markup
    assert "[red]not markup[/red]" in run(models, "show", version).stdout
    piped = run(models, "describe", version, "--file", "-", "--json", input="from *stdin*\n")
    assert '"description": "from *stdin*"' in piped.stdout
    assert run_json(models, "describe", version, "--clear")["description"] is None
    assert "has no description" in run(models, "describe", version).stdout


def test_bad_descriptions_are_clear_errors(tmp_path: Path) -> None:
    models = tmp_path / "models"
    version = register(models, model_file(tmp_path / "src"), "rmse=0.1")
    long = run(models, "describe", version, "x" * 20_001, ok=False)
    assert long.exit_code == 2 and "at most 20000 characters" in long.output
    control = run(models, "describe", version, "a\x1b[2Jb", ok=False)
    assert control.exit_code == 2 and "U+001B" in control.output
    both = run(models, "describe", version, "text", "--clear", ok=False)
    assert both.exit_code == 2 and "not more than one" in both.output
    missing = run(models, "describe", "@champion", "text", ok=False)
    assert missing.exit_code == 1 and "no champion version yet" in missing.output
    assert run_json(models, "describe", version)["description"] is None
