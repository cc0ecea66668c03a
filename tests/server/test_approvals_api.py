"""The gate and approvals over REST, and from the CLI of two people against a live server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from modelreg import ModelRegistry
from modelreg.serving.server import create_app

from .support import (
    APPROVER_TOKEN,
    READ_TOKEN,
    TOKENS,
    WRITE_TOKEN,
    auth,
    remote,
    rich_result,
    running_server,
)

GOOD = {"rmse": 0.010, "direction_accuracy": 0.56}
WORSE = {"rmse": 0.012, "direction_accuracy": 0.446}


def _approving(tmp_path: Path) -> ModelRegistry:
    config = tmp_path / "server.yaml"
    config.write_text("registry:\n  channels:\n    production: {require_approval: true}\n")
    return ModelRegistry(tmp_path / "models", config_path=config, lock_timeout=5)


@pytest.fixture
def approving(tmp_path: Path) -> Iterator[tuple[TestClient, ModelRegistry, list[str]]]:
    served = _approving(tmp_path)
    names = [served.register(rich_result(0, **GOOD)), served.register(rich_result(1, **WORSE))]
    with TestClient(create_app(served, tokens=TOKENS), raise_server_exceptions=False) as client:
        yield client, served, names


def test_the_gate_route_answers_before_promoting(
    client: TestClient, served: ModelRegistry, reader: dict[str, str]
) -> None:
    good, worse = served.register(rich_result(0, **GOOD)), served.register(rich_result(1, **WORSE))
    served.promote_to_production(good)
    answer = client.get("/api/gate", params={"version": worse}, headers=reader).json()
    assert (answer["candidate"], answer["holder"], answer["passed"]) == (worse, good, False)
    assert answer["requires_approval"] is False and "positive is better" in answer["sign"]
    rows = {row["metric"]: row for row in answer["metrics"]}
    assert rows["direction_accuracy"]["gain"] == pytest.approx(-0.114)
    assert rows["rmse"] == {
        "metric": "rmse",
        "candidate": 0.012,
        "holder": 0.01,
        "gain": pytest.approx(-0.002),
        "needed": 0.0,
        "higher_is_better": False,
        "passed": False,
    }
    missing = client.get("/api/gate", params={"version": "20200101_000000"}, headers=reader)
    assert missing.status_code == 404


def test_a_losing_promote_is_409_with_the_table_and_force_is_logged(
    client: TestClient, served: ModelRegistry, writer: dict[str, str]
) -> None:
    good, worse = served.register(rich_result(0, **GOOD)), served.register(rich_result(1, **WORSE))
    served.promote_to_production(good)
    refused = client.post("/api/promote", json={"version": worse}, headers=writer)
    assert refused.status_code == 409 and refused.json()["error"] == "gate_refused"
    assert refused.json()["context"]["gate"]["holder"] == good
    forced = client.post(
        "/api/promote", json={"version": worse, "force": True, "reason": "hotfix"}, headers=writer
    )
    assert forced.status_code == 200 and forced.json()["move"]["previous"] == good
    event = served.history()[-1]
    assert (event.user, event.details) == (
        "alice",
        {"gate": {"passed": False, "against": good, "forced": True}},
    )


def test_the_servers_config_makes_a_promote_a_request(
    approving: tuple[TestClient, ModelRegistry, list[str]],
) -> None:
    client, served, (good, _) = approving
    filed = client.post(
        "/api/promote", json={"version": good, "reason": "first"}, headers=auth(WRITE_TOKEN)
    )
    assert filed.status_code == 202 and filed.json()["move"] is None
    request = filed.json()["request"]
    assert (request["requested_by"], request["status"]) == ("alice", "pending")
    assert served.current_version() is None
    listed = client.get("/api/requests", headers=auth(READ_TOKEN)).json()
    assert [(r["id"], r["stale"]) for r in listed] == [(request["id"], False)]
    approved = client.post(
        f"/api/requests/{request['id']}/approve",
        json={"reason": "backtest checked"},
        headers=auth(APPROVER_TOKEN),
    )
    assert approved.status_code == 200
    assert (approved.json()["status"], approved.json()["decided_by"]) == ("approved", "bob")
    assert served.current_version() == good
    assert client.get("/api/requests", headers=auth(READ_TOKEN)).json() == []


def test_a_client_without_the_setting_still_gets_a_request(tmp_path: Path) -> None:
    """Approval is the server's rule: a client cannot skip it by not configuring it."""
    served = _approving(tmp_path)
    with running_server(served) as url:
        alice = remote(url)
        version = alice.register(rich_result(0, **GOOD))
        assert alice.promote_to_production(version) is False
        assert alice.current_version() is None
        [pending] = alice.promotion_requests()
        assert pending.version == version and pending.requested_by == "alice"
        bob = remote(url, token=APPROVER_TOKEN)
        assert bob.approve_request(pending.id, reason="ok").status == "approved"
        assert alice.current_version() == version


def _cli(url: str, token: str, *args: str, cwd: Path) -> tuple[int, str, str]:
    from cli.cli_support import console

    done = console("--registry", url, *args, cwd=cwd, env={"MODELREG_TOKEN": token})
    return done.returncode, done.stdout, done.stderr


def test_two_people_approve_from_the_cli_against_a_live_server(tmp_path: Path) -> None:
    served = _approving(tmp_path)
    good, better = served.register(rich_result(0, **WORSE)), served.register(rich_result(1, **GOOD))
    with running_server(served) as url:
        code, out, _ = _cli(url, WRITE_TOKEN, "promote", good, "--reason", "first", cwd=tmp_path)
        assert code == 0 and "filed request" in out
        rid = out.split("filed request ")[1].split()[0]
        code, out, _ = _cli(url, APPROVER_TOKEN, "requests", "--json", cwd=tmp_path)
        assert [(r["id"], r["requested_by"]) for r in json.loads(out)] == [(rid, "alice")]
        code, _, err = _cli(url, WRITE_TOKEN, "approve", rid, "--reason", "me", cwd=tmp_path)
        assert code != 0 and "another person" in err
        code, _, err = _cli(url, READ_TOKEN, "approve", rid, "--reason", "me", cwd=tmp_path)
        assert code != 0 and "write token" in err
        code, out, _ = _cli(url, APPROVER_TOKEN, "approve", rid, "--reason", "ok", cwd=tmp_path)
        assert code == 0 and f"production is now {good}" in out
        assert served.current_version() == good
        code, out, _ = _cli(url, WRITE_TOKEN, "promote", better, "-q", cwd=tmp_path)
        second = out.strip()
        code, out, _ = _cli(
            url, APPROVER_TOKEN, "reject", second, "--reason", "Monday", cwd=tmp_path
        )
        assert code == 0 and "rejected" in out
    actions = [(e.action, e.user) for e in served.events() if e.action != "register"]
    assert actions == [
        ("request", "alice"),
        ("promote", "bob"),
        ("approve", "bob"),
        ("request", "alice"),
        ("reject", "bob"),
    ]
