"""The user's day of issue 14 over REST (folder and SQLite behind the server), and the edit
routes: descriptions of a version and of the model, the model's tags, who and why logged."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from modelreg import ModelRegistry
from modelreg.serving.server import create_app

from .support import TOKENS, fill


@pytest.fixture(params=["folder", "sqlite"])
def day(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[TestClient, list[str]]]:
    where = tmp_path / "models" if request.param == "folder" else f"sqlite:///{tmp_path}/r.db"
    served = ModelRegistry(where, lock_timeout=5, trust_pickle=True)
    names = fill(served, 3)
    with TestClient(create_app(served, tokens=TOKENS), raise_server_exceptions=False) as client:
        yield client, names
    served.close()


def test_a_users_day_over_rest(
    day: tuple[TestClient, list[str]], reader: dict, writer: dict
) -> None:
    client, (a, b, c) = day
    model = {"description": "Next-day *direction*.", "reason": "new model"}
    assert client.post("/api/model/description", json=model, headers=writer).json() == {
        "description": "Next-day *direction*."
    }
    client.post("/api/model/tags", json={"set": {"team": "fx"}}, headers=writer)
    for version, owner in ((a, "alice"), (b, "alice"), (c, "bob")):
        text = {"description": f"## {version}\nby {owner}", "reason": "triage"}
        answer = client.post(f"/api/versions/{version}/description", json=text, headers=writer)
        assert answer.status_code == 200 and answer.json() == {"description": text["description"]}
        tags = {"set": {"owner": owner, "dataset": "v3"}}
        client.post(f"/api/versions/{version}/tags", json=tags, headers=writer)
    for version, channel in ((b, "champion"), (c, "staging")):
        move = {"version": version, "channel": channel, "reason": "day one"}
        assert client.post("/api/promote", json=move, headers=writer).status_code == 200

    info = client.get("/api/versions/@champion", headers=reader).json()
    assert (info["version"], info["description"]) == (b, f"## {b}\nby alice")
    for filename, record in info["files"].items():  # what a remote load_version downloads
        got = client.get(f"/api/versions/@champion/files/{filename}", headers=reader)
        assert hashlib.sha256(got.content).hexdigest() == record["sha256"]
    found = client.get("/api/versions", params={"tag": "owner=alice"}, headers=reader).json()
    assert [(v["version"], v["channels"]) for v in found] == [(b, ["champion"]), (a, [])]
    assert client.get("/api/model", headers=reader).json() == {
        "model": "default",
        "description": "Next-day *direction*.",
        "tags": {"team": "fx"},
    }

    move = {"version": a, "channel": "staging", "expected_current": c, "reason": "older one"}
    refused = client.post("/api/promote", json=move, headers=writer)  # the gate guards staging too
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"] == "gate_refused"
    forced = client.post("/api/promote", json={**move, "force": True}, headers=writer)
    assert forced.status_code == 200, forced.text
    assert forced.json()["gate"]["passed"] is False
    back = {"channel": "staging", "reason": "worse"}
    assert client.post("/api/rollback", json=back, headers=writer).json()["version"] == c
    staging = client.get("/api/history", params={"channel": "staging"}, headers=reader).json()
    assert [(e["action"], e["version"], e["reason"]) for e in staging] == [
        ("promote", c, "day one"),
        ("promote", a, "older one"),
        ("rollback", c, "worse"),
    ]
    log = client.get("/api/events", headers=reader).json()
    edits = [(e["action"], e.get("version"), e["user"]) for e in log if e["action"] == "describe"]
    assert edits == [("describe", None, "alice"), *[("describe", v, "alice") for v in (a, b, c)]]


def test_clearing_and_refusing_descriptions(
    day: tuple[TestClient, list[str]], reader: dict, writer: dict
) -> None:
    client, (a, _, _) = day
    path = f"/api/versions/{a}/description"
    client.post(path, json={"description": "text"}, headers=writer)
    assert client.post(path, json={"description": None}, headers=writer).json() == {
        "description": None
    }
    assert "description" not in client.get(f"/api/versions/{a}", headers=reader).json()
    long = client.post(path, json={"description": "x" * 20_001}, headers=writer)
    assert long.status_code == 422 and long.json()["error"] == "text_too_long"
    assert long.json()["context"] == {"length": 20_001, "limit": 20_000}
    missing = client.post(
        "/api/versions/@champion/description", json={"description": "x"}, headers=writer
    )
    assert missing.status_code == 404
    odd = client.post(path, json={"description": "x", "version": "20200101_000000"}, headers=writer)
    assert odd.status_code == 422  # nothing but the text and a reason is accepted
