"""`modelreg promote` through the gate: the table, the question at a terminal, --force."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import model_file, register, run, run_json

from modelreg import ModelRegistry


@pytest.fixture
def losing(tmp_path: Path) -> tuple[Path, str, str]:
    """A registry whose production beats the newest version on both metrics."""
    models = tmp_path / "models"
    source = model_file(tmp_path / "src")
    good = register(models, source, "rmse=0.010", "direction_accuracy=0.56")
    bad = register(models, source, "rmse=0.012", "direction_accuracy=0.446", "sharpe=-0.3")
    run(models, "promote", good, "--reason", "first")
    return models, good, bad


def test_a_loser_is_refused_without_a_terminal(losing: tuple[Path, str, str]) -> None:
    models, good, bad = losing
    refused = run(models, "promote", bad, "--reason", "try", ok=False)
    assert refused.exit_code == 1
    assert "does NOT beat production" in refused.stdout  # the table came first
    assert "direction_accuracy" in refused.stdout and "-0.114" in refused.stdout
    assert "sharpe: the holder" in refused.stdout  # a metric missing on one side
    assert "--force" in refused.stderr
    assert ModelRegistry(models).current_version() == good


def test_at_a_terminal_it_asks(
    losing: tuple[Path, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    models, good, bad = losing
    monkeypatch.setattr("modelreg.cli.pointers.stdin_is_interactive", lambda: True)
    declined = run(models, "promote", bad, input="n\n", ok=False)
    assert declined.exit_code == 1 and "declined" in declined.output
    assert ModelRegistry(models).current_version() == good
    run(models, "promote", bad, "--reason", "reviewed by hand", input="y\n")
    last = ModelRegistry(models).history()[-1]
    assert (last.version, last.reason) == (bad, "reviewed by hand")
    assert last.details == {"gate": {"passed": False, "against": good, "forced": True}}


def test_force_skips_the_question_and_is_recorded(losing: tuple[Path, str, str]) -> None:
    models, good, bad = losing
    moved = run_json(models, "promote", bad, "--force", "--reason", "hotfix")
    assert (moved["action"], moved["previous"], moved["gate"]["passed"]) == ("promote", good, False)
    rows = {row["metric"]: row for row in moved["gate"]["metrics"]}
    assert rows["rmse"]["gain"] == pytest.approx(-0.002) and not rows["rmse"]["passed"]
    history = run_json(models, "history")
    assert history[-1]["details"]["gate"] == {"passed": False, "against": good, "forced": True}


def test_a_winner_needs_no_question(losing: tuple[Path, str, str], tmp_path: Path) -> None:
    models, good, _ = losing
    better = register(models, model_file(tmp_path / "b"), "rmse=0.009", "direction_accuracy=0.6")
    moved = run(models, "promote", better)
    assert f"beats {good}" in moved.stdout and "production is now" in moved.stdout
    assert ModelRegistry(models).history()[-1].details == {
        "gate": {"passed": True, "against": good, "forced": False}
    }


def test_requests_on_a_folder(losing: tuple[Path, str, str], tmp_path: Path) -> None:
    """A folder's people are its OS users: the same one cannot approve their own request."""
    models, good, _ = losing
    config = tmp_path / "approval.yaml"
    config.write_text("registry:\n  channels:\n    production: {require_approval: true}\n")
    better = register(models, model_file(tmp_path / "b"), "rmse=0.009", "direction_accuracy=0.6")
    filed = run(models, "--config", str(config), "promote", better, "--quiet").stdout.strip()
    assert run(models, "requests", "--quiet").stdout.split() == [filed]
    listed = run_json(models, "requests")
    assert listed[0]["version"] == better and listed[0]["stale"] is False
    own = run(models, "approve", filed, "--reason", "mine", ok=False)
    assert own.exit_code != 0 and "another person" in own.stderr
    assert ModelRegistry(models).current_version() == good
    forged = run(models, "approve", "../../etc/passwd", "--reason", "x", ok=False)
    assert forged.exit_code == 2 and "16 hex digits" in forged.stderr
    assert run(models, "requests").stdout.count(filed) == 1


def test_register_promote_if_better_uses_the_configured_gate(tmp_path: Path) -> None:
    models = tmp_path / "models"
    source = model_file(tmp_path / "src")
    config = tmp_path / "gate.yaml"
    config.write_text(
        "registry:\n  gate:\n    min_improvement: 0.05\n"
        "  channels:\n    production: {require_approval: true}\n"
    )
    first = register(models, source, "direction_accuracy=0.5")
    ModelRegistry(models).promote(first, "production")  # no config: moved directly
    gated = ["--config", str(config), "register", str(source), "--promote-if-better"]
    small = run_json(models, *gated, "-m", "direction_accuracy=0.52")
    assert small["promotion"]["promoted"] is False and small["promotion"]["request"] is None
    clear = run_json(models, *gated, "-m", "direction_accuracy=0.6")
    assert clear["promotion"]["promoted"] is False and clear["promotion"]["request"]
    assert run(models, "requests", "--quiet").stdout.split() == [clear["promotion"]["request"]]
    assert ModelRegistry(models).current_version() == first
