"""The versions table: numeric version order, a remembered column choice, usable on a phone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect

from modelreg import ModelRegistry
from server.support import rich_result, running_server

from .conftest import PHONE, SCREENSHOTS, Site, open_page

pytestmark = pytest.mark.browser


@pytest.fixture
def same_second(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """Eleven versions registered in one second: X, X_2 ... X_11 (a string sort puts _9 first)."""
    moment = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
    monkeypatch.setattr("modelreg.operations.store.utc_now", lambda: moment)
    registry = ModelRegistry(tmp_path / "models")
    names = [registry.register(rich_result(seed % 4)) for seed in range(11)]
    registry.set_tags(names[3], {"owner": "alice"})
    with running_server(registry) as url:
        yield Site(url, registry, names)


def _shown(page: object) -> list[str]:
    return page.locator("#versions-table tbody tr").evaluate_all(  # type: ignore[attr-defined]
        "rows => rows.map(r => r.dataset.version)"
    )


def test_versions_sort_as_numbers(browser: object, same_second: Site) -> None:
    names = same_second.names
    assert names[-1].endswith("_11") and names[8].endswith("_9")
    page = open_page(browser, same_second, "/m/default")
    expect(page.locator("#versions-table tbody tr")).to_have_count(11)
    assert _shown(page) == names[::-1]  # _11, _10, _9 ... never _9 above _11
    page.click("a[data-sort=version]")
    expect(page.locator("a[data-sort=version]")).to_contain_text("▲")
    assert _shown(page) == names
    page.context.close()


def test_the_column_choice_is_remembered(browser: object, same_second: Site) -> None:
    page = open_page(browser, same_second, "/m/default")
    head = page.locator("#versions-table thead")
    expect(head).to_contain_text("rmse")
    expect(head).not_to_contain_text("alpha")
    page.click("#column-picker summary")
    picker = page.locator("#column-picker")
    expect(picker.locator("input[value='t:owner']")).to_have_count(1)  # tags, as some exist
    picker.locator("input[value='m:rmse']").uncheck()
    picker.locator("input[value='p:alpha']").check()
    picker.locator("input[value='t:owner']").check()
    expect(head).not_to_contain_text("rmse")
    expect(head).to_contain_text("alpha")
    expect(page.locator(f"tr[data-version='{same_second.names[3]}']")).to_contain_text("alice")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "columns-desktop.png"))
    page.reload()
    expect(page.locator("#versions-table thead")).to_contain_text("alpha")
    expect(page.locator("#versions-table thead")).not_to_contain_text("rmse")
    expect(page.locator("#versions-table thead")).to_contain_text("Model class")
    expect(page.locator("#versions-table tbody tr").first).to_contain_text("Ridge")
    page.context.close()


def test_the_table_is_usable_on_a_phone(browser: object, same_second: Site) -> None:
    page = open_page(browser, same_second, "/m/default", viewport=PHONE)
    rows = page.locator("#versions-table tbody tr")
    expect(rows).to_have_count(11)
    heads = page.locator("#versions-table thead th").all_inner_texts()
    assert heads[1].startswith("VERSION") and len(heads) <= 5, heads  # pick, version, 3 more
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    wrap = page.locator(".table-wrap").evaluate("w => [w.scrollWidth, w.clientWidth]")
    assert wrap[0] <= wrap[1] + 1, f"the default phone columns scroll sideways: {wrap}"
    link = rows.first.locator("td.first a.mono")
    box = link.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    page.click("#column-picker summary")
    panel = page.locator("#column-picker .picker-body").bounding_box()
    assert panel is not None and panel["x"] >= 0 and panel["x"] + panel["width"] <= PHONE["width"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "versions-picker-phone.png"))
    page.click("#columns-done")
    expect(page.locator("#column-picker .picker-body")).not_to_be_visible()
    link.click()
    expect(page.locator("td.hash").first).to_be_visible()
    page.context.close()
