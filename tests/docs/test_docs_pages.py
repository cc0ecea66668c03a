"""Every code block of every page of docs/ runs as written (tests/docs_blocks.py runs a page).

A page runs in an empty folder of its own, its blocks in order as one session. Addresses that
name a service get the test's own in their place: a free loopback port for a server's, the
test's PostgreSQL and moto's S3 for `db` and `bucket`, `localhost` for the TLS proxy's host
name. After the page, the test checks what it should have left behind.
"""

from __future__ import annotations

import socket
from pathlib import Path

from contract.conftest import S3_BUCKET, postgres_schema_url, postgres_url, s3_endpoint  # noqa: F401
from docs_blocks import ROOT, fenced_blocks, run_page
from modelreg import ModelRegistry
from modelreg.cli import COMMANDS

DOCS = ROOT / "docs"
#: pages whose blocks run elsewhere, and where
RUN_ELSEWHERE = {
    "mlflow.md": "tests/mlflow_import/test_docs_mlflow.py, on a real MLflow registry",
    "benchmarks.md": "RESULTS.md's commands: the scripts at --quick size in .ci/run",
}
AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def pages_with_code() -> set[str]:
    return {page.relative_to(DOCS).as_posix() for page in DOCS.rglob("*.md") if fenced_blocks(page)}


def test_every_page_with_code_has_its_test() -> None:
    tested = {"quickstart.md", "tutorial.md", "reference/cli.md"}
    assert pages_with_code() == tested | set(RUN_ELSEWHERE)


def test_the_guides_name_every_command() -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in DOCS.rglob("*.md"))
    missing = sorted(name for name in COMMANDS if f"modelreg {name}" not in text)
    assert missing == []


def test_cli_reference(tmp_path: Path) -> None:
    run_page(DOCS / "reference" / "cli.md", tmp_path)  # shell completion loads in bash


def test_quickstart(tmp_path: Path) -> None:
    run_page(DOCS / "quickstart.md", tmp_path)
    demo = ModelRegistry(tmp_path / "modelreg-demo" / "models")
    assert demo.current_version() and any(e.action == "rollback" for e in demo.history())
    copied = ModelRegistry(tmp_path / "other-models").list_versions()
    assert [v.version for v in copied] == [
        ModelRegistry(tmp_path / "models").list_versions()[0].version
    ]


def test_tutorial(tmp_path: Path) -> None:
    port = str(free_port())
    done = run_page(
        DOCS / "tutorial.md",
        tmp_path,
        {"127.0.0.1:8000": f"127.0.0.1:{port}", "--port 8000": f"--port {port}"},
    )
    registry = ModelRegistry(tmp_path / "models")
    actions = [(e.action, e.version) for e in registry.history()]
    assert [a for a, _ in actions] == ["promote", "promote", "rollback"]
    first = actions[0][1]
    assert registry.current_version() == first
    assert f"serving {first} = {first}" in done.stdout  # the HTTP server followed the rollback
    kept = [v.version for v in registry.list_versions()]
    assert len(kept) == 4 and kept[-1] == first  # the newest 3, and production, the oldest
