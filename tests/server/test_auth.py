"""Tokens: 401 without one, 403 with the wrong scope, anonymous reads only when allowed."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from modelreg import ModelRegistry
from modelreg.errors import InvalidInputError
from modelreg.serving.auth import ENV_TOKENS, TokenSet, load_tokens
from modelreg.serving.server import create_app

from .support import READ_TOKEN, TOKENS, WRITE_TOKEN, auth


@pytest.mark.parametrize("header", [None, "Bearer nope-nope-nope", "Basic abc", "Bearer "])
def test_reads_need_a_known_token(client: TestClient, header: str | None) -> None:
    headers = {"Authorization": header} if header is not None else {}
    response = client.get("/api/versions", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


def test_read_token_cannot_write(client: TestClient, names: list[str]) -> None:
    response = client.post("/api/promote", json={"version": names[0]}, headers=auth(READ_TOKEN))
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"


def test_write_token_reads_and_writes(client: TestClient, names: list[str]) -> None:
    assert client.get("/api/whoami", headers=auth(WRITE_TOKEN)).json() == {
        "name": "alice",
        "scope": "write",
    }
    response = client.post("/api/promote", json={"version": names[0]}, headers=auth(WRITE_TOKEN))
    assert response.status_code == 200


def test_anonymous_read_opens_reads_only(served: ModelRegistry, names: list[str]) -> None:
    app = create_app(served, tokens=TOKENS, anonymous_read=True)
    with TestClient(app) as client:
        assert client.get("/api/whoami").json() == {"name": "anonymous", "scope": "read"}
        assert len(client.get("/api/versions").json()) == 3
        assert client.post("/api/promote", json={"version": names[0]}).status_code == 403


def test_health_needs_no_token(client: TestClient) -> None:
    assert client.get("/api/health").json()["status"] == "ok"


def test_token_file_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "tokens"
    path.write_text("# team tokens\nabcdefgh12:read:bob\nzyxwvuts98:write  # ci\n")
    tokens = load_tokens(path)
    assert tokens.authenticate("Bearer abcdefgh12").name == "bob"
    assert tokens.authenticate("Bearer zyxwvuts98").scope == "write"
    monkeypatch.setenv(ENV_TOKENS, "abcdefgh12:read,zyxwvuts98:write:ci")
    assert load_tokens().authenticate("Bearer zyxwvuts98").name == "ci"


@pytest.mark.parametrize("text", ["short:read", "longenough:root", ":write", "nocolon1234"])
def test_bad_token_entries_are_refused(text: str) -> None:
    with pytest.raises(InvalidInputError):
        TokenSet.parse(text)


def test_secrets_stay_out_of_reprs(tmp_path: Path) -> None:
    tokens = TokenSet.parse(f"{WRITE_TOKEN}:write")
    assert WRITE_TOKEN not in repr(tokens)
    assert WRITE_TOKEN not in repr(tokens._tokens)


def test_server_logs_carry_no_token(
    served: ModelRegistry, names: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("DEBUG"), TestClient(create_app(served, tokens=TOKENS)) as client:
        client.get("/api/versions", headers=auth(READ_TOKEN))
        client.post("/api/promote", json={"version": "bad"}, headers=auth(WRITE_TOKEN))
    assert caplog.records  # something was logged ...
    assert not any(
        READ_TOKEN in r.getMessage() or WRITE_TOKEN in r.getMessage() for r in caplog.records
    )  # ... and no secret


def test_missing_tokens_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="cannot read tokens file"):
        load_tokens(tmp_path / "absent")


def test_no_tokens_at_all_refuses_everyone(tmp_path: Path) -> None:
    app = create_app(ModelRegistry(tmp_path / "models"))
    with TestClient(app) as client:
        assert client.get("/api/versions").status_code == 401
