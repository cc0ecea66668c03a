"""Every code block of every page of docs/ runs as written (tests/docs_blocks.py runs a page).

A page runs in an empty folder of its own, its blocks in order as one session. Addresses that
name a service get the test's own in their place: a free loopback port for a server's, the
test's PostgreSQL and moto's S3 for `db` and `bucket`, `localhost` for the TLS proxy's host
name. After the page, the test checks what it should have left behind.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
import shutil
from pathlib import Path

import pytest

from contract.conftest import S3_BUCKET, postgres_schema_url, postgres_url, s3_endpoint  # noqa: F401
from docs_blocks import ROOT, fenced_blocks, run_page
from modelreg import ModelRegistry
from modelreg.cli import COMMANDS, cli
from modelreg.config import RegistryConfig
from security.support import free_port

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


def on_free_port(shown: int) -> dict[str, str]:
    """A page's server address (`127.0.0.1:8080`, `--port 8080`) moved to a free port."""
    port = free_port()
    return {f"127.0.0.1:{shown}": f"127.0.0.1:{port}", f"--port {shown}": f"--port {port}"}


def pages_with_code() -> set[str]:
    return {page.relative_to(DOCS).as_posix() for page in DOCS.rglob("*.md") if fenced_blocks(page)}


def test_every_page_with_code_has_its_test() -> None:
    tested = {
        "quickstart.md",
        "tutorial.md",
        "format.md",
        "security.md",
        "team-setup.md",
        "reference/cli.md",
        "reference/configuration.md",
        "webhooks.md",
        "promotion.md",
    }
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
    done = run_page(DOCS / "tutorial.md", tmp_path, on_free_port(8000))
    registry = ModelRegistry(tmp_path / "models")
    actions = [(e.action, e.version) for e in registry.history()]
    assert [a for a, _ in actions] == ["promote", "promote", "rollback"]
    first = actions[0][1]
    assert registry.current_version() == first
    assert f"serving {first} = {first}" in done.stdout  # the HTTP server followed the rollback
    kept = [v.version for v in registry.list_versions()]
    assert len(kept) == 4 and kept[-1] == first  # the newest 3, and production, the oldest
    assert registry.current_version("staging") == kept[0]
    assert f"staging holds {kept[0]}" in done.stdout and "@staging" in done.stdout
    assert f"alice owns ['{kept[0]}']" in done.stdout
    assert [v.tags for v in registry.list_versions(tags={"owner": "bob"})] == [{"owner": "bob"}]
    assert registry.list_versions(tags={"owner": "alice"})[0].tags == {"owner": "alice"}
    staged = registry.get_version_info("@staging") or {}
    assert staged["description"] == "Ridge on **prices-v3**, canary.\n\n- watch the latency"
    assert registry.model_info()["tags"] == {"team": "research"}
    assert "model: Next-day direction of the sample prices." in done.stdout


def test_configuration(tmp_path: Path) -> None:
    done = run_page(DOCS / "reference" / "configuration.md", tmp_path)
    assert "models/ 5 {'sharpe': 'higher', 'drawdown': 'lower'}" in done.stdout
    assert "other-models" in done.stdout and (tmp_path / "third-models").is_dir()


def test_configuration_names_every_key_and_variable() -> None:
    text = (DOCS / "reference" / "configuration.md").read_text(encoding="utf-8")
    keys = set(re.findall(r"^\| `(\w+)` \|", text, re.MULTILINE))
    settings = {f.name for f in dataclasses.fields(RegistryConfig)} - {"source"}
    assert {k for k in keys if not k.startswith(("MODELREG", "_MODELREG"))} == settings
    sources = [
        *ROOT.glob("src/**/*.py"),
        *ROOT.glob("tests/**/*.py"),
        *ROOT.glob("benchmarks/*.py"),
    ]
    used = {
        v for path in sources for v in re.findall(r"\b_?MODELREG_[A-Z_]+[A-Z]", path.read_text())
    }
    used |= {p.envvar for p in cli.params if isinstance(p.envvar, str)}
    documented = set(re.findall(r"`(_?MODELREG_[A-Z_]+)`", text))
    assert used - documented == set(), "read somewhere but not documented"
    assert documented - used == set(), "documented but read nowhere"


def test_promotion(tmp_path: Path) -> None:
    done = run_page(DOCS / "promotion.md", tmp_path)
    assert "refused: False" in done.stdout
    events = ModelRegistry(tmp_path / "models").events()
    people = [(e.action, e.user) for e in events if e.action not in ("register",)]
    assert people == [
        ("request", "alice"),
        ("promote", "bob"),
        ("approve", "bob"),
        ("request", "alice"),
        ("reject", "bob"),
    ]
    assert events[-2].details == {
        "request": events[-2].details["request"],
        "gate": {"passed": False, "against": events[2].version, "forced": True},
    }


