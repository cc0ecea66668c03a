"""Tags over REST: POST /api/versions/{v}/tags (write, audited), GET /api/versions?tag=K=V."""

from __future__ import annotations

from fastapi.testclient import TestClient

from modelreg import ModelRegistry


def test_set_filter_and_remove_tags(
    client: TestClient, reader: dict, writer: dict, names: list[str], served: ModelRegistry
) -> None:
    body = {"set": {"owner": "alice", "dataset": "v3"}, "reason": "handover"}
    answer = client.post(f"/api/versions/{names[0]}/tags", json=body, headers=writer)
    assert answer.json() == {"tags": {"owner": "alice", "dataset": "v3"}}
    client.post(f"/api/versions/{names[1]}/tags", json={"set": {"owner": "bob"}}, headers=writer)
    found = client.get("/api/versions", params={"tag": "owner=alice"}, headers=reader).json()
    assert [(v["version"], v["tags"]) for v in found] == [(names[0], body["set"])]
    both = {"tag": ["owner=alice", "dataset=v2"]}
    assert client.get("/api/versions", params=both, headers=reader).json() == []
    removed = client.post(
        f"/api/versions/{names[0]}/tags", json={"remove": ["dataset"]}, headers=writer
    )
    assert removed.json() == {"tags": {"owner": "alice"}}
    event = next(e for e in served.events() if e.action == "tag")
    assert (event.version, event.user, event.reason) == (names[0], "alice", "handover")


def test_tag_edits_need_a_write_token_and_valid_tags(
    client: TestClient, reader: dict, writer: dict, names: list[str]
) -> None:
    path = f"/api/versions/{names[0]}/tags"
    assert client.post(path, json={"set": {"owner": "x"}}, headers=reader).status_code == 403
    bad = client.post(path, json={"set": {"1owner": "x"}}, headers=writer)
    assert bad.status_code == 422 and "invalid tag key" in bad.json()["message"]
    odd = client.get("/api/versions", params={"tag": "owner"}, headers=reader)
    assert odd.status_code == 422 and "KEY=VALUE" in odd.json()["message"]
    missing = client.post("/api/versions/@champion/tags", json={"set": {"a": "b"}}, headers=writer)
    assert missing.status_code == 404
