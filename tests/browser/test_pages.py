"""Every page loads in headless chromium, on a laptop and on a phone, with a screenshot each."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import DESKTOP, PHONE, SCREENSHOTS, Site, open_page

pytestmark = pytest.mark.browser


def _pages(site: Site) -> dict[str, tuple[str, str]]:
    """name -> (hash path, a selector that proves the page rendered)."""
    newest, production = site.names[-1], site.names[1]
    return {
        "models": ("/", ".model-card"),
        "versions": ("/m/default", "#versions-table tbody tr"),
        "version": (f"/m/default/v/{newest}", ".chart-box svg"),
        "compare": (f"/m/default/compare?a={newest}&b={production}", "#compare-table tbody tr"),
        "history": ("/m/default/history", "#timeline .event"),
    }


@pytest.mark.parametrize(("device", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_every_page_renders(browser: object, site: Site, device: str, viewport: dict) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, (path, proof) in _pages(site).items():
        page = open_page(browser, site, path, viewport=viewport)
        expect(page.locator(proof).first).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{device}.png"), full_page=True)
        assert page.errors == [], (name, page.errors)
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= viewport["width"] + 1, f"{name} scrolls sideways on a {device}"
        page.context.close()


def test_models_page_lists_both_models(browser: object, site: Site) -> None:
    page = open_page(browser, site, "/")
    expect(page.locator(".model-card")).to_have_count(2)
    page.locator(".model-card", has_text="churn").click()
    expect(page.locator("#versions-table tbody tr")).to_have_count(1)
    page.context.close()


def test_version_page_shows_files_and_charts(browser: object, site: Site) -> None:
    name = site.names[2]
    page = open_page(browser, site, f"/m/default/v/{name}")
    info = site.registry.get_version_info(name)
    assert info is not None
    sha = info["files"]["model.pkl"]["sha256"]
    expect(page.locator("td.hash", has_text=sha)).to_be_visible()
    expect(page.locator("table.kv th", has_text="alpha")).to_be_visible()
    expect(page.locator(".chart-box svg rect")).to_have_count(4)  # one bar per feature
    expect(page.locator("path.chart-line")).to_have_count(4)  # validation and test, 2 lines each
    page.context.close()


def test_without_a_token_the_ui_asks_for_one(browser: object, site: Site) -> None:
    page = open_page(browser, site, "/m/default", token=None, viewport=PHONE)
    expect(page.locator(".signin-card")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "signin-phone.png"))
    expect(page.locator("#nav")).not_to_contain_text("null")
    page.locator(".signin-card button").click()
    page.fill("#signin-token", "write-secret-0001")
    page.locator("#signin button[value=ok]").click()
    expect(page.locator("#versions-table tbody tr")).to_have_count(4)
    page.context.close()


def test_a_read_token_gets_no_write_buttons(browser: object, site: Site) -> None:
    page = open_page(browser, site, f"/m/default/v/{site.names[3]}", token="read-secret-0001")
    expect(page.locator(".metric").first).to_be_visible()
    expect(page.locator("#promote")).to_have_count(0)
    expect(page.locator("#delete")).to_have_count(0)
    page.context.close()


def test_a_channel_chip_opens_its_alias(browser: object, site: Site) -> None:
    """Every channel a version holds is a chip; `@staging` in the address is that version."""
    staged = site.names[2]
    site.registry.promote(staged, channel="staging")
    page = open_page(browser, site, "/m/default")
    row = page.locator(f'#versions-table tr[data-version="{staged}"]')
    expect(row.locator("a.chip")).to_have_text("@staging")
    expect(page.locator(f'tr[data-version="{site.names[1]}"] a.chip')).to_have_text("@production")
    row.locator("a.chip").click()
    expect(page).to_have_url(f"{site.url}/#/m/default/v/@staging")
    expect(page.locator("td.hash").first).to_be_visible()
    expect(page.locator("h1, h2", has_text=staged).first).to_be_visible()
    assert page.errors == []
    page.context.close()


def test_a_slower_older_render_never_overwrites_the_newer_page(browser: object, site: Site) -> None:
    """A page still waiting for its answer (the refresh after an action, say) when the user
    moves on must not replace the page they moved to once its answer arrives."""
    newest = site.names[-1]
    page = open_page(browser, site, "/m/default/history")
    expect(page.locator("#timeline .event").first).to_be_visible()
    held: list[object] = []
    page.route(f"**/api/versions/{newest}", lambda route: held.append(route))
    page.evaluate(f"location.hash = '#/m/default/v/{newest}'")
    for _ in range(200):
        if held:
            break
        page.wait_for_timeout(25)
    assert held, "the version page never asked for its version"
    page.evaluate("location.hash = '#/m/default/history'")
    expect(page.locator("#timeline .event").first).to_be_visible()
    with page.expect_response(lambda answer: answer.url.endswith(f"/api/versions/{newest}")):
        held[0].continue_()  # type: ignore[attr-defined]
    page.wait_for_load_state("networkidle")
    expect(page.locator("#timeline .event").first).to_be_visible()
    expect(page.get_by_role("heading", name=newest)).to_have_count(0)
    assert page.errors == []
    page.context.close()
