"""Every Python block of the README runs as written, each in an empty folder of its own.

Each runs in a fresh interpreter, as a user's script would. Blocks that name a service get the
test's own in its place (PostgreSQL and moto's S3 for `db` and `bucket`, a live server on a
loopback port for `registry.internal:8080`), and `result`, which a block takes from the ones
above it, is given; nothing else is changed. The CLI walkthrough has its own test
(tests/cli/test_cli_docs.py).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from contract.conftest import S3_BUCKET, postgres_schema_url, postgres_url, s3_endpoint  # noqa: F401
from modelreg import ModelRegistry

README = Path(__file__).resolve().parents[1] / "README.md"
#: what the server block takes from the blocks above it
GIVEN_RESULT = """\
from modelreg.training import TARGET, build_features, generate_prices, train_model
frame, features = build_features(generate_prices(400))
result = train_model(frame, features, TARGET)
"""


@dataclass(frozen=True)
class Block:
    heading: str
    line: int
    code: str


def python_blocks() -> list[Block]:
    """The README's ```python blocks, with the heading each sits under."""
    blocks: list[Block] = []
    heading, fence, start = "", "", 0
    lines = README.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if fence and line.strip() == "```":
            if fence == "```python":
                blocks.append(Block(heading, start, "\n".join(lines[start - 1 : number - 1])))
            fence = ""
        elif not fence and line.startswith("```"):
            fence, start = line.strip(), number + 1
        elif not fence and line.startswith("#"):
            heading = line.lstrip("#").strip()
    return blocks


def block(heading: str) -> Block:
    found = [b for b in python_blocks() if b.heading == heading]
    assert len(found) == 1, f"README.md should have one Python block under {heading!r}"
    return found[0]


def replaced(code: str, **substitutes: str) -> str:
    """`code` with each placeholder address swapped for a real one; each must be there."""
    for placeholder, real in substitutes.items():
        assert placeholder in code, f"the README block no longer mentions {placeholder}"
        code = code.replace(placeholder, real)
    return code


def run(example: Block, code: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MODELREG_")}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"README.md line {example.line}:\n{done.stdout}{done.stderr}"
    return done


def test_every_python_block_has_a_test() -> None:
    headings = [b.heading for b in python_blocks()]
    assert headings == [
        "In Python",
        "Train, gate, serve",
        "Team set-up",
        "Coming from MLflow",  # run by tests/mlflow_import/test_readme.py on a real MLflow
        "Server and web UI",
    ]


def test_in_python_promotes_the_first_model_then_gates(tmp_path: Path) -> None:
    example = block("In Python")
    first = run(example, example.code, tmp_path)
    registry = ModelRegistry(tmp_path / "models")
    [version] = registry.list_versions()
    assert registry.current_version() == version.version
    accuracy = str(version.metrics["direction_accuracy"])
    assert first.stdout.split() == [version.version, "production", accuracy]
    second = run(example, example.code, tmp_path)  # a retrain on the same data: no better
    assert "ERROR" not in second.stderr and "not found" not in second.stderr, second.stderr
    assert len(registry.list_versions()) == 2
    assert registry.current_version() == version.version
    assert [e.action for e in registry.history()] == ["promote"]


def test_train_gate_serve(tmp_path: Path) -> None:
    example = block("Train, gate, serve")
    done = run(example, example.code, tmp_path)
    registry = ModelRegistry(tmp_path / "models")
    production = registry.current_version()
    assert production is not None
    decision, answer = done.stdout.splitlines()
    assert decision.startswith("True ") and "no production version yet" in decision
    served, forecast = answer.split()
    assert served == production and float(forecast) == float(forecast)  # a number, not NaN


def test_team_setup(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    postgres_schema_url: str,  # noqa: F811
    s3_endpoint: str,  # noqa: F811
) -> None:
    example = block("Team set-up")
    artifacts = f"s3://{S3_BUCKET}/readme-{secrets.token_hex(4)}"
    code = replaced(
        example.code,
        **{"postgresql://user@db/registry": postgres_schema_url, "s3://bucket/models": artifacts},
    )
    aws = {
        "AWS_ENDPOINT_URL": s3_endpoint,  # as for MinIO, which the README names
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    done = run(example, GIVEN_RESULT + code, tmp_path, **aws)
    assert done.stdout.strip() == "['btc_direction']"
    for name, value in aws.items():
        monkeypatch.setenv(name, value)
    team = ModelRegistry(postgres_schema_url, artifacts=artifacts, model="btc_direction")
    try:
        [version] = team.list_versions()
        assert team.current_version() == version.version
        assert team.load_version("latest") is not None  # the artifacts came back from S3
    finally:
        team.close()


def test_server_block(tmp_path: Path) -> None:
    from modelreg.serving.auth import TokenSet
    from modelreg.serving.server import create_app
    from server.support import running_app

    example = block("Server and web UI")
    served = ModelRegistry(tmp_path / "served", lock_timeout=30)
    tokens = TokenSet.parse("3f9c2a7d41e8b06c:write:alice")  # the README's tokens file
    with running_app(create_app(served, tokens=tokens)) as url:
        code = replaced(example.code, **{"http://registry.internal:8080": url})
        run(example, GIVEN_RESULT + code, tmp_path)
    [version] = served.list_versions()
    assert served.current_version() == version.version  # the first model passes the gate
    assert served.history()[0].user == "alice"
