"""`--quiet` prints what the CLI reference says it prints, for every command that has it."""

from __future__ import annotations

import re
from pathlib import Path

import click
from cli_support import model_file, register, run

from modelreg.cli import cli

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "reference" / "cli.md"


def quiet_commands() -> set[str]:
    """Every command (`db upgrade` for the group) that takes --quiet."""
    found = set()
    ctx = click.Context(cli)
    for name in cli.list_commands(ctx):
        command = cli.get_command(ctx, name)
        subcommands = command.commands if isinstance(command, click.Group) else {"": command}
        for sub, leaf in subcommands.items():
            if any("--quiet" in param.opts for param in leaf.params):
                found.add(f"{name} {sub}".strip())
    return found


def test_the_reference_says_what_quiet_prints_for_each_command() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    found = re.search(r"^- \*\*`--quiet`\*\*(.*?)^- ", text, re.DOTALL | re.MULTILINE)
    assert found, "docs/reference/cli.md lost its --quiet bullet"
    named = set(re.findall(r"`([a-z]+(?: upgrade)?)`", found.group(1)))
    assert named == quiet_commands()


def test_each_command_prints_what_the_reference_says(tmp_path: Path) -> None:
    models = tmp_path / "models"

    def quiet(*args: str) -> list[str]:
        return run(models, *args, "--quiet").stdout.splitlines()

    assert quiet("init") == [str(models.absolute())]
    source = model_file(tmp_path / "src")
    old = quiet("register", str(source), "-m", "rmse=0.02")[0]
    assert quiet("promote", old) == [old]
    new = register(models, source, "rmse=0.01")
    assert quiet("promote", new, "--reason", "better") == [new]
    assert quiet("rollback") == [old]  # the version production is on now
    assert quiet("show", "latest") == [old]
    assert quiet("list") == [new, old]
    assert quiet("compare", new, old) == [f"{new} 1", f"{old} 0"]
    events = [line.split() for line in quiet("history")]
    assert [e[1:] for e in events] == [["promote", old], ["promote", new], ["rollback", old]]
    archive = quiet("export", new, str(tmp_path / "out.tar.gz"))
    assert archive == [str(tmp_path / "out.tar.gz")]
    assert run(
        tmp_path / "copy", "import", "--create", archive[0], "--quiet"
    ).stdout.splitlines() == [new]
    newest = register(models, source, "rmse=0.03")
    assert quiet("cleanup", "--keep", "1", "--yes") == [new]  # not newest, not production
    assert quiet("list") == [newest, old]
    assert quiet("verify") == []
    assert quiet("describe", old, "**notes**") == []
    assert quiet("model", "--tag", "team=fx", "--tag", "owner=alice") == ["owner=alice", "team=fx"]
    catalog = f"sqlite:///{tmp_path / 'catalog.db'}"
    assert run(tmp_path, "migrate", "--from", str(models), "--to", catalog, "-q").stdout == ""
    [revision] = run(tmp_path, "db", "upgrade", "--registry", catalog, "-q").stdout.splitlines()
    assert re.fullmatch(r"\w+", revision)
