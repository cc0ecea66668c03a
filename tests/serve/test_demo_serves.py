"""The demo ends with the command that serves its production; that command works as printed."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import httpx
from click.testing import CliRunner

from modelreg import ModelRegistry
from modelreg.cli import cli
from modelreg.training import load_prices
from modelreg.training.features import WARMUP_BARS

from .support import serve_process, wait_for


def test_the_demos_last_lines_serve_its_production(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["demo", "--path", str(tmp_path / "demo")], terminal_width=80)
    assert result.exit_code == 0, result.output
    serve_line, curl_line = result.output.strip().splitlines()[-2:]
    serve = shlex.split(serve_line)
    assert serve[:3] == ["modelreg", "serve", "--registry"] and len(serve) == 4
    prices = Path(re.search(r"--data-binary @(\S+)", curl_line).group(1))  # type: ignore[union-attr]
    assert "Content-Type: text/csv" in curl_line and "localhost:8000/predict" in curl_line
    production = ModelRegistry(serve[3]).current_version()
    with serve_process(serve[3], tmp_path) as server:  # as printed, on a free port
        wait_for(lambda: server.ready()["ready"], "the demo's production")
        answer = httpx.post(
            f"{server.url}/predict",
            content=prices.read_bytes(),
            headers={"Content-Type": "text/csv"},
            timeout=30,
        )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["version"] == production
    assert len(body["predictions"]) == len(load_prices(prices)) - WARMUP_BARS + 1
