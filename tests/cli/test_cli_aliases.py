"""`@channel` wherever the CLI takes a version; promote --from, --expect; rollback --channel."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import model_file, register, run, run_json


@pytest.fixture
def three(tmp_path: Path) -> tuple[Path, list[str]]:
    models = tmp_path / "models"
    source = model_file(tmp_path / "src")
    names = [register(models, source, f"rmse={0.1 - i / 100}") for i in range(3)]
    run(models, "promote", names[0])
    run(models, "promote", names[1], "--channel", "staging")
    return models, names


def test_show_compare_export_take_an_alias(three: tuple[Path, list[str]], tmp_path: Path) -> None:
    models, names = three
    assert run_json(models, "show", "@staging")["version"] == names[1]
    assert run(models, "show", "@staging", "--quiet").stdout.strip() == names[1]
    compared = run_json(models, "compare", "@staging", "@production")
    assert (compared["version1"], compared["version2"]) == (names[1], names[0])
    assert compared["metrics"]["rmse"]["winner"] == names[1]
    (tmp_path / "out").mkdir()
    exported = run_json(models, "export", "@staging", str(tmp_path / "out"))
    assert exported["version"] == names[1] and exported["archive"].endswith(f"{names[1]}.tar.gz")


def test_an_empty_or_malformed_alias_fails_clearly(three: tuple[Path, list[str]]) -> None:
    models, _ = three
    missing = run(models, "show", "@champion", ok=False)
    assert missing.exit_code != 0 and "no champion version yet" in missing.output
    bad = run(models, "show", "@Champion", ok=False)
    assert bad.exit_code != 0 and "invalid alias '@Champion'" in bad.output


def test_list_shows_every_channel_a_version_holds(three: tuple[Path, list[str]]) -> None:
    models, names = three
    run(models, "promote", names[1], "--channel", "champion")
    rows = {row["version"]: row["channels"] for row in run_json(models, "list")}
    assert rows == {names[0]: ["production"], names[1]: ["champion", "staging"], names[2]: []}
    table = run(models, "list").stdout
    assert "@champion @staging" in table and "★ production" in table


def test_promote_from_a_channel_with_an_expectation(three: tuple[Path, list[str]]) -> None:
    models, names = three
    clash = run(models, "promote", "--from", "staging", "--expect", names[2], ok=False)
    assert clash.exit_code != 0 and "not " + names[2] in clash.output
    moved = run_json(models, "promote", "--from", "staging", "--expect", names[0], "--force")
    assert {k: moved[k] for k in ("action", "version", "channel", "previous")} == {
        "action": "promote",
        "version": names[1],
        "channel": "production",
        "previous": names[0],
    }
    assert (
        run(models, "promote", names[2], "--channel", "canary", "--expect", "none").exit_code == 0
    )
    both = run(models, "promote", names[2], "--from", "staging", ok=False)
    assert both.exit_code == 2 and "either VERSION or --from" in both.output


def test_rollback_a_channel_reads_in_history(three: tuple[Path, list[str]]) -> None:
    models, names = three
    run(models, "promote", names[2], "--channel", "staging", "--reason", "try c")
    back = run_json(models, "rollback", "--channel", "staging", "--reason", "c is slow")
    assert (back["channel"], back["version"], back["previous"]) == ("staging", names[1], names[2])
    history = run_json(models, "history", "--channel", "staging")
    assert [(e["action"], e["version"], e.get("reason")) for e in history][-2:] == [
        ("promote", names[2], "try c"),
        ("rollback", names[1], "c is slow"),
    ]
    assert run_json(models, "show", "latest")["version"] == names[0]
