"""Hostile token holders against approvals and the gate, on a folder, SQLite and PostgreSQL.

Production needs a second person's approval. Each attack is one a write or read token holder
could try: approve their own request, approve with a read token, approve a request the channel
has moved past, forge a request id (or an identity in the body), send a reason of any size,
or move production around the request (a rollback to a version it never held, a plain promote).
Each is refused with its status, and production stays where it was.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import httpx
import pytest

from modelreg import ModelRegistry
from server.support import APPROVER_TOKEN, READ_TOKEN, WRITE_TOKEN, auth, rich_result

GOOD = {"rmse": 0.010, "direction_accuracy": 0.56}
BETTER = {"rmse": 0.009, "direction_accuracy": 0.60}


@pytest.fixture
def setup(served: ModelRegistry, url: str) -> Iterator[tuple[str, ModelRegistry, str, str, str]]:
    """Production on `first` (approved), `second` requested by alice and pending."""
    served.config = dataclasses.replace(
        served.config, channels={"production": {"require_approval": True}}
    )
    first, second = (
        served.register(rich_result(0, **GOOD)),
        served.register(rich_result(1, **BETTER)),
    )
    rid = _promote(url, first, WRITE_TOKEN).json()["request"]["id"]
    assert _decide(url, rid, "approve", APPROVER_TOKEN).status_code == 200
    pending = _promote(url, second, WRITE_TOKEN).json()["request"]["id"]
    yield url, served, first, second, pending


def _promote(url: str, version: str, token: str, **body: object) -> httpx.Response:
    return httpx.post(f"{url}/api/promote", json={"version": version, **body}, headers=auth(token))


def _decide(
    url: str, rid: str, verb: str, token: str, reason: object = "checked"
) -> httpx.Response:
    return httpx.post(
        f"{url}/api/requests/{rid}/{verb}", json={"reason": reason}, headers=auth(token)
    )


def test_the_requester_cannot_approve_their_own_request(setup: tuple) -> None:
    url, served, first, _, pending = setup
    for verb in ("approve", "reject"):
        answer = _decide(url, pending, verb, WRITE_TOKEN)
        assert answer.status_code == 403 and "another person" in answer.json()["message"]
    assert served.current_version() == first
    assert [r.id for r in served.promotion_requests()] == [pending]


def test_a_read_token_cannot_decide(setup: tuple) -> None:
    url, served, first, _, pending = setup
    for verb in ("approve", "reject"):
        assert _decide(url, pending, verb, READ_TOKEN).status_code == 403
    assert _decide(url, pending, "approve", "not-a-token-at-all").status_code == 401
    assert served.current_version() == first


def test_a_stale_request_cannot_be_approved(setup: tuple) -> None:
    url, served, _first, _second, pending = setup
    third = served.register(rich_result(2, rmse=0.001, direction_accuracy=0.9))
    other = _promote(url, third, WRITE_TOKEN).json()["request"]["id"]
    assert _decide(url, other, "approve", APPROVER_TOKEN).status_code == 200
    listed = httpx.get(f"{url}/api/requests", headers=auth(READ_TOKEN)).json()
    assert [(r["id"], r["stale"]) for r in listed] == [(pending, True)]
    stale = _decide(url, pending, "approve", APPROVER_TOKEN)
    assert stale.status_code == 409 and "since request" in stale.json()["message"]
    assert served.current_version() == third
    again = _decide(url, other, "approve", APPROVER_TOKEN)
    assert again.status_code == 409 and "approved" in again.json()["message"]


@pytest.mark.parametrize(
    "forged",
    ["..%2F..%2Fetc%2Fpasswd", "0123456789ABCDEF", "1" * 17, "1" * 4000, "%00" * 8, "é" * 16],
)
def test_forged_request_ids_are_refused(setup: tuple, forged: str) -> None:
    url, served, first, _, _ = setup
    answer = _decide(url, forged, "approve", APPROVER_TOKEN)
    assert answer.status_code in (404, 422)
    assert served.current_version() == first


def test_an_unknown_well_formed_id_is_404(setup: tuple) -> None:
    url, _served, _first, _, _ = setup
    answer = _decide(url, "0123456789abcdef", "approve", APPROVER_TOKEN)
    assert answer.status_code == 404 and answer.json()["error"] == "request_not_found"


@pytest.mark.parametrize("reason", ["x" * 2001, "", None, 42, ["why"], {"a": 1}])
def test_reasons_too_long_or_not_text_are_refused(setup: tuple, reason: object) -> None:
    url, served, first, _, pending = setup
    assert _decide(url, pending, "approve", APPROVER_TOKEN, reason).status_code == 422
    too_long = _promote(url, first, WRITE_TOKEN, reason="x" * 2001)
    assert too_long.status_code == 422
    assert served.current_version() == first and len(served.promotion_requests()) == 1


def test_nobody_claims_another_identity_or_skips_the_request(setup: tuple) -> None:
    url, served, first, second, pending = setup
    spoofed = httpx.post(
        f"{url}/api/requests/{pending}/approve",
        json={"reason": "as bob", "user": "bob", "decided_by": "bob"},
        headers=auth(WRITE_TOKEN),
    )
    assert spoofed.status_code == 422  # unknown fields: the identity is the token's
    direct = _promote(url, second, WRITE_TOKEN, force=True, request_approval=False)
    assert direct.status_code == 202 and direct.json()["move"] is None  # still only a request
    never_held = httpx.post(
        f"{url}/api/rollback", json={"version": second}, headers=auth(WRITE_TOKEN)
    )
    assert never_held.status_code == 409 and never_held.json()["error"] == "approval_required"
    assert served.current_version() == first
