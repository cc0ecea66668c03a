"""A write token must not rewrite the record: forged history, or versions added with no trace.

`migrate` to a server sends the source's audit log (`POST /api/history`) and imports versions
without an import event (`POST /api/import?record=false`), because the history it sends says
who did what. With a write token those routes would let anyone write "bob promoted X" or add a
version nobody is recorded as adding, so both take an `admin` token; a write token gets 403 and
nothing changes.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from modelreg import ModelRegistry
from modelreg.errors import ForbiddenError
from modelreg.migration import migrate
from server.support import ADMIN_TOKEN, WRITE_TOKEN, auth, rich_result, running_server

FORGED = {
    "timestamp": "2026-01-01T00:00:00+00:00",
    "action": "promote",
    "channel": "production",
    "version": "v_forged",
    "user": "bob",
    "reason": "bob never did this",
}


def _served(tmp_path: Path) -> tuple[ModelRegistry, str]:
    served = ModelRegistry(tmp_path / "served")
    name = served.register(rich_result(0))
    return served, name


def _history_request(version: str) -> dict[str, object]:
    return {"events": [dict(FORGED, version=version)], "pointers": {"production": version}}


def test_a_write_token_cannot_merge_history(tmp_path: Path) -> None:
    served, name = _served(tmp_path)
    before = [e.to_dict() for e in served.events()]
    with running_server(served) as url:
        answer = httpx.post(
            f"{url}/api/history", json=_history_request(name), headers=auth(WRITE_TOKEN)
        )
    assert answer.status_code == 403
    assert answer.json()["error"] == "forbidden"
    assert "admin" in answer.json()["message"]
    assert [e.to_dict() for e in served.events()] == before
    assert served.current_version("production") is None


def test_a_write_token_cannot_import_without_a_record(tmp_path: Path) -> None:
    served = ModelRegistry(tmp_path / "served")
    other = ModelRegistry(tmp_path / "other")
    version = other.register(rich_result(1))
    archive = other.export_version(version, tmp_path / "v.tar.gz")
    with running_server(served) as url, open(archive, "rb") as handle:
        answer = httpx.post(
            f"{url}/api/import",
            params={"record": "false"},
            files={"archive": ("v.tar.gz", handle)},
            headers=auth(WRITE_TOKEN),
        )
    assert answer.status_code == 403
    assert served.list_versions() == []


def test_an_admin_token_merges_and_the_write_token_migration_fails_whole(tmp_path: Path) -> None:
    served = ModelRegistry(tmp_path / "served")
    ModelRegistry(tmp_path / "source").register(rich_result(2))
    with running_server(served) as url:
        with pytest.raises(ForbiddenError):
            migrate(tmp_path / "source", url, dest_options={"token": WRITE_TOKEN})
        assert served.list_versions() == []  # nothing half-copied

        name = served.register(rich_result(0))

        answer = httpx.post(
            f"{url}/api/history", json=_history_request(name), headers=auth(ADMIN_TOKEN)
        )
        assert answer.status_code == 200, answer.text
    assert served.current_version("production") == name
    assert served.events()[-1].user == "bob"  # the source's "who", sent by an admin
