"""The gate and approvals over a backend: `StoreOperations`' half of the promotion workflow.

Each write runs inside one backend transaction (the registry's lock), so the gate judges the
holder the move replaces, and an approval moves the pointer only if the channel still holds
what it held when the request was filed. Requests live in the audit log (`approvals.py`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..approvals import (
    PromotionRequest,
    fold_requests,
    new_request_id,
    pending_requests,
    validate_reason,
    validate_request_id,
)
from ..backends.base import Backend, Holder
from ..errors import (
    ForbiddenError,
    GateRefusedError,
    PromotionConflict,
    RequestNotFoundError,
    VersionNotFoundError,
)
from ..events import APPROVE, REJECT, REQUEST, Event
from ..gate import GatePolicy, GateReport, assess
from ..metadata import current_user, iso_utc, utc_now
from .base import UNSET, PointerMove, Promotion

__all__ = ["StorePromotions", "check_expected"]

log = logging.getLogger("modelreg")


def check_expected(channel: str, current: str | None, expected: str | None) -> None:
    """PromotionConflict unless the channel holds `expected` (UNSET: no expectation)."""
    if expected is not UNSET and current != expected:
        raise PromotionConflict(
            f"{channel} is {current or 'empty'}, not {expected or 'empty'} as "
            f"expected: someone changed it meanwhile; compare again before promoting",
            channel=channel,
            current=current,
            expected=expected,
        )


class StorePromotions:
    """The gate and approvals of `StoreOperations` (which provides these attributes)."""

    backend: Backend
    location: str

    if TYPE_CHECKING:

        def move_pointer(
            self,
            name: str,
            channel: str,
            *,
            action: str = "promote",
            reason: str | None = None,
            expected_current: str | None = UNSET,
            details: Mapping[str, Any] | None = None,
            read: Holder | None = None,
        ) -> PointerMove: ...

    def judge_promotion(self, name: str, channel: str, policy: GatePolicy) -> GateReport:
        return self._judge(name, channel, policy, self.backend.metadata_and_holder(name, channel))

    def _judge(self, name: str, channel: str, policy: GatePolicy, read: Holder) -> GateReport:
        """The gate's verdict on `read` (`metadata_and_holder`'s answer); it changes none of it."""
        meta, holder, held = read
        if meta is None:
            raise VersionNotFoundError(
                f"cannot judge {name} for {channel}: it does not exist in {self.location}",
                version=name,
            )
        held = held if holder != name else None
        return assess(
            name,
            meta.get("metrics") or {},
            channel,
            holder,
            (held or {}).get("metrics") or {},
            policy,
        )

    def promote_checked(
        self,
        name: str,
        channel: str,
        *,
        policy: GatePolicy,
        reason: str | None = None,
        expected_current: str | None = UNSET,
        force: bool = False,
        approval: bool = False,
    ) -> Promotion:
        reason = validate_reason(reason, required=False)
        with self.backend.transaction_for_move(name, channel) as read:
            report = self._judge(name, channel, policy, read)
            check_expected(channel, report.holder, expected_current)
            if not report.passed and not force:
                raise GateRefusedError(
                    f"{name} does not beat {channel} {report.holder}: "
                    f"{'; '.join(report.reasons)}. To promote it anyway: --force (force=True, "
                    '"force": true over REST); the audit log records it',
                    version=name,
                    channel=channel,
                    gate=report.to_dict(),
                )
            if approval and report.holder != name:
                return Promotion(report, request=self._file(report, reason, force))
            # judged and moved under one lock; forced and unconditional, as the original
            # promote is, it does not fail where the lock does nothing and another moved it
            judged = UNSET if force and expected_current is UNSET else report.holder
            move = self.move_pointer(
                name,
                channel,
                reason=reason,
                expected_current=judged,
                details={"gate": report.summary(forced=force)},
                read=read,
            )
        return Promotion(report, move=move)

    def _file(self, report: GateReport, reason: str | None, forced: bool) -> PromotionRequest:
        """Append the `request` event; nothing else changes until someone decides it."""
        rid = new_request_id()
        event = Event(
            iso_utc(utc_now()),
            REQUEST,
            version=report.candidate,
            channel=report.channel,
            previous=report.holder,
            user=current_user(),
            reason=reason,
            details={"request": rid, "gate": report.summary(forced=forced)},
        )
        self.backend.append_event(event)
        log.info("request %s: %s to %s, awaiting approval", rid, event.version, event.channel)
        return fold_requests([event])[rid]

    def promotion_requests(self) -> list[PromotionRequest]:
        return pending_requests(self.backend.read_events())

    def decide_request(self, request_id: str, *, approve: bool, reason: str) -> PromotionRequest:
        rid = validate_request_id(request_id)
        why = validate_reason(reason, required=True)
        backend = self.backend
        with backend.transaction():
            request = fold_requests(backend.read_events()).get(rid)
            if request is None:
                raise RequestNotFoundError(
                    f"no promotion request {rid} in {self.location}", request=rid
                )
            if request.status != "pending":
                raise PromotionConflict(
                    f"request {rid} was {request.status} by {request.decided_by} already",
                    request=rid,
                )
            user = current_user()
            if user == request.requested_by:
                raise ForbiddenError(
                    f"{user} filed request {rid}: another person must approve or reject it",
                    request=rid,
                )
            if approve:  # the move's own event names the request: approved, even if the
                self._approve(request, why)  # approve event after it were lost
            event = Event(
                iso_utc(utc_now()),
                APPROVE if approve else REJECT,
                version=request.version,
                channel=request.channel,
                previous=request.expected_current,
                user=user,
                reason=why,
                details={"request": rid},
            )
            backend.append_event(event)
        return fold_requests([_as_request(request), event])[rid]

    def _approve(self, request: PromotionRequest, reason: str | None) -> None:
        current = self.backend.get_pointer(request.channel)
        if current != request.expected_current:
            raise PromotionConflict(
                f"{request.channel} moved from {request.expected_current or 'empty'} to "
                f"{current or 'empty'} since request {request.id} was filed; reject it and "
                "file a new one against what the channel holds now",
                channel=request.channel,
                current=current,
                expected=request.expected_current,
                request=request.id,
            )
        self.move_pointer(
            request.version,
            request.channel,
            reason=reason,
            expected_current=request.expected_current,
            details={"request": request.id, "requested_by": request.requested_by},
        )


def _as_request(request: PromotionRequest) -> Event:
    """The request as its event again, to fold one decision onto it."""
    details: dict[str, Any] = {"request": request.id}
    if request.gate is not None:
        details["gate"] = request.gate
    return Event(
        request.requested_at,
        REQUEST,
        version=request.version,
        channel=request.channel,
        previous=request.expected_current,
        user=request.requested_by,
        reason=request.reason,
        details=details,
    )
