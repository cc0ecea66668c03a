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


def block(heading: str) -> Block:
    found = [b for b in fenced_blocks(README) if b.heading == heading and b.lang == "python"]
    assert len(found) == 1, f"README.md should have one Python block under {heading!r}"
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
        ("CLI walkthrough", "bash"),  # tests/cli/test_cli_docs.py
    ]


def test_the_readme_is_short_and_links_into_the_docs() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text) < 10_000
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
