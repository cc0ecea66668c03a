"""The promote dialog shows the gate; approvals from two people in the browser."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from modelreg import ModelRegistry
from server.support import APPROVER_TOKEN, WRITE_TOKEN, rich_result, running_server

from .conftest import PHONE, SCREENSHOTS, Site, open_page

pytestmark = pytest.mark.browser


def _production_on_disk(site: Site) -> str | None:
    link = Path(site.registry.path) / "production" / "latest"
    return Path(os.readlink(link)).name if link.is_symlink() else None


def test_a_losing_candidate_shows_the_warning(browser: object, site: Site) -> None:
    """names[3] has the better direction accuracy but the worse rmse than production."""
    loser, holder = site.names[3], site.names[1]
    page = open_page(browser, site, f"/m/default/v/{loser}")
    page.click("#promote")
    expect(page.locator("#gate-verdict")).to_contain_text("The gate says no")
    expect(page.locator("#gate-verdict")).to_contain_text(holder)
    rmse = page.locator("#gate-table tr.fail", has_text="rmse")
    expect(rmse).to_contain_text("not better")
    expect(rmse).to_contain_text("-0.02")  # 0.05 vs 0.03, lower is better
    expect(page.locator("#gate-table tr.pass", has_text="direction_accuracy")).to_have_count(1)
    expect(page.locator("#confirm-ok")).to_be_disabled()
    expect(page.locator("#confirm-ok")).to_have_text("Promote anyway")
    page.fill("#confirm-reason", "accepting the worse rmse for the accuracy")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "promote-gate-losing.png"))
    page.click("#confirm [data-cancel]")
    assert _production_on_disk(site) == holder
    page.click("#promote")
    page.check("#gate-force")
    page.click("#confirm-ok")
    expect(page.locator(".badge").first).to_have_text("production")
    assert _production_on_disk(site) == loser
    event = site.registry.history()[-1]
    assert event.details == {"gate": {"passed": False, "against": holder, "forced": True}}
    assert page.errors == []
    page.context.close()


def test_a_missing_metric_is_a_warning(browser: object, site: Site) -> None:
    partial = site.registry.register(rich_result(9, rmse=0.001))
    page = open_page(browser, site, f"/m/default/v/{partial}", viewport=PHONE)
    page.click("#promote")
    expect(page.locator(".gate-warning")).to_have_count(2)  # direction_accuracy, profit_factor
    expect(page.locator(".gate-warning").first).to_contain_text("the candidate has no value")
    expect(page.locator("#gate-verdict")).to_contain_text("The gate passes")
    page.screenshot(path=str(SCREENSHOTS / "promote-gate-missing-phone.png"))
    page.context.close()


@pytest.fixture
def approving(tmp_path: Path) -> Iterator[Site]:
    config = tmp_path / "server.yaml"
    config.write_text("registry:\n  channels:\n    production: {require_approval: true}\n")
    registry = ModelRegistry(tmp_path / "models", config_path=config, lock_timeout=10)
    first = registry.register(rich_result(0, rmse=0.03, direction_accuracy=0.5))
    better = registry.register(rich_result(1, rmse=0.02, direction_accuracy=0.6))
    registry.promote_checked(first, request_approval=False)  # filed: production needs approval
    with running_server(registry) as url:
        yield Site(url, registry, [first, better])


def test_an_approval_from_two_people(browser: object, approving: Site) -> None:
    site = approving
    first, better = site.names
    bob = open_page(browser, site, "/m/default/history", token=APPROVER_TOKEN)
    card = bob.locator("#requests .request-item")
    expect(card).to_have_count(1)
    bob.locator(".approve-request").click()
    bob.fill("#confirm-reason", "first model, checked")
    bob.click("#confirm-ok")
    expect(bob.locator("#requests")).to_have_count(0)
    assert _production_on_disk(site) == first
    alice = open_page(browser, site, f"/m/default/v/{better}", token=WRITE_TOKEN)
    alice.click("#promote")
    expect(alice.locator(".gate-note")).to_contain_text("second person's approval")
    expect(alice.locator("#confirm-ok")).to_have_text("Request approval")
    alice.fill("#confirm-reason", "beats it on both")
    alice.screenshot(path=str(SCREENSHOTS / "promote-request-dialog.png"))
    alice.click("#confirm-ok")
    expect(alice.locator("#toast")).to_contain_text("waits for another person's approval")
    assert _production_on_disk(site) == first
    alice.goto(f"{site.url}/#/m/default/history")
    expect(alice.locator("#requests .request-item")).to_contain_text("Your request")
    expect(alice.locator("#requests .approve-request")).to_have_count(0)
    bob.goto(f"{site.url}/#/m/default/history")
    bob.reload()
    expect(bob.locator("#requests .request-item")).to_contain_text(better)
    bob.screenshot(path=str(SCREENSHOTS / "history-requests.png"), full_page=True)
    bob.locator(".approve-request").click()
    bob.fill("#confirm-reason", "backtest checked")
    bob.click("#confirm-ok")
    expect(bob.locator("#timeline .event.approve").first).to_contain_text("backtest checked")
    assert _production_on_disk(site) == better
    assert [e.action for e in site.registry.events()][-3:] == ["request", "promote", "approve"]
    assert bob.errors == [] and alice.errors == []
    alice.context.close()
    bob.context.close()
