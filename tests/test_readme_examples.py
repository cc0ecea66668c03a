"""Every code block of the README runs as written, and the README stays short and links in.

The Python block runs in a fresh interpreter in an empty folder, as a user's script would; the
CLI walkthrough has its own test (tests/cli/test_cli_docs.py), the two install commands run in
`.ci/run` (tests/test_ci_script.py). The rest of what the README once said lives in docs/,
whose blocks tests/docs/test_docs_pages.py runs with the same machinery (tests/docs_blocks.py).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from docs_blocks import Block, fenced_blocks
from modelreg import ModelRegistry

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def block(heading: str, lang: str = "python") -> Block:
    found = [b for b in fenced_blocks(README) if b.heading == heading and b.lang == lang]
    assert len(found) == 1, f"README.md should have one {lang} block under {heading!r}"
    return found[0]


def run(example: Block, cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MODELREG_")}
    done = subprocess.run(
        [sys.executable, "-c", example.code],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"README.md line {example.line}:\n{done.stdout}{done.stderr}"
    return done


def test_every_block_has_a_test() -> None:
    blocks = [(b.heading, b.lang) for b in fenced_blocks(README)]
    assert blocks == [
        ("modelreg", "bash"),  # the two commands: .ci/run
        ("In Python", "python"),  # below
        ("Aliases, tags and descriptions", "python"),  # below
        ("CLI walkthrough", "bash"),  # tests/cli/test_cli_docs.py
        ("Deploying from the registry", "yaml"),  # below, all three
        ("Deploying from the registry", "python"),
        ("Deploying from the registry", "bash"),
    ]


def test_the_readme_is_short_and_links_into_the_docs() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text) < 13_200  # 10,000 before issue 15 asked for a CD section and the gate
    linked = set(re.findall(r"\]\((docs/[\w/.-]+\.md)\)", text))
    pages = {p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").rglob("*.md")}
    assert linked <= pages, f"the README links to missing pages: {linked - pages}"
    assert pages - linked <= {
        "docs/index.md",
        "docs/benchmarks.md",
    }  # linked as the folder, RESULTS.md


def test_in_python_promotes_the_first_model_then_gates(tmp_path: Path) -> None:
    example = block("In Python")
    first = run(example, tmp_path)
    registry = ModelRegistry(tmp_path / "models")
    [version] = registry.list_versions()
    assert registry.current_version() == version.version
    accuracy = str(version.metrics["direction_accuracy"])
    assert first.stdout.split() == [version.version, "production", accuracy]
    second = run(example, tmp_path)  # a retrain on the same data: no better
    assert "ERROR" not in second.stderr and "not found" not in second.stderr, second.stderr
    assert len(registry.list_versions()) == 2
    assert registry.current_version() == version.version
    assert [e.action for e in registry.history()] == ["promote"]


DEPLOY = "Deploying from the registry"


def test_deploying_reacts_to_a_promotion_by_webhook_and_by_the_feed(tmp_path: Path) -> None:
    """The hooks file, the receiver and the shell loop, as written, around a real registry:
    a production promotion is deployed by both; a staging one and a forged call are not."""
    import contextlib
    import secrets

    import httpx

    from hooks.support import free_port, wait_until
    from modelreg.hooks.config import load_hooks
    from modelreg.hooks.dispatcher import Dispatcher
    from modelreg.hooks.signing import signature_header
    from modelreg.testing.support import make_result

    port = str(free_port())
    (tmp_path / "deploy.secret").write_text(secrets.token_hex(16) + "\n")
    (tmp_path / "hooks.yaml").write_text(block(DEPLOY, "yaml").code.replace("9000", port))
    registry = ModelRegistry(tmp_path / "models")
    names = [registry.register(make_result(seed)) for seed in range(3)]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MODELREG_")}
    # the README's shell loop calls `modelreg`, as a reader's activated venv has it
    clean["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), clean.get("PATH", "")])
    receiver = _started(
        [sys.executable, "-c", block(DEPLOY).code.replace("9000", port)], tmp_path, clean
    )
    loop = _started(
        ["bash", "-c", block(DEPLOY, "bash").code],
        tmp_path,
        {**clean, "MODELREG_REGISTRY": str(tmp_path / "models")},
    )
    try:
        wait_until(lambda: _answers(f"http://127.0.0.1:{port}/"), "the receiver", 30)
        forged = b'{"id": "default:99", "version": "x", "channel": "production"}'
        answer = httpx.post(
            f"http://127.0.0.1:{port}/modelreg",
            content=forged,
            headers={"X-Modelreg-Signature": signature_header("not-the-secret-16", forged)},
        )
        assert answer.status_code == 401
        with Dispatcher(load_hooks(tmp_path / "hooks.yaml"), registry):
            registry.promote(names[0], channel="staging")
            for name in names[1:] * 10:  # the loop follows from when it started: until it does
                registry.promote(name, reason="ship")
                with contextlib.suppress(AssertionError):
                    wait_until(lambda: bool(loop.lines), "the loop", 3)
                    break
            wait_until(lambda: bool(loop.lines) and bool(receiver.lines), "both to deploy", 60)
    finally:
        receiver.process.kill()
        loop.process.kill()
    production = {e.version for e in registry.history()}
    assert receiver.lines[0] in {f"deploying {n} to production" for n in production}
    assert loop.lines[0] in {f"deploying {n}" for n in production}
    said = " ".join(receiver.lines + loop.lines).split()
    assert names[0] not in said  # staging's: not deployed


class _Started:
    def __init__(self, process: subprocess.Popen[str]) -> None:
        import threading

        self.process = process
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.strip())


def _started(command: list[str], cwd: Path, env: dict[str, str]) -> _Started:
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    return _Started(process)


def _answers(url: str) -> bool:
    import httpx

    try:
        httpx.get(url, timeout=1)
    except httpx.TransportError:
        return False
    return True


def test_aliases_tags_and_descriptions(tmp_path: Path) -> None:
    done = run(block("Aliases, tags and descriptions"), tmp_path)
    registry = ModelRegistry(tmp_path / "models")
    [version] = registry.list_versions(tags={"owner": "alice"})
    assert done.stdout.splitlines() == [
        str([version.version]),
        str(["describe", "tag", "promote"]),
    ]
    info = registry.get_version_info("@champion")
    assert info is not None and info["description"] == "**v3**"
    (described,) = [e for e in registry.events() if e.action == "describe"]
    assert described.reason == "review"
