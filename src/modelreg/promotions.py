"""The promotion workflow of `ModelRegistry`: the gate in front of every promote, approvals,
`promote_if_better`, and the audit log's answers (`history`, `events`, `production_at`).

Every promote is judged by the one gate (`gate.py`, metrics and thresholds from
`registry.gate` in config) and the verdict goes into its audit event. `promote_checked` refuses a
losing candidate unless forced (the CLI asks first, the UI warns); the original
`promote_to_production` promotes regardless, as it always did, and its event says it was
forced past a failing gate. A channel with `require_approval` turns a promote into a request
that another person approves or rejects (`approvals.py`). Over a server, the server's own
configuration applies as well: a client can ask for approval, never skip it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, cast

from .approvals import PromotionRequest, validate_request_id
from .config import RegistryConfig
from .errors import ApprovalRequiredError
from .events import Event, live_at, pointer_history
from .gate import GatePolicy, GateReport, PromotionDecision, run_gate
from .metadata import parse_timestamp
from .metrics import MetricDirections
from .operations import UNSET, Operations, PointerMove, Promotion
from .versions import PRODUCTION, validate_channel, validate_version

if TYPE_CHECKING:
    from .registry import ModelRegistry

__all__ = ["PromotionMethods"]

log = logging.getLogger("modelreg")


class PromotionMethods:
    """The gate and approvals of `ModelRegistry`."""

    _ops: Operations
    config: RegistryConfig
    directions: MetricDirections

    if TYPE_CHECKING:  # ModelRegistry's own

        def _source(self, version: str) -> str: ...

    @property
    def gate_policy(self) -> GatePolicy:
        """What the gate judges on: `registry.gate` in config, and the metric directions."""
        return GatePolicy.from_settings(self.config.gate, self.directions)

    def check_promotion(self, version: str, channel: str = PRODUCTION) -> GateReport:
        """The gate's verdict on promoting `version` to `channel` now, before promoting.

        Per gated metric: the candidate's and the holder's values, the gain (positive: the
        candidate is better) and whether it passes; warnings for metrics missing on a side.
        """
        return self._ops.judge_promotion(
            self._source(version), validate_channel(channel), self.gate_policy
        )

    def promote_checked(
        self,
        version: str,
        channel: str = PRODUCTION,
        *,
        reason: str | None = None,
        expected_current: str | None = UNSET,
        force: bool = False,
        request_approval: bool = False,
    ) -> Promotion:
        """Promote through the gate: judged, then moved, or filed as a request for approval.

        GateRefusedError when the candidate loses and `force` is not given (forcing is
        recorded in the audit event). On a channel that needs approval (or with
        `request_approval`), the answer holds the filed `request` and nothing moves yet.
        """
        channel = validate_channel(channel)
        return self._ops.promote_checked(
            self._source(version),
            channel,
            policy=self.gate_policy,
            reason=reason,
            expected_current=expected_current,
            force=force,
            approval=request_approval or self.config.requires_approval(channel),
        )

    def move_pointer(
        self,
        version: str,
        channel: str = PRODUCTION,
        *,
        expected_current: str | None = UNSET,
        reason: str | None = None,
    ) -> PointerMove:
        """`promote`, answering what moved: the channel, its new and its previous version.

        Raises VersionNotFoundError where `promote` answers False. On a channel that needs
        approval, the promote is filed as a request and ApprovalRequiredError names it.
        """
        done = self.promote_checked(
            version, channel, reason=reason, expected_current=expected_current, force=True
        )
        if done.move is None:
            request = done.request
            rid = request.id if request is not None else None
            raise ApprovalRequiredError(
                f"{channel} needs a second person's approval: the promote of {done.gate.candidate}"
                f" is filed as request {rid}; another person runs `modelreg approve {rid}`",
                channel=channel,
                request=rid,
            )
        return done.move

    def promotion_requests(self) -> list[PromotionRequest]:
        """The promotion requests nobody has approved or rejected yet, oldest first."""
        return self._ops.promotion_requests()

    def approve_request(self, request_id: str, *, reason: str) -> PromotionRequest:
        """Approve a request: the pointer moves if the channel holds what it held when filed.

        Never by the requester (ForbiddenError); PromotionConflict when the channel moved
        meanwhile or the request is decided already.
        """
        return self.decide_request(request_id, approve=True, reason=reason)

    def reject_request(self, request_id: str, *, reason: str) -> PromotionRequest:
        """Reject a request (never by the requester); nothing moves."""
        return self.decide_request(request_id, approve=False, reason=reason)

    def decide_request(self, request_id: str, *, approve: bool, reason: str) -> PromotionRequest:
        """`approve_request` or `reject_request`, as the CLI and the route pass the decision."""
        return self._ops.decide_request(
            validate_request_id(request_id), approve=approve, reason=reason
        )

    def history(self, channel: str = PRODUCTION) -> list[Event]:
        """Promotions and rollbacks of `channel`, oldest first, from the audit log."""
        return pointer_history(self._ops.read_events(), validate_channel(channel))

    def events(self) -> list[Event]:
        """The whole audit log, oldest first."""
        return self._ops.read_events()

    def production_at(self, timestamp: datetime | str, channel: str = PRODUCTION) -> str | None:
        """The version `channel` served at a past moment, according to the audit log."""
        moment = parse_timestamp(timestamp, what="timestamp")
        return live_at(self._ops.read_events(), validate_channel(channel), moment)

    def promote_if_better(
        self,
        version: str,
        *,
        metrics: Sequence[str] | None = None,
        min_improvement: float | Mapping[str, float] | None = None,
        reason: str | None = None,
        production_metrics: Mapping[str, float] | None = None,
    ) -> PromotionDecision:
        """Champion/challenger gate: promote `version` only if it beats production.

        It must be better by at least `min_improvement` (per metric, in the metric's own
        units and direction) on every metric in `metrics` (default: `registry.gate` in config,
        else all the challenger has; `min_improvement` likewise, else 0).
        Promotion is conditional on production not having moved since the comparison.
        `production_metrics`, when given, replaces production's registered metrics: its scores
        on the data the challenger was scored on, so both are judged on the same period.
        """
        configured = self.gate_policy
        policy = GatePolicy(
            tuple(metrics) if metrics is not None else configured.metrics,
            configured.min_improvement if min_improvement is None else min_improvement,
            self.directions,
        )
        return run_gate(
            cast("ModelRegistry", self),
            validate_version(version, allow_latest=False),
            policy=policy,
            reason=reason,
            production_metrics=production_metrics,
        )

    def _check_rollback(self, version: str, channel: str) -> None:
        """On a channel that needs approval, a rollback may only return to a past holder."""
        if not self.config.requires_approval(channel):
            return
        held = {e.version for e in pointer_history(self._ops.read_events(), channel)}
        if version not in held:
            raise ApprovalRequiredError(
                f"{channel} needs approval: a rollback may only return to a version it held "
                f"before, and {version} never did; promote it (a request) instead",
                channel=channel,
                version=version,
            )