def test_format(tmp_path: Path) -> None:
    done = run_page(DOCS / "format.md", tmp_path)
    registry = ModelRegistry(tmp_path / "models")
    production = registry.current_version()
    assert f"../{production}" in done.stdout  # readlink
    assert "exit 1: a problem found" in done.stdout  # the empty claim, found then removed
    assert not (tmp_path / "models" / "20260126_103000").exists()
    assert registry.verify().ok


def test_security(tmp_path: Path) -> None:
    done = run_page(DOCS / "security.md", tmp_path, on_free_port(8080))
    statuses = [line.split()[0] for line in done.stdout.splitlines() if line[:3].isdigit()]
    assert statuses == ["401", "401", "403"]
    assert (tmp_path / "tokens").stat().st_mode & 0o777 == 0o600
    secrets = [line.split(":")[0] for line in (tmp_path / "tokens").read_text().splitlines()[1:]]
    assert len(secrets) == 2 and all(len(s) == 32 for s in secrets)
    assert not any(s in done.stdout + done.stderr for s in secrets)  # never echoed or logged
    assert "trust_pickle" in done.stdout  # the refusal says how to allow it
    [promotion] = ModelRegistry(tmp_path / "models").history()
    assert promotion.user == "alice" and promotion.reason == "first model"


@pytest.mark.skipif(
    shutil.which("nginx") is None, reason="needs nginx (apt-get install nginx-light)"
)
def test_team_setup(
    tmp_path: Path,
    postgres_schema_url: str,  # noqa: F811
    s3_endpoint: str,  # noqa: F811
) -> None:
    artifacts = f"s3://{S3_BUCKET}/docs-{secrets.token_hex(4)}"
    done = run_page(
        DOCS / "team-setup.md",
        tmp_path,
        {
            "postgresql://user@db/registry": postgres_schema_url,
            "s3://bucket/models": artifacts,
            **on_free_port(8080),
            "8443": str(free_port()),
            "registry.example.com": "localhost",
        },
        env={**AWS, "AWS_ENDPOINT_URL": s3_endpoint},  # as for MinIO
    )
    assert '"status":"ok"' in done.stdout.replace(" ", "")  # curl through the proxy
    team = ModelRegistry(postgres_schema_url, artifacts=artifacts, model="btc_direction")
    default = ModelRegistry(postgres_schema_url, artifacts=artifacts)
    try:
        assert team.models() == ["btc_direction", "default"]
        [first] = team.list_versions()
        assert team.current_version() == first.version  # the first in a model passes the gate
        through_proxy, migrated = default.list_versions()
        assert default.current_version() == migrated.version  # came with its pointer
        assert f"{through_proxy.version} [" in done.stdout
        info = default.get_version_info(through_proxy.version)
        assert info is not None and info["model"]["flavor"] == "sklearn"  # safe: no pickle
        assert default.load_version(through_proxy.version) is not None  # from S3, checked
    finally:
        team.close()
        default.close()
    assert (tmp_path / "registry.db").exists()


def test_benchmarks_page_commands_are_the_scripts_ci_runs() -> None:
    """benchmarks.md is RESULTS.md: its commands take minutes and an MLflow venv each, so CI
    runs every script at its --quick size instead (serve.py needs wrk, which CI lacks)."""
    blocks = fenced_blocks(DOCS / "benchmarks.md")
    assert blocks and all(b.lang == "bash" for b in blocks)
    named = {n for b in blocks for n in re.findall(r"benchmarks/(\w+\.py)", b.code)}
    assert all((ROOT / "benchmarks" / name).is_file() for name in named)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    quick = set(re.findall(r"python benchmarks/(\w+\.py) --quick", ci))
    assert named - quick == {"serve.py"}


def test_webhooks(tmp_path: Path) -> None:
    done = run_page(
        DOCS / "webhooks.md", tmp_path, {**on_free_port(8080), "9000": str(free_port())}
    )
    [version] = [v.version for v in ModelRegistry(tmp_path / "models").list_versions()]
    assert "pending 0, delivered 1" in done.stdout  # `modelreg hooks`
    received = [line for line in done.stdout.splitlines() if line.startswith("default:2 ")]
    assert len(received) == 1 and f'"version": "{version}"' in received[0]
    assert '"registry": "docs-example"' in received[0] and '"who": "alice"' in received[0]
    assert (tmp_path / "hooks-state" / "deploy.json").exists()
    secret = (tmp_path / "deploy.secret").read_text().strip()
    assert secret not in done.stdout + done.stderr
