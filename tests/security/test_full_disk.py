"""Finding 8: on a full disk, delete and cleanup removed versions and then said they had not.

Under a file-size limit the audit append failed after the versions were gone; the server
answered "the registry was left unchanged", and the log never recorded the deletions. Now an
operation that changed the registry and then could not log says exactly what it changed, and
`verify` finds the unlogged deletions, which `verify --repair` records once the log can grow.
The server runs under RLIMIT_FSIZE, so its audit log cannot grow.
"""

from __future__ import annotations

import resource
from pathlib import Path

import httpx

from modelreg import ModelRegistry
from server.support import fill

from .support import READ_TOKEN, WRITE_TOKEN, auth, serve


def test_deletions_that_cannot_be_logged_are_told_and_then_recovered(tmp_path: Path) -> None:
    root = tmp_path / "models"
    names = fill(ModelRegistry(root), 5)
    ModelRegistry(root).promote(names[4])
    limit = (root / "events.jsonl").stat().st_size  # the log is full: not one more byte

    def full_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    with serve(root, tmp_path, preexec=full_disk) as server:
        deleted = httpx.delete(f"{server.url}/api/versions/{names[0]}", headers=auth(WRITE_TOKEN))
        assert deleted.status_code >= 500, deleted.text
        body = deleted.json()
        assert body["error"] == "unlogged_change"
        assert f"deleted version {names[0]}" in body["message"]
        assert "unchanged" not in body["message"]
        assert body["context"]["changed"] == [f"deleted version {names[0]}"]
        assert not (root / names[0]).exists()

        cleaned = httpx.post(
            f"{server.url}/api/cleanup", json={"keep_versions": 2}, headers=auth(WRITE_TOKEN)
        )
        assert cleaned.status_code >= 500, cleaned.text
        assert cleaned.json()["error"] == "unlogged_change"
        assert cleaned.json()["context"]["changed"] == [f"deleted version {names[2]}"]
        assert "unchanged" not in cleaned.json()["message"]

        report = httpx.post(f"{server.url}/api/verify", json={}, headers=auth(READ_TOKEN)).json()
        gaps = {(p["kind"], p["where"]) for p in report["problems"]}
        assert {("unlogged-delete", names[0]), ("unlogged-delete", names[2])} <= gaps

    with serve(root, tmp_path) as server:  # space again
        repaired = httpx.post(
            f"{server.url}/api/verify", json={"repair": True}, headers=auth(WRITE_TOKEN)
        ).json()
        assert ("unlogged-delete", names[0]) in {
            (p["kind"], p["where"]) for p in repaired["repaired"]
        }
        assert (
            httpx.post(f"{server.url}/api/verify", json={}, headers=auth(READ_TOKEN)).json()[
                "problems"
            ]
            == []
        )
    recovered = [e for e in ModelRegistry(root).events() if e.action == "recover"]
    assert {e.version for e in recovered} == {names[0], names[2]}
    assert all((e.details or {}).get("recovers") == "delete" for e in recovered)
