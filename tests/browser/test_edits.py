"""Descriptions and tags in the web UI: Markdown shown safely (a hostile description never
runs), edited with a write token, tags added and removed, the versions table filtered by a
click on a tag chip; a read token sees no editor."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from server.support import READ_TOKEN

from .conftest import SCREENSHOTS, Site, open_page

pytestmark = pytest.mark.browser

HOSTILE = (
    "# Release notes\n"
    "<script>window.__pwned = 'script'</script>\n"
    "<img src=x onerror=\"window.__pwned = 'img'\">\n"
    "**bold** and *soft*, `code`, [safe](https://example.com) "
    "[bad](javascript:window.__pwned='link')\n\n"
    "- one\n- two"
)


def test_a_hostile_description_is_rendered_as_text_and_never_runs(
    browser: object, site: Site
) -> None:
    version = site.names[2]
    site.registry.describe_version(version, HOSTILE)
    page = open_page(browser, site, f"/m/default/v/{version}")
    card = page.locator("#description .markdown")
    expect(card.locator("h3")).to_have_text("Release notes")
    expect(card.locator("strong")).to_have_text("bold")
    expect(card.locator("em")).to_have_text("soft")
    expect(card.locator("code")).to_have_text("code")
    expect(card.locator("li")).to_have_count(2)
    expect(card.locator("a")).to_have_count(1)  # only the https link is a link
    expect(card.locator("a")).to_have_attribute("href", "https://example.com")
    expect(card).to_contain_text("<script>window.__pwned = 'script'</script>")
    expect(card).to_contain_text("[bad](javascript:")
    assert card.locator("script, img, iframe").count() == 0
    page.wait_for_timeout(300)  # an onerror would have fired by now
    assert page.evaluate("window.__pwned") is None
    assert page.errors == []
    page.screenshot(path=str(SCREENSHOTS / "version-hostile-description.png"), full_page=True)
    page.context.close()


def test_edit_a_description_with_a_write_token(browser: object, site: Site) -> None:
    version = site.names[1]
    page = open_page(browser, site, f"/m/default/v/{version}")
    expect(page.locator("#description")).to_contain_text("No description yet.")
    page.click("#edit-description")
    page.fill("#description-text", "## Ridge on v3\nBeats production on **rmse**.")
    page.fill("#description-reason", "review notes")
    page.click("#save-description")
    expect(page.locator("#description .markdown strong")).to_have_text("rmse")
    stored = site.registry.stored_metadata(version) or {}
    assert stored["description"] == "## Ridge on v3\nBeats production on **rmse**."
    (event,) = [e for e in site.registry.events() if e.action == "describe"]
    assert (event.version, event.reason, event.user) == (version, "review notes", "alice")
    page.click("#edit-description")
    page.fill("#description-text", "x\u202ey")
    page.click("#save-description")
    expect(page.locator("#description .error-box")).to_contain_text("U+202E")
    assert (site.registry.stored_metadata(version) or {})["description"].startswith("## Ridge")
    page.screenshot(path=str(SCREENSHOTS / "version-description-edit.png"), full_page=True)
    page.context.close()


def test_add_and_remove_a_tag_then_filter_by_its_chip(browser: object, site: Site) -> None:
    a, b = site.names[0], site.names[3]
    site.registry.set_tags(a, {"owner": "alice"})
    page = open_page(browser, site, f"/m/default/v/{b}")
    page.fill("#tag-input", "owner=alice")
    page.click("#add-tag")
    expect(page.locator("#tags .tag-chip[data-tag='owner=alice']")).to_be_visible()
    page.fill("#tag-input", "dataset=v3")
    page.click("#add-tag")
    expect(page.locator("#tags .tag-chip")).to_have_count(2)
    page.click("#tags button[aria-label='remove tag dataset']")
    expect(page.locator("#tags .tag-chip")).to_have_count(1)
    assert (site.registry.stored_metadata(b) or {})["tags"] == {"owner": "alice"}
    tag_events = [(e.version, e.user) for e in site.registry.events() if e.action == "tag"]
    assert tag_events[-3:] == [(b, "alice")] * 3
    page.fill("#tag-input", "no equals sign")
    page.click("#add-tag")
    expect(page.locator("#toast")).to_contain_text("key=value")

    page.goto(f"{site.url}/#/m/default")
    rows = page.locator("#versions-table tbody tr")
    expect(rows).to_have_count(4)
    expect(page.locator(f"tr[data-version='{a}'] .chip.tag")).to_have_text("owner=alice")
    page.click(f"tr[data-version='{a}'] .chip.tag[data-tag='owner=alice']")
    expect(rows).to_have_count(2)
    assert {rows.nth(i).get_attribute("data-version") for i in range(2)} == {a, b}
    expect(page.locator("#active-tags")).to_contain_text("owner=alice")
    page.screenshot(path=str(SCREENSHOTS / "versions-tag-filter.png"), full_page=True)
    page.click("#active-tags .chip.tag")
    expect(rows).to_have_count(4)
    page.context.close()


def test_a_read_token_sees_descriptions_and_tags_but_no_editor(browser: object, site: Site) -> None:
    version = site.names[0]
    site.registry.describe_version(version, "Read *only*.")
    site.registry.set_tags(version, {"owner": "alice"})
    page = open_page(browser, site, f"/m/default/v/{version}", token=READ_TOKEN)
    expect(page.locator("#description .markdown em")).to_have_text("only")
    expect(page.locator("#tags .tag-chip")).to_have_text("owner=alice")
    assert page.locator("#edit-description, #tag-input, .tag-remove").count() == 0
    assert "null" not in page.inner_text("#tags")  # no editor is no node, not the text "null"
    page.goto(page.url.split("#")[0] + "#/m/default")
    expect(page.locator("#versions-table")).to_be_visible()
    assert "null" not in page.inner_text("main")  # no tag filter in force: nothing drawn
    page.context.close()


def test_the_models_own_description_and_tags_above_its_versions(
    browser: object, site: Site
) -> None:
    page = open_page(browser, site, "/m/default")
    about = page.locator("#about-model")
    expect(about.locator("#model-description")).to_contain_text("No description yet.")
    about.locator("#edit-description").click()
    hostile = 'Daily *direction* model.\n<img src=x onerror="window.__pwned=1">'
    page.fill("#description-text", hostile)
    page.fill("#description-reason", "onboarding")
    page.click("#save-description")
    expect(about.locator("#model-description .markdown em")).to_have_text("direction")
    about.locator("#tag-input").fill("team=quant")
    about.locator("#add-tag").click()
    expect(about.locator("#model-tags .tag-chip")).to_have_text("team=quant×")
    record = site.registry.model_info()
    assert record["description"].startswith("Daily *direction* model.")
    assert record["tags"] == {"team": "quant"}
    assert site.registry.events()[-2].reason == "onboarding"
    assert page.evaluate("window.__pwned") is None
    page.context.close()

    reader = open_page(browser, site, "/m/default", token=READ_TOKEN)
    expect(reader.locator("#model-description .markdown em")).to_have_text("direction")
    expect(reader.locator("#model-tags .tag-chip")).to_have_text("team=quant")
    assert reader.locator("#about-model #edit-description, #about-model #tag-input").count() == 0
    reader.context.close()
