"""Browser tests: headless Debian chromium against a real server on a loopback port."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from modelreg import ModelRegistry
from server.support import WRITE_TOKEN, fill, rich_result, running_server

#: Debian's chromium unless $MODELREG_TEST_CHROMIUM names another; else Playwright's own build
CHROMIUM = os.environ.get("MODELREG_TEST_CHROMIUM", "/usr/bin/chromium")
#: screenshots of every page land here (not committed): look at them after a UI change
SCREENSHOTS = Path(os.environ.get("MODELREG_SCREENSHOTS", "/tmp/modelreg-ui-screenshots"))
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.browser


@dataclass
class Site:
    url: str
    registry: ModelRegistry
    names: list[str]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = CHROMIUM if os.path.exists(CHROMIUM) else p.chromium.executable_path
        if not os.path.exists(chromium):
            pytest.skip(
                f"no Chromium at {CHROMIUM} (apt-get install chromium, or set "
                "MODELREG_TEST_CHROMIUM) nor Playwright's (python -m playwright install chromium)"
            )
        launched = p.chromium.launch(
            executable_path=chromium,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield launched
        launched.close()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """Four versions of the default model, two promotions, and a second model."""
    registry = ModelRegistry(tmp_path / "models", lock_timeout=10)
    names = fill(registry, 4)
    registry.promote(names[0], reason="first model in production")
    registry.promote(names[1], reason="better direction accuracy")
    ModelRegistry(tmp_path / "models", model="churn").register(rich_result(7))
    with running_server(registry) as url:
        yield Site(url, registry, names)


def open_page(
    browser: object,
    site: Site,
    hash_path: str,
    *,
    token: str | None = WRITE_TOKEN,
    viewport: dict[str, int] = DESKTOP,
) -> object:
    """A fresh browser context (its own localStorage) showing `#hash_path`."""
    context = browser.new_context(viewport=viewport)  # type: ignore[attr-defined]
    if token:
        context.add_init_script(f"localStorage.setItem('modelreg.token', {token!r})")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.errors = errors
    page.goto(f"{site.url}/#{hash_path}")
    return page
