"""`@channel` in every REST route reading a version; promote an alias; roll back any channel."""

from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient

from modelreg import ModelRegistry


def _aliased(served: ModelRegistry, names: list[str]) -> None:
    served.promote(names[0])
    served.promote(names[1], channel="staging")


def test_read_routes_resolve_an_alias(
    client: TestClient, reader: dict, names: list[str], served: ModelRegistry
) -> None:
    _aliased(served, names)
    info = client.get("/api/versions/@staging", headers=reader).json()
    assert info["version"] == names[1] and info["channels"] == ["staging"]
    meta = client.get("/api/versions/@staging/metadata", headers=reader).json()
    assert meta["version"] == names[1]
    body = client.get("/api/versions/@staging/files/model.pkl", headers=reader)
    assert hashlib.sha256(body.content).hexdigest() == meta["files"]["model.pkl"]["sha256"]
    params = {"version1": "@staging", "version2": "@production"}
    compared = client.get("/api/compare", params=params, headers=reader).json()
    assert {row["version1"] for row in compared.values()} == {names[1]}
    assert {row["version2"] for row in compared.values()} == {names[0]}
    listed = {
        v["version"]: v["channels"] for v in client.get("/api/versions", headers=reader).json()
    }
    assert listed[names[1]] == ["staging"] and listed[names[0]] == ["production"]


def test_an_empty_or_malformed_alias(client: TestClient, reader: dict, names: list[str]) -> None:
    missing = client.get("/api/versions/@champion", headers=reader)
    assert missing.status_code == 404
    bad = client.get("/api/versions/@Champion", headers=reader)
    assert bad.status_code == 422 and "invalid alias" in bad.json()["message"]


def test_promote_an_alias_and_roll_back_its_channel(
    client: TestClient, writer: dict, names: list[str], served: ModelRegistry
) -> None:
    _aliased(served, names)
    moved = client.post(
        "/api/promote",
        json={"version": "@staging", "expected_current": names[0], "reason": "passed"},
        headers=writer,
    )
    assert moved.status_code == 409 and moved.json()["error"] == "gate_refused"  # worse rmse
    moved = client.post(
        "/api/promote",
        json={"version": "@staging", "expected_current": names[0], "force": True},
        headers=writer,
    )
    assert moved.json()["move"] == {
        "channel": "production",
        "version": names[1],
        "previous": names[0],
    }
    forced = {"version": names[2], "channel": "staging", "force": True}
    client.post("/api/promote", json=forced, headers=writer)
    back = client.post(
        "/api/rollback", json={"channel": "staging", "reason": "c is slow"}, headers=writer
    )
    assert back.json() == {"channel": "staging", "version": names[1], "previous": names[2]}
    event = served.history("staging")[-1]
    assert (event.action, event.user, event.reason) == ("rollback", "alice", "c is slow")
    assert served.channels() == {"production": names[1], "staging": names[1]}
