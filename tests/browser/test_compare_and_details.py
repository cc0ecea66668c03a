"""Compare across periods (aligned, each version's actuals, a note) with a diff; a version's
extra metadata, lineage and format as fields; a deleted version's history link."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from playwright.sync_api import expect

from modelreg import ModelRegistry
from modelreg.cli import cli
from server.support import fill, rich_result, running_server

from .conftest import PHONE, SCREENSHOTS, Site, open_page

pytestmark = pytest.mark.browser


def _shifted(frame: pd.DataFrame, days: int) -> pd.DataFrame:
    moved = frame.copy()
    moved["timestamp"] = moved["timestamp"] + pd.Timedelta(days=days)
    return moved


@pytest.fixture
def periods(tmp_path: Path) -> Iterator[Site]:
    """Two versions whose predictions cover different months, with different settings."""
    registry = ModelRegistry(tmp_path / "models")
    early = rich_result(0)
    late = rich_result(1)
    late = dataclasses.replace(
        late,
        features=[*late.features[:3], "macd"],
        config={"target": "return_5d"},
        validation_predictions=_shifted(late.validation_predictions, 10),
        test_predictions=_shifted(late.test_predictions, 10),
    )
    a = registry.register(early, data_range={"start": "2025-01-01", "end": "2025-12-31"})
    b = registry.register(late, data_range={"start": "2025-02-01", "end": "2026-01-31"})
    with running_server(registry) as url:
        yield Site(url, registry, [a, b])


def test_compare_aligns_periods_and_shows_a_diff(browser: object, periods: Site) -> None:
    a, b = periods.names
    page = open_page(browser, periods, f"/m/default/compare?a={a}&b={b}")
    expect(page.locator("#period-note")).to_contain_text("different periods")
    notes = page.locator(".period-note")
    expect(notes).to_have_count(2)  # validation and test
    expect(notes.first).to_contain_text("The periods differ")
    expect(notes.first).to_contain_text("they overlap")
    legend = page.locator(".chart-box").first.locator(".legend")
    for name in ["actual (A)", "actual (B)", f"predicted A ({a})", f"predicted B ({b})"]:
        expect(legend).to_contain_text(name)
    expect(page.locator("path.chart-line")).to_have_count(8)
    alpha = page.locator("#diff-hyperparameters tr[data-key=alpha]")
    expect(alpha).to_have_class("changed")
    expect(alpha).to_contain_text("1")
    expect(alpha).to_contain_text("2")
    expect(page.locator("#diff-hyperparameters tr[data-key=fit_intercept]")).not_to_have_class(
        "changed"
    )
    expect(page.locator("#diff-features dd[data-side=a]")).to_contain_text("momentum_5")
    expect(page.locator("#diff-features dd[data-side=b]")).to_contain_text("macd")
    expect(page.locator("#diff-config tr[data-key=target]")).to_contain_text("return_5d")
    expect(page.locator("#diff-model")).to_contain_text("Same model class")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "compare-periods-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.reload()
    expect(page.locator("#version-diff")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    page.screenshot(path=str(SCREENSHOTS / "compare-periods-phone.png"), full_page=True)
    page.context.close()


def test_the_same_period_draws_one_actual_line(browser: object, tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path / "models")
    result = rich_result(2)
    a = registry.register(result)
    b = registry.register(dataclasses.replace(result, hyperparameters={"alpha": 9.0}))
    with running_server(registry) as url:
        page = open_page(browser, Site(url, registry, [a, b]), f"/m/default/compare?a={a}&b={b}")
        legend = page.locator(".chart-box").first.locator(".legend")
        expect(legend).to_contain_text("predicted B")
        expect(legend.locator(".legend-item", has_text="actual")).to_have_count(1)
        expect(page.locator(".period-note")).to_have_count(0)
        expect(page.locator("#period-note")).to_have_count(0)
        page.context.close()


def test_extra_lineage_and_a_cli_upload_as_fields(
    browser: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = ModelRegistry(tmp_path / "models")
    fill(registry, 1)
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"\x00" * 64)
    answer = CliRunner().invoke(
        cli,
        [
            *("-r", str(tmp_path / "models"), "register", str(weights), "-m", "rmse=0.1"),
            *("--extra", "owner=bob", "--extra", "ticket=ML-9", "-q"),
        ],
    )
    assert answer.exit_code == 0, answer.output
    uploaded = answer.output.strip()
    with running_server(registry) as url:
        page = open_page(browser, Site(url, registry, [uploaded]), f"/m/default/v/{uploaded}")
        extra = page.locator("#extra-metadata")
        expect(extra.locator("tr[data-key=owner]")).to_contain_text("bob")
        expect(extra.locator("tr[data-key=ticket]")).to_contain_text("ML-9")
        expect(extra).not_to_contain_text("hyperparameters")
        expect(page.locator("#lineage")).to_contain_text("python")
        expect(page.locator("#lineage")).to_contain_text("host")
        expect(page.locator("#model-format")).to_have_text("file kept as uploaded (weights.bin)")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "version-extra-desktop.png"), full_page=True)
        page.context.close()


def test_a_deleted_version_says_when_and_by_whom(browser: object, site: Site) -> None:
    doomed = site.names[2]
    site.registry.promote(doomed, reason="try it")
    site.registry.promote(site.names[3])
    site.registry.delete_version(doomed, reason="trained on leaked data")
    page = open_page(browser, site, "/m/default/history")
    entry = page.locator("#timeline .event", has_text="try it")
    expect(entry.locator(".deleted-chip")).to_contain_text("deleted")
    entry.locator(f"a:text('{doomed}')").click()
    card = page.locator("#deleted")
    expect(card).to_contain_text("This version was deleted")
    expect(card).to_contain_text("trained on leaked data")
    user = site.registry.events()[-1].user
    expect(card).to_contain_text(f"by {user}")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "deleted-version-desktop.png"))
    page.context.close()
