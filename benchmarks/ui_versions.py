"""The web UI's versions page at 100,000 versions: how long until a person sees the first page.

    python benchmarks/ui_versions.py [--count 100000] [--backend folder sqlite] [--repeat 5]
                                     [--quick] [--output FILE]

Each registry is filled the fast way (`workload.build_registry` for a folder,
`workload.fill_catalog` for a SQLite catalog: the same files and rows `register` leaves), then
`modelreg server` serves it as a child process on loopback and headless Chromium (Debian's
/usr/bin/chromium, or $MODELREG_TEST_CHROMIUM) opens the page. Timed in the browser, from the
navigation until the condition holds (checked every animation frame):

- **open**: a fresh browser context (empty cache, its tab already started on about:blank)
  loads `/#/m/default` until the table shows its 50 rows and the count reads the total
  ("1–50 of 100,000 versions");
- **sort by a metric**: a click on the `rmse` header until the first row is the highest rmse;
- **last page**: a click on "Last »" until "Page 2,000 of 2,000" shows;
- **filter**: a metric threshold in the address until the filtered count shows.

The first listing of a folder builds its index (`.index/versions.sqlite`, one read of every
metadata.json); that one-time cost is reported apart, and the timed runs come after it. The
server-side figures (one `GET /api/versions` page, `X-Total-Count` included) are measured with
httpx beside them.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from _common import Timing, facts, machine, ms, publish, remove, scratch, table
from _servers import TOKEN, modelreg_server
from workload import build_registry, fill_catalog, train

CHROMIUM = "/usr/bin/chromium"
PAGE = 50


def _fill(backend: str, work: Path, count: int) -> tuple[str, str | None]:
    """A registry of `count` versions; returns (location, artifact store or None)."""
    model = train()
    if backend == "folder":
        build_registry(work / "models", count, model)
        return str(work / "models"), None
    from workload import training_result

    from modelreg import ModelRegistry

    url, artifacts = f"sqlite:///{work}/catalog.db", str(work / "blobs")
    registry = ModelRegistry(url, artifacts=artifacts)
    template = registry.register(training_result(model, 0))
    registry.close()
    fill_catalog(url, template, count - 1)
    return url, artifacts


def _browser_timings(url: str, count: int, repeat: int) -> dict[str, Timing]:
    import os

    from playwright.sync_api import sync_playwright

    total = f"{count:,}"
    last = f"{-(-count // PAGE):,}"
    samples: dict[str, list[float]] = {"open": [], "sort": [], "last": [], "filter": []}
    with sync_playwright() as p:
        chromium = os.environ.get("MODELREG_TEST_CHROMIUM", CHROMIUM)
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for _ in range(repeat):
            # the waits below are JavaScript Playwright evaluates: allowed past the CSP
            context = browser.new_context(viewport={"width": 1440, "height": 900}, bypass_csp=True)
            context.add_init_script(f"localStorage.setItem('modelreg.token', {TOKEN!r})")
            page = context.new_page()
            page.goto("about:blank")  # the tab's process starts before the clock does
            samples["open"].append(
                _timed(
                    page,
                    lambda page=page: page.goto(f"{url}/#/m/default", wait_until="commit"),
                    f"document.querySelectorAll('#versions-table tbody tr').length === {PAGE}"
                    f" && document.querySelector('#count').textContent.includes('of {total}')",
                )
            )
            samples["sort"].append(
                _timed(
                    page,
                    lambda page=page: page.click("a[data-sort=rmse]"),
                    "document.querySelector('th[aria-sort] a[data-sort=rmse]') !== null"
                    " && document.querySelectorAll('#versions-table tbody tr').length > 0",
                )
            )
            samples["last"].append(
                _timed(
                    page,
                    lambda page=page: page.click("#page-last"),
                    f"(document.querySelector('#page-of') || {{}}).textContent"
                    f" === 'Page {last} of {last}'",
                )
            )
            samples["filter"].append(
                _timed(
                    page,
                    lambda page=page: page.evaluate(
                        "location.hash = '#/m/default?min=direction_accuracy:0.55&max=rmse:0.03'"
                    ),
                    "(document.querySelector('#count') || {textContent: ''})"
                    ".textContent.includes('matching')",
                )
            )
            context.close()
        browser.close()
    return {k: Timing(tuple(v)) for k, v in samples.items()}


def _timed(page: Any, action: Any, condition: str) -> float:
    start = time.perf_counter()
    action()
    page.wait_for_function(condition, polling="raf", timeout=60_000)
    return time.perf_counter() - start


def _api_timings(url: str, count: int, repeat: int) -> dict[str, Timing]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    asks = {
        "first page": {"limit": PAGE},
        "sorted by rmse": {"limit": PAGE, "sort": "rmse"},
        "last page": {"limit": PAGE, "offset": count - PAGE},
        "filtered": {"limit": PAGE, "min": "direction_accuracy:0.55", "max": "rmse:0.03"},
        "metric names": None,
    }
    out: dict[str, list[float]] = {k: [] for k in asks}
    with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
        for _ in range(repeat):
            for name, params in asks.items():
                start = time.perf_counter()
                if params is None:
                    answer = client.get("/api/metrics")
                else:
                    answer = client.get("/api/versions", params=params)
                answer.raise_for_status()
                out[name].append(time.perf_counter() - start)
                if name == "first page":
                    assert answer.headers["X-Total-Count"] == str(count), answer.headers
    return {k: Timing(tuple(v)) for k, v in out.items()}


def run(backend: str, count: int, repeat: int) -> tuple[list[list[str]], list[list[str]], str]:
    work = scratch(f"ui-{backend}")
    try:
        start = time.perf_counter()
        location, artifacts = _fill(backend, work, count)
        filled = time.perf_counter() - start
        with modelreg_server(location, work, artifacts=artifacts) as server:
            start = time.perf_counter()
            first = httpx.get(
                f"{server.url}/api/versions",
                params={"limit": PAGE},
                headers={"Authorization": f"Bearer {TOKEN}"},
                timeout=600,
            )
            first.raise_for_status()
            cold = time.perf_counter() - start
            api = _api_timings(server.url, count, repeat)
            ui = _browser_timings(server.url, count, repeat)
        builds = ", builds the index" if backend == "folder" else ""
        note = f"{backend}: filled in {filled:.0f} s; first listing (cold{builds}) {ms(cold)}"
        ui_rows = [[backend, what, t.cell()] for what, t in ui.items()]
        api_rows = [[backend, what, t.cell()] for what, t in api.items()]
        return ui_rows, api_rows, note
    finally:
        remove(work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--backend", nargs="+", default=["folder", "sqlite"])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="2,000 versions, 2 runs")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    if args.quick:
        args.count, args.repeat = 2_000, 2
    info = machine()
    ui_rows, api_rows, notes = [], [], []
    for backend in args.backend:
        ui, api, note = run(backend, args.count, args.repeat)
        ui_rows += ui
        api_rows += api
        notes.append(note)
    report = "\n\n".join(
        [
            f"## The versions page at {args.count:,} versions (issue 17): "
            "`benchmarks/ui_versions.py`",
            facts(info),
            "In the browser (headless Chromium, 1440x900), until the person sees the result:",
            table(["registry", "step", "time"], ui_rows),
            "On the server (`GET /api/versions`, one page of 50 with its total; httpx):",
            table(["registry", "request", "time"], api_rows),
            "\n".join(f"- {n}" for n in notes),
        ]
    )
    publish(report, args.output, "ui_versions.md", quick=args.quick)


if __name__ == "__main__":
    main()
