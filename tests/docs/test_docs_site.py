"""The documentation site builds with warnings as errors, and its reference pages cover the code.

The reference pages are generated at build time (docs/_hooks/reference.py), so they cannot
drift from the code; these tests prove the build is strict (a broken link or a missing API name
fails it) and that what was generated names every command, route and public name.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import modelreg
from modelreg.cli import COMMANDS

ROOT = Path(__file__).resolve().parents[2]
pytest.importorskip("mkdocs", reason="the docs extra: pip install -e '.[docs]'")


def build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
        cwd=ROOT,
        env={"PATH": str(Path(sys.executable).parent), "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def text_of(page: Path) -> str:
    """The words of a built page, tags stripped."""
    return html.unescape(re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("site")
    done = build(ROOT / "mkdocs.yml", folder)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNING" not in done.stderr, done.stderr
    return folder


def copied_project(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of docs/ and of mkdocs.yml (with absolute paths) to break on purpose."""
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs)
    shutil.copytree(ROOT / "benchmarks", tmp_path / "benchmarks")  # pages include from these
    shutil.copyfile(ROOT / "README.md", tmp_path / "README.md")
    settings = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    settings["docs_dir"] = str(docs)
    settings["hooks"] = [str(docs / "_hooks" / "reference.py")]
    python = settings["plugins"][1]["mkdocstrings"]["handlers"]["python"]
    python["paths"] = [str(ROOT / "src")]
    config = tmp_path / "mkdocs.yml"
    config.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return config, docs


def test_the_site_builds_strict_and_has_every_page(site: Path) -> None:
    settings = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    assert settings["strict"] is True
    assert set(settings["validation"].values()) == {"warn"}  # and strict makes a warning fatal
    pages = {p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md")}
    for page in pages:
        built = site / page.removesuffix(".md").removesuffix("index") / "index.html"
        assert built.is_file(), f"{page} was not built"


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        ("[gone](no-such-page.md)", "no-such-page.md"),
        ("[gone](quickstart.md#no-such-heading)", "no-such-heading"),
        ("::: modelreg.NoSuchName", "NoSuchName"),
        ("<!-- generated: nonsense -->", "unknown marker"),
    ],
)
def test_a_broken_page_fails_the_build(tmp_path: Path, breakage: str, message: str) -> None:
    config, docs = copied_project(tmp_path)
    with (docs / "index.md").open("a", encoding="utf-8") as page:
        page.write(f"\n\n{breakage}\n")
    done = build(config, tmp_path / "site")
    assert done.returncode != 0
    assert "Error" not in done.stderr or message in done.stderr.splitlines()[-1], done.stderr
    assert message in done.stdout + done.stderr


def test_the_api_reference_has_every_public_name(site: Path) -> None:
    page = (site / "reference" / "api" / "index.html").read_text(encoding="utf-8")
    public = [name for name in modelreg.__all__ if not name.startswith("__")]
    missing = [name for name in public if f'id="modelreg.{name}"' not in page]
    assert missing == []
    # methods, from docstrings, those of the facade's mixins too
    for method in ("register", "promote_if_better", "set_tags", "export_version", "history"):
        assert f'id="modelreg.ModelRegistry.{method}"' in page, method
    assert 'id="modelreg.training.train_model"' in page


def test_the_cli_reference_has_every_command_and_option(site: Path) -> None:
    words = text_of(site / "reference" / "cli" / "index.html")
    for name in COMMANDS:
        assert f"Usage: modelreg {name}" in words, name
    assert "Usage: modelreg db upgrade" in words  # a group's commands too
    assert "--max-upload-size" in words and "--poll-interval" in words


def test_the_rest_reference_has_every_route(site: Path) -> None:
    import json

    words = text_of(site / "reference" / "rest" / "index.html")
    for name in ("server", "serve"):
        document = json.loads((site / "reference" / f"openapi-{name}.json").read_text())
        for route, item in document["paths"].items():
            for method in item:
                assert f"{method.upper()} {route}" in words, (name, method, route)
    assert "POST /api/promote" in words and "POST /predict" in words
