"""The promotion workflow over REST: the gate's verdict, gated promotes, approval requests.

Each route is the server half of one `RemoteOperations` method and runs the server's own
`ModelRegistry`, so the server's configuration (`registry.gate`, `registry.channels`) decides:
a client may ask for approval, never skip it. Who asks is the token's name, never anything
the body says, so nobody approves their own request under another name.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from ...registry import PRODUCTION
from ..requests import DecisionRequest, PromoteRequest
from .dependencies import ERRORS, Reader, Registry, Writer, acting

__all__ = ["router"]

router = APIRouter()


@router.get("/api/gate", tags=["read"], responses=ERRORS)
def gate(
    version: Annotated[str, Query(max_length=64)],
    who: Reader,
    registry: Registry,
    channel: Annotated[str, Query(max_length=64)] = PRODUCTION,
) -> dict[str, Any]:
    """The gate's verdict on promoting `version` to `channel` now, before promoting.

    Per gated metric: the candidate's and the holder's value, `gain` (how much the candidate
    beats the holder in the metric's direction: positive is better), `needed` and `passed`;
    `warnings` name metrics missing on one side; `requires_approval` says whether a promote
    there would be a request.
    """
    report = registry.check_promotion(version, channel)
    return {**report.to_dict(), "requires_approval": registry.config.requires_approval(channel)}


@router.post("/api/promote", tags=["write"], responses=ERRORS)
def promote(request: PromoteRequest, who: Writer, registry: Registry) -> JSONResponse:
    """Judge, then point a channel at a version, or file a request where approval is needed.

    200 `{gate, move, request: null}` when it moved; 202 `{gate, move: null, request}` when
    it waits for approval; 409 `gate_refused` (the table in `context.gate`) when the
    candidate loses and `force` is not set. With `expected_current`, only if nobody moved it.
    """
    options = (
        {"expected_current": request.expected_current}
        if "expected_current" in request.model_fields_set
        else {}
    )
    with acting(who):
        done = registry.promote_checked(
            request.version,
            request.channel,
            reason=request.reason,
            force=request.force,
            request_approval=request.request_approval,
            **options,
        )
    body = done.to_dict()
    if done.move is not None:  # the answer's old form, for clients before the gate
        body.update(channel=done.move.channel, version=done.move.version)
        body["previous"] = done.move.previous
    return JSONResponse(body, status_code=200 if done.move is not None else 202)


@router.get("/api/requests", tags=["read"], responses=ERRORS)
def requests(who: Reader, registry: Registry) -> list[dict[str, Any]]:
    """Pending promotion requests, oldest first; `stale` when the channel moved since."""
    pointers = registry.channels()
    return [r.listed(pointers) for r in registry.promotion_requests()]


@router.post("/api/requests/{request_id}/{decision}", tags=["write"], responses=ERRORS)
def decide(
    request_id: str,
    decision: Literal["approve", "reject"],
    body: DecisionRequest,
    who: Writer,
    registry: Registry,
) -> dict[str, Any]:
    """Approve a request (not your own: the pointer moves if the channel has not moved since)
    or reject it (nothing moves)."""
    with acting(who):
        approve = decision == "approve"
        return registry.decide_request(request_id, approve=approve, reason=body.reason).to_dict()
