"""Enter does what each dialog's primary button does; a refused token says so, and signs out."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import PHONE, SCREENSHOTS, Site, open_page

pytestmark = pytest.mark.browser


def _production_on_disk(site: Site) -> str:
    return Path(os.readlink(Path(site.registry.path) / "production" / "latest")).name


def test_enter_in_the_sign_in_dialog_signs_in(browser: object, site: Site) -> None:
    page = open_page(browser, site, "/m/default", token=None)
    page.locator(".signin-card button").click()
    page.fill("#signin-token", "write-secret-0001")
    page.press("#signin-token", "Enter")
    expect(page.locator("#versions-table tbody tr")).to_have_count(4)
    expect(page.locator("#signout-button")).to_be_visible()
    assert page.evaluate("localStorage.getItem('modelreg.token')") == "write-secret-0001"
    page.context.close()


def test_enter_in_the_reason_promotes_and_escape_cancels(browser: object, site: Site) -> None:
    target = site.names[3]
    page = open_page(browser, site, f"/m/default/v/{target}")
    page.click("#promote")
    page.fill("#confirm-reason", "never mind")
    page.press("#confirm-reason", "Escape")
    expect(page.locator("#confirm")).not_to_be_visible()
    assert _production_on_disk(site) == site.names[1]
    page.click("#promote")
    expect(page.locator("#gate-verdict")).to_be_visible()
    if page.locator("#gate-force").count():  # a losing candidate: Enter waits for the consent
        page.fill("#confirm-reason", "typed, then Enter")
        page.press("#confirm-reason", "Enter")
        expect(page.locator("#confirm")).to_be_visible()
        page.check("#gate-force")
    page.fill("#confirm-reason", "typed, then Enter")
    page.press("#confirm-reason", "Enter")
    expect(page.locator(".badge").first).to_have_text("production")
    assert _production_on_disk(site) == target
    assert site.registry.history()[-1].reason == "typed, then Enter"
    page.context.close()


def test_a_cancel_click_still_cancels(browser: object, site: Site) -> None:
    page = open_page(browser, site, "/m/default", token=None)
    page.locator(".signin-card button").click()
    page.fill("#signin-token", "write-secret-0001")
    page.click("#signin [data-cancel]")
    expect(page.locator(".signin-card")).to_be_visible()
    assert page.evaluate("localStorage.getItem('modelreg.token')") is None
    page.context.close()


def test_a_wrong_token_is_rejected_and_signed_out(browser: object, site: Site) -> None:
    page = open_page(browser, site, "/m/default", token="not-a-real-token", viewport=PHONE)
    expect(page.locator("#token-rejected")).to_have_text("token rejected")
    expect(page.locator(".signin-card h1")).to_have_text("That token was rejected")
    expect(page.locator("#signout-button")).to_have_count(0)
    expect(page.locator("#signin-button")).to_be_visible()
    assert page.evaluate("localStorage.getItem('modelreg.token')") is None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "token-rejected-phone.png"))
    page.click("#signin-button")  # a good one then works, and the warning goes
    page.fill("#signin-token", "read-secret-0001")
    page.press("#signin-token", "Enter")
    expect(page.locator("#versions-table tbody tr")).to_have_count(4)
    expect(page.locator("#token-rejected")).to_have_count(0)
    page.context.close()
