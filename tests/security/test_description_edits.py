"""Attacks on the edit routes (descriptions and tags of a version or the model).

A read token (or none) may not edit; a write token may send only text, and only text the
description rule accepts: bounded, without control or bidi-override characters. Hostile
Markdown is stored as written and answered as JSON, never as a page (the web UI escapes it:
tests/browser). Every refusal leaves the record and the audit log as they were.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from modelreg import ModelRegistry
from modelreg.serving.api.body_guard import MAX_REQUEST_BODY
from modelreg.serving.server import create_app
from server.support import READ_TOKEN, TOKENS, WRITE_TOKEN, auth, rich_result

HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)">[x](javascript:alert(3))'


@pytest.fixture
def served(tmp_path: Path) -> ModelRegistry:
    registry = ModelRegistry(tmp_path / "models", lock_timeout=5)
    registry.register(rich_result(0))
    return registry


@pytest.fixture
def client(served: ModelRegistry) -> Iterator[TestClient]:
    with TestClient(create_app(served, tokens=TOKENS), raise_server_exceptions=False) as c:
        yield c


def _edits(version: str) -> list[tuple[str, dict]]:
    return [
        (f"/api/versions/{version}/description", {"description": "mine now"}),
        (f"/api/versions/{version}/tags", {"set": {"owner": "mallory"}}),
        ("/api/model/description", {"description": "mine now"}),
        ("/api/model/tags", {"set": {"owner": "mallory"}}),
    ]


def _state(served: ModelRegistry, version: str) -> tuple:
    return (served.stored_metadata(version), served.model_info(), len(served.events()))


def test_a_read_token_or_none_cannot_edit(client: TestClient, served: ModelRegistry) -> None:
    version = served.list_versions()[0].version
    before = _state(served, version)
    for path, body in _edits(version):
        assert client.post(path, json=body, headers=auth(READ_TOKEN)).status_code == 403, path
        assert client.post(path, json=body).status_code == 401, path
        forged = {"Authorization": "Bearer " + WRITE_TOKEN[:-1] + "X"}
        assert client.post(path, json=body, headers=forged).status_code == 401, path
    assert _state(served, version) == before


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("x" * 20_001, "text_too_long"),
        ("x" * 100_000, "invalid_input"),  # past the field's own bound: refused unread
        ("ok\x00then", "invalid_input"),
        ("\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\", "invalid_input"),  # terminal link
        ("pay \u202eelif.exe", "invalid_input"),
        ("\x85next line", "invalid_input"),
    ],
)
def test_oversized_or_control_text_is_refused_and_nothing_changes(
    client: TestClient, served: ModelRegistry, text: str, error: str
) -> None:
    version = served.list_versions()[0].version
    before = _state(served, version)
    writer = auth(WRITE_TOKEN)
    for path in (f"/api/versions/{version}/description", "/api/model/description"):
        answer = client.post(path, json={"description": text}, headers=writer)
        assert answer.status_code == 422 and answer.json()["error"] == error, path
        assert text not in answer.text  # the refusal does not echo the payload back
    assert _state(served, version) == before


def test_a_huge_body_is_refused_before_it_is_read(
    client: TestClient, served: ModelRegistry
) -> None:
    version = served.list_versions()[0].version
    body = b'{"description": "' + b"x" * (MAX_REQUEST_BODY + 1) + b'"}'
    answer = client.post(
        f"/api/versions/{version}/description",
        content=body,
        headers={**auth(WRITE_TOKEN), "Content-Type": "application/json"},
    )
    assert answer.status_code == 413
    assert "description" not in (served.stored_metadata(version) or {})


def test_only_the_text_and_a_reason_are_accepted(client: TestClient, served: ModelRegistry) -> None:
    version = served.list_versions()[0].version
    before = _state(served, version)
    writer = auth(WRITE_TOKEN)
    path = f"/api/versions/{version}/description"
    for body in (
        {"description": "x", "metrics": {"rmse": 0}},
        {"description": "x", "user": "root"},
        {"description": ["x"]},
        {"description": {"$gt": ""}},
        {"description": "x", "reason": "r" * 2001},
    ):
        assert client.post(path, json=body, headers=writer).status_code == 422, body
    for hostile in ("..%2F..%2Fetc", "20200101_000000%2F..", "@..", "latest%00"):
        answer = client.post(
            f"/api/versions/{hostile}/description", json={"description": "x"}, headers=writer
        )
        assert answer.status_code in (404, 422), hostile
    assert _state(served, version) == before


def test_hostile_markdown_is_stored_as_written_and_answered_as_json(
    client: TestClient, served: ModelRegistry
) -> None:
    version = served.list_versions()[0].version
    writer, reader = auth(WRITE_TOKEN), auth(READ_TOKEN)
    path = f"/api/versions/{version}/description"
    assert client.post(path, json={"description": HOSTILE}, headers=writer).status_code == 200
    answer = client.get(f"/api/versions/{version}", headers=reader)
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.json()["description"] == HOSTILE
    (event,) = [e for e in served.events() if e.action == "describe"]
    assert (event.user, event.details) == ("alice", {"description": HOSTILE, "previous": None})
