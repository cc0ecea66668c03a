"""100,000 versions page on the server: counts, next and last pages, sort and filter.

The catalog is filled the benchmarks' fast way (`workload.fill_catalog`: the rows `register`
leaves); how fast the page opens is measured in `benchmarks/ui_versions.py`, not here.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from modelreg import ModelRegistry
from modelreg.query import VersionQuery
from server.support import rich_result, running_server

from .conftest import SCREENSHOTS, Site, open_page

pytestmark = pytest.mark.browser
COUNT = 100_000

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from workload import fill_catalog

    work = tmp_path_factory.mktemp("big")
    url = f"sqlite:///{work}/catalog.db"
    registry = ModelRegistry(url, artifacts=str(work / "blobs"))
    newest = registry.register(rich_result(1))
    fill_catalog(url, newest, COUNT - 1)
    with running_server(registry) as served:
        yield Site(served, registry, [newest])
    registry.close()


def _first(page: object) -> str:
    row = page.locator("#versions-table tbody tr").first  # type: ignore[attr-defined]
    return row.get_attribute("data-version")


def test_pages_of_a_hundred_thousand(browser: object, big: Site) -> None:
    registry = big.registry
    assert registry.count_versions() == COUNT
    page = open_page(browser, big, "/m/default")
    rows = page.locator("#versions-table tbody tr")
    expect(rows).to_have_count(50)
    expect(page.locator("#count")).to_have_text("1–50 of 100,000 versions")
    expect(page.locator("#page-of")).to_have_text("Page 1 of 2,000")
    assert _first(page) == big.names[0]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "versions-100k-desktop.png"))
    page.click("#page-next")
    expect(page.locator("#page-of")).to_have_text("Page 2 of 2,000")
    expect(page.locator("#count")).to_have_text("51–100 of 100,000 versions")
    expect(rows.first).to_have_attribute(
        "data-version", registry.list_versions(offset=50, limit=1)[0].version
    )
    page.click("#page-last")
    expect(page.locator("#page-of")).to_have_text("Page 2,000 of 2,000")
    expect(page.locator("#page-next")).to_have_attribute("aria-disabled", "true")
    oldest = registry.list_versions(limit=1, descending=False)[0].version
    expect(rows.last).to_have_attribute("data-version", oldest)
    page.select_option("#page-size", "200")
    expect(page.locator("#page-of")).to_have_text("Page 1 of 500")
    expect(rows).to_have_count(200)
    assert page.errors == []
    page.context.close()


def test_sort_and_filter_on_the_server(browser: object, big: Site) -> None:
    registry = big.registry
    page = open_page(browser, big, "/m/default")
    expect(page.locator("#versions-table tbody tr")).to_have_count(50)
    page.click("a[data-sort=rmse]")
    expect(page.locator("a[data-sort=rmse]")).to_contain_text("▼")
    top = registry.list_versions(sort="rmse", limit=1)[0]
    expect(page.locator("#versions-table tbody tr").first).to_have_attribute(
        "data-version", top.version
    )
    query = VersionQuery.checked(min_metrics={"direction_accuracy": 0.55})
    matching = registry.count_versions(query)
    assert 0 < matching < COUNT
    page.click("#add-threshold")
    page.select_option(".f-metric", "direction_accuracy")
    page.fill(".f-value", "0.55")
    page.press(".f-value", "Enter")
    expect(page.locator("#count")).to_contain_text(f"of {matching:,} versions matching")
    expect(page.locator("#count")).to_contain_text("(100,000 in all)")
    expect(page.locator("a[data-sort=rmse]")).to_contain_text("▼")  # the sort survives
    page.context.close()
