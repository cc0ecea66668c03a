"""Write routes: promote, rollback, cleanup, delete, verify; conflicts and lock timeouts."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from modelreg import ModelRegistry
from modelreg.serving.server import create_app

from .support import TOKENS, WRITE_TOKEN, auth


def _pointer(served: ModelRegistry, channel: str = "production") -> str:
    return os.readlink(Path(served.path) / channel / "latest")


def test_promote_moves_the_pointer_and_logs_who(
    client: TestClient, writer: dict, names: list[str], served: ModelRegistry
) -> None:
    response = client.post(
        "/api/promote", json={"version": names[1], "reason": "better"}, headers=writer
    )
    body = response.json()
    assert {k: body[k] for k in ("channel", "version", "previous")} == {
        "channel": "production",
        "version": names[1],
        "previous": None,
    }
    assert body["move"] == {"channel": "production", "version": names[1], "previous": None}
    assert body["gate"]["passed"] and body["gate"]["holder"] is None and body["request"] is None
    assert _pointer(served).endswith(names[1])
    event = served.history()[-1]
    assert (event.user, event.reason) == ("alice", "better")


def test_promote_with_expected_current(
    client: TestClient, writer: dict, names: list[str], served: ModelRegistry
) -> None:
    ok = client.post(
        "/api/promote", json={"version": names[0], "expected_current": None}, headers=writer
    )
    assert ok.status_code == 200
    clash = client.post(
        "/api/promote", json={"version": names[1], "expected_current": names[2]}, headers=writer
    )
    assert clash.status_code == 409
    assert clash.json()["error"] == "conflict"
    assert clash.json()["context"]["current"] == names[0]
    assert served.channels()["production"] == names[0]


def test_promote_to_another_channel(
    client: TestClient, writer: dict, names: list[str], served: ModelRegistry
) -> None:
    client.post("/api/promote", json={"version": names[2], "channel": "staging"}, headers=writer)
    assert served.channels() == {"staging": names[2]}
    bad = client.post(
        "/api/promote", json={"version": names[2], "channel": "Bad/Ch"}, headers=writer
    )
    assert bad.status_code == 422


@pytest.mark.parametrize(
    "body",
    [{}, {"version": 3}, {"version": "latest"}, {"version": "x", "extra": 1}, {"version": None}],
)
def test_promote_rejects_bad_bodies(client: TestClient, writer: dict, body: dict) -> None:
    response = client.post("/api/promote", json=body, headers=writer)
    assert response.status_code == 422
    assert response.json()["error"] in ("invalid_input", "invalid_version")


def test_promote_unknown_is_404(client: TestClient, writer: dict, names: list[str]) -> None:
    response = client.post("/api/promote", json={"version": "20200101_000000"}, headers=writer)
    assert response.status_code == 404


def test_rollback(
    client: TestClient, writer: dict, names: list[str], served: ModelRegistry
) -> None:
    assert client.post("/api/rollback", json={}, headers=writer).status_code == 404
    served.promote(names[0])
    served.promote(names[1])
    response = client.post("/api/rollback", json={"reason": "bad latency"}, headers=writer)
    assert response.json() == {"channel": "production", "version": names[0], "previous": names[1]}
    assert _pointer(served).endswith(names[0])
    response = client.post("/api/rollback", json={"version": names[2]}, headers=writer)
    assert response.json()["version"] == names[2]
    assert served.history()[-1].action == "rollback"


def test_cleanup_dry_run_then_real(
    client: TestClient, writer: dict, names: list[str], served: ModelRegistry
) -> None:
    served.promote(names[0])
    dry = client.post("/api/cleanup", json={"keep_versions": 1, "dry_run": True}, headers=writer)
    assert dry.json() == {"deleted": [names[1]], "dry_run": True}
    assert len(served.list_versions()) == 3
    real = client.post("/api/cleanup", json={"keep_versions": 1}, headers=writer)
    assert real.json()["deleted"] == [names[1]]
    assert {v.version for v in served.list_versions()} == {names[0], names[2]}
    bad = client.post("/api/cleanup", json={"keep_versions": 0}, headers=writer)
    assert bad.status_code == 422


def test_delete(client: TestClient, writer: dict, names: list[str], served: ModelRegistry) -> None:
    served.promote(names[0])
    held = client.delete(f"/api/versions/{names[0]}", headers=writer)
    assert held.status_code == 422 and "production" in held.json()["message"]
    done = client.delete(f"/api/versions/{names[1]}", params={"reason": "leak"}, headers=writer)
    assert done.json() == {"deleted": names[1]}
    assert served.get_version_info(names[1]) is None
    assert served.events()[-1].reason == "leak"
    assert client.delete(f"/api/versions/{names[1]}", headers=writer).status_code == 404


def test_verify_and_repair(
    client: TestClient, writer: dict, names: list[str], served: ModelRegistry
) -> None:
    assert client.post("/api/verify", json={}, headers=writer).json() == {
        "checked": 3,
        "problems": [],
        "repaired": [],
    }
    (Path(served.path) / names[0] / "model.pkl").write_bytes(b"tampered")
    report = client.post("/api/verify", json={"repair": True}, headers=writer).json()
    assert [p["kind"] for p in report["problems"]] == ["integrity"]
    assert report["repaired"] == []  # corrupt versions are reported, never deleted
    assert client.post("/api/verify", json={"repair": "yes"}, headers=writer).status_code == 422


def test_verify_needs_read_repair_needs_write(
    client: TestClient, reader: dict, names: list[str]
) -> None:
    assert client.post("/api/verify", json={}, headers=reader).json()["checked"] == 3
    repair = client.post("/api/verify", json={"repair": True}, headers=reader)
    assert repair.status_code == 403


def test_lock_timeout_is_423(tmp_path: Path, names: list[str], served: ModelRegistry) -> None:
    slow = ModelRegistry(served.path, lock_timeout=0.2)
    app = create_app(slow, tokens=TOKENS)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with served.backend.transaction():
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        holding.wait(5)
        with TestClient(app) as client:
            response = client.post(
                "/api/promote", json={"version": names[0]}, headers=auth(WRITE_TOKEN)
            )
    finally:
        release.set()
        thread.join()
    assert response.status_code == 423
    assert response.json()["error"] == "lock_timeout"
