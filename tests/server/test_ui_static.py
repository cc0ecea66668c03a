"""What the web UI's static modules hold that must agree with the library."""

from __future__ import annotations

import json
import re
from pathlib import Path

from modelreg.metadata import RESERVED_KEYS
from modelreg.tags import TAGS_KEY

STATIC = Path(__file__).resolve().parents[2] / "src/modelreg/serving/static"


def test_the_ui_knows_which_metadata_keys_the_registry_owns() -> None:
    """The version page shows every other key as the caller's own (`--extra`)."""
    source = (STATIC / "version.js").read_text(encoding="utf-8")
    found = re.search(r"REGISTRY_KEYS = new Set\((\[.*?\])\)", source)
    assert found is not None
    assert set(json.loads(found.group(1))) == set(RESERVED_KEYS) | {TAGS_KEY}


def test_every_module_is_preloaded_and_every_import_exists() -> None:
    """index.html preloads each module (one round trip, not one per import level)."""
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    modules = {p.name for p in STATIC.glob("*.js")} - {"charts.js", "app.js"}
    preloaded = set(re.findall(r'rel="modulepreload" href="/static/([\w.]+)"', html))
    assert preloaded == modules
    for module in STATIC.glob("*.js"):
        for target in re.findall(r'from "\./([\w.]+)"', module.read_text(encoding="utf-8")):
            assert (STATIC / target).exists(), (module.name, target)
