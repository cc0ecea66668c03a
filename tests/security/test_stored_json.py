"""Stored JSON is input: a metadata file, a catalog row, an audit line or a hook's state that
was tampered with reads as corrupt (a typed error naming it), never as a crash.

Two attacks on what a registry reads back. Python's JSON decoder recurses once per nesting
level, so a document of 5,000 brackets raised `RecursionError`, which every reader's
"corrupt" handling let through: a catalog listing, the server's page and `verify` died on
one such row. And a catalog row whose metadata names another version was served as that
other version, where a folder refuses a metadata.json that does not name its own folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from conftest import make_result
from modelreg import CorruptVersionError, ModelRegistry
from modelreg.backends.sql import SqlBackend
from modelreg.hooks.cursor import HookState
from modelreg.serving.server import create_app
from server.support import READ_TOKEN, TOKENS, auth

#: past Python's recursion limit (1,000), within what PostgreSQL's json column accepts
NESTED = "[" * 5_000 + "]" * 5_000


def _store_metadata(registry: ModelRegistry, name: str, text: str) -> None:
    """Replace version `name`'s stored metadata with `text`, behind modelreg's back."""
    backend = registry.backend
    if isinstance(backend, SqlBackend):
        with backend._engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE modelreg_versions SET meta = :m WHERE name = :n"),
                {"m": text, "n": name},
            )
    else:
        (Path(registry.path) / name / "metadata.json").write_text(text)


def _listing_fields(registry: ModelRegistry) -> list[object]:
    """Every listed row's stored fields, read (a lazy row decodes at its first field)."""
    return [row.metrics for row in registry.list_versions()]


def test_metadata_nested_past_the_recursion_limit_is_corrupt_on_every_path(
    served: ModelRegistry,
) -> None:
    damaged, healthy = (served.register(make_result(seed)) for seed in range(2))
    _listing_fields(served)  # a folder's index holds both rows before the damage
    _store_metadata(served, damaged, NESTED)

    with pytest.raises(CorruptVersionError, match=damaged):
        served.stored_metadata(damaged)
    with pytest.raises(CorruptVersionError, match="nested too deeply"):
        _listing_fields(served)
    assert served.stored_metadata(healthy)["version"] == healthy

    report = served.verify()
    assert damaged in {problem["where"] for problem in report.problems}, report.problems
    assert healthy not in {problem["where"] for problem in report.problems}

    with TestClient(create_app(served, tokens=TOKENS), raise_server_exceptions=False) as client:
        page = client.get("/api/versions", headers=auth(READ_TOKEN))
        assert page.status_code == 500 and page.json()["error"] == "corrupt", page.text
        one = client.get(f"/api/versions/{healthy}", headers=auth(READ_TOKEN))
        assert one.status_code == 200 and one.json()["version"] == healthy


@pytest.mark.parametrize(
    "served", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_a_catalog_row_that_names_another_version_is_corrupt(served: ModelRegistry) -> None:
    """The row's key is the version; metadata claiming another is a damaged row, not an alias."""
    victim, forged = (served.register(make_result(seed)) for seed in range(2))
    claim = dict(served.stored_metadata(forged), version=victim)
    _store_metadata(served, forged, json.dumps(claim))

    with pytest.raises(CorruptVersionError, match=f"says it is version '{victim}'"):
        served.stored_metadata(forged)
    rows = {row.version: row for row in served.list_versions()}
    assert set(rows) == {victim, forged}
    with pytest.raises(CorruptVersionError, match=forged):
        _ = rows[forged].metrics
    assert rows[victim].metrics

    with TestClient(create_app(served, tokens=TOKENS), raise_server_exceptions=False) as client:
        answer = client.get(f"/api/versions/{forged}", headers=auth(READ_TOKEN))
        assert answer.status_code == 500 and answer.json()["error"] == "corrupt"
        assert client.get(f"/api/versions/{victim}", headers=auth(READ_TOKEN)).status_code == 200


def test_an_audit_line_nested_past_the_limit_is_a_torn_line(tmp_path: Path) -> None:
    """A folder's audit log reads on past a line it cannot decode, as past a torn write."""
    registry = ModelRegistry(tmp_path / "models")
    name = registry.register(make_result(1))
    with open(tmp_path / "models" / "events.jsonl", "a") as log:
        log.write(NESTED + "\n")
    registry.promote(name)
    assert [event.action for event in registry.history()] == ["promote"]
    assert registry.current_version() == name


def test_a_hook_state_nested_past_the_limit_is_corrupt(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text(NESTED)
    with pytest.raises(CorruptVersionError, match="cannot be read"):
        HookState.load(state)
