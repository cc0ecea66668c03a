"""Tables at 80 columns: in a real terminal (a pseudo-terminal), and piped with COLUMNS."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from cli_support import run, run_json

from modelreg import ModelRegistry, TrainingResult

METRICS = ("rmse", "direction_accuracy", "sharpe", "profit_factor", "test_rmse", "max_drawdown")
REASON = "beats production on rmse and direction accuracy in the January walk-forward backtest"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Twelve versions with six metrics (one of them 1.2634567), two promotions with reasons."""
    path = tmp_path_factory.mktemp("width") / "models"
    registry = ModelRegistry(path)
    names = []
    for i in range(12):
        metrics = {name: 1.2634567 + i / 1000 + j for j, name in enumerate(METRICS)}
        names.append(
            registry.register(TrainingResult(model={"i": i}, metrics=metrics, features=["ret_1"]))
        )
    registry.promote(names[3], reason="first model")
    registry.promote(names[7], reason=REASON)
    return path


def _in_terminal(*args: str, columns: int = 80) -> str:
    """Run modelreg in a pseudo-terminal of `columns` x 24; its screen output, ANSI removed."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    env["TERM"] = "xterm-256color"
    proc = subprocess.Popen(
        [sys.executable, "-m", "modelreg", *args], stdin=slave, stdout=slave, stderr=slave, env=env
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.wait(timeout=120) == 0
    return _ANSI.sub("", b"".join(chunks).decode()).replace("\r\n", "\n")


def _piped(*args: str, columns: str | None = "80") -> str:
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("COLUMNS", None)
    if columns is not None:
        env["COLUMNS"] = columns
    result = subprocess.run(
        [sys.executable, "-m", "modelreg", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    return result.stdout


def _fits(text: str, width: int = 80) -> None:
    longest = max(text.splitlines(), key=len)
    assert len(longest) <= width, longest


def test_list_in_an_80_column_terminal_cuts_nothing(models: Path) -> None:
    screen = _in_terminal("-r", str(models), "list")
    _fits(screen)
    assert "…" not in screen  # no `stat…`, `★ pr…`, `1.263…`
    assert "★ production" in screen
    for version in ModelRegistry(models).list_versions():
        assert version.version in screen
    assert "2.26346" in screen  # direction_accuracy, whole, not cut
    assert "--wide shows all" in screen  # and it says what it left out


def test_history_wraps_the_reason_in_an_80_column_terminal(models: Path) -> None:
    screen = _in_terminal("-r", str(models), "history")
    _fits(screen)
    assert " ".join(screen.split()).count("January walk-forward") == 1
    for word in REASON.split():
        assert word in screen


@pytest.mark.parametrize(
    "command", ["list", "history", "history --all", "show latest", "compare latest NEWEST"]
)
def test_piped_tables_honour_columns(models: Path, command: str) -> None:
    newest = ModelRegistry(models).list_versions()[0].version
    args = [a.replace("NEWEST", newest) for a in command.split()]
    text = _piped("-r", str(models), *args)
    _fits(text)
    if not command.startswith("show"):  # show cuts a sha256 to 16 digits, and says so by …
        assert "…" not in text


def test_piped_without_columns_is_80_wide_too(models: Path) -> None:
    _fits(_piped("-r", str(models), "list", columns=None))


def test_wide_shows_every_column_uncut(models: Path) -> None:
    text = _piped("-r", str(models), "list", "--wide")
    header = next(line for line in text.splitlines() if line.startswith("version"))
    assert len(header) > 80
    for name in (*METRICS, "registered"):
        assert name in header
    history = _piped("-r", str(models), "history", "--wide")
    assert "previous" in history and REASON in history


def test_one_sign_convention_for_compare_and_the_gate(tmp_path: Path) -> None:
    """+ always means the first version is better, in the metric's own direction."""
    from cli_support import model_file, register

    models = tmp_path / "models"
    source = model_file(tmp_path / "src")
    champion = register(models, source, "rmse=0.012")
    run(models, "promote", champion)
    gated = run_json(models, "register", str(source), "-m", "rmse=0.011", "--promote-if-better")
    assert gated["promotion"]["reasons"] == ["rmse: 0.011 vs 0.012 (gain +0.001, needs > 0) better"]
    challenger = gated["version"]
    row = run_json(models, "compare", challenger, champion)["metrics"]["rmse"]
    assert row["gain"] == pytest.approx(0.001) and row["difference"] == pytest.approx(-0.001)
    human = run(models, "compare", challenger, champion).stdout
    assert "+0.001" in human and "-0.001" not in human
    assert "gain: how much A beats B" in human
