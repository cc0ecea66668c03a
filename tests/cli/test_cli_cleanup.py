"""`modelreg cleanup`: shows what would go, asks, and never deletes unconfirmed."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import model_file, register, run, run_json

from modelreg import ModelRegistry


def _four(tmp_path: Path) -> tuple[Path, list[str]]:
    """Four versions, oldest first; the oldest is production so cleanup must spare it."""
    models = tmp_path / "models"
    source = model_file(tmp_path / "src")
    names = [register(models, source, f"rmse=0.0{i + 1}") for i in range(4)]
    run(models, "promote", names[0])
    return models, names


def _names(models: Path) -> list[str]:
    return sorted(v.version for v in ModelRegistry(models).list_versions())


def test_dry_run_lists_and_deletes_nothing(tmp_path: Path) -> None:
    models, names = _four(tmp_path)
    assert run_json(models, "cleanup", "--keep", "1", "--dry-run") == {
        "dry_run": True,
        "keep": 1,
        "deleted": [names[2], names[1]],
    }
    human = run(models, "cleanup", "--keep", "1", "--dry-run").stdout
    assert names[1] in human and "nothing was deleted" in human
    assert _names(models) == names


def test_without_a_terminal_and_without_yes_nothing_is_deleted(tmp_path: Path) -> None:
    models, names = _four(tmp_path)
    result = run(models, "cleanup", "--keep", "1", input="y\n", ok=False)
    assert result.exit_code == 1
    assert "pass --yes" in result.stderr and "Not deleting 2 version(s)" in result.stderr
    assert names[1] in result.stdout  # it still shows what would go
    assert _names(models) == names


def test_yes_deletes_all_but_the_newest_and_production(tmp_path: Path) -> None:
    models, names = _four(tmp_path)
    assert run_json(models, "cleanup", "--keep", "1", "--yes")["deleted"] == [names[2], names[1]]
    assert _names(models) == [names[0], names[3]]
    assert "Nothing to delete" in run(models, "cleanup", "--keep", "1", "--yes").stdout


@pytest.mark.parametrize(("answer", "kept"), [("y\n", 2), ("n\n", 4)])
def test_a_person_is_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answer: str, kept: int
) -> None:
    import modelreg.cli.cleanup as command

    monkeypatch.setattr(command, "stdin_is_interactive", lambda: True)
    models, _names_before = _four(tmp_path)
    result = run(models, "cleanup", "--keep", "1", input=answer, ok=False)
    assert "Delete 2 version(s)?" in result.stderr
    assert result.exit_code == (0 if answer.startswith("y") else 1)
    assert len(_names(models)) == kept


def test_keep_defaults_to_the_configured_number(tmp_path: Path) -> None:
    models, names = _four(tmp_path)
    config = tmp_path / "model.yaml"
    config.write_text("registry:\n  keep_versions: 2\n")
    result = run(models, "--config", str(config), "cleanup", "--dry-run", "--json")
    assert '"keep": 2' in result.stdout and names[1] in result.stdout


def test_versions_registered_while_asking_are_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import modelreg.cli.cleanup as command

    models, names = _four(tmp_path)

    def meanwhile() -> bool:
        register(models, model_file(tmp_path / "src"), "rmse=0.5")
        return True

    monkeypatch.setattr(command, "stdin_is_interactive", meanwhile)
    result = run(models, "cleanup", "--keep", "1", input="y\n")
    assert f"Also deleted {names[3]}" in result.stderr
    assert names[3] not in _names(models) and names[0] in _names(models)


def test_delete_removes_one_version_and_logs_why(tmp_path: Path) -> None:
    models, names = _four(tmp_path)
    result = run(models, "delete", names[2], "--reason", "leaked data", "--yes", "--json")
    assert result.stdout and run_json(models, "history", "--all")[-1]["reason"] == "leaked data"
    assert _names(models) == sorted(n for n in names if n != names[2])


def test_delete_refuses_production_and_unknown_versions(tmp_path: Path) -> None:
    models, names = _four(tmp_path)
    refused = run(models, "delete", names[0], "--yes", ok=False)
    assert refused.exit_code == 2 and "production" in refused.stderr
    unknown = run(models, "delete", "20990101_000000", "--yes", ok=False)
    assert unknown.exit_code == 1 and "not found" in unknown.stderr
    assert _names(models) == sorted(names)


def test_delete_asks_and_needs_a_terminal_or_yes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    models, names = _four(tmp_path)
    unasked = run(models, "delete", names[1], ok=False)
    assert unasked.exit_code == 1 and "--yes" in unasked.stderr
    monkeypatch.setattr("modelreg.cli.cleanup.stdin_is_interactive", lambda: True)
    declined = run(models, "delete", names[1], input="n\n", ok=False)
    assert declined.exit_code == 1
    assert _names(models) == sorted(names)
    run(models, "delete", names[1], input="y\n")
    assert names[1] not in _names(models)
