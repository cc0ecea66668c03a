"""Promotion requests: folded from the audit log, so no table or file of their own.

A promote to a channel that needs approval (`registry.channels.<name>.require_approval`) is a
`request` event; another person's `approve` or `reject` event decides it. The approval's move
is a `promote` event naming the request (`details.request`), so a request counts as approved
even if the `approve` event after it was lost. Like the other folds in `events.py`, these are
pure functions of the events, tested without storage.

Stored events are input: a request id that is not ours in form, or a decision for a request
that was never filed, is ignored, never trusted.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from .errors import InvalidInputError
from .events import APPROVE, REJECT, REQUEST, Event

__all__ = [
    "MAX_REASON",
    "PromotionRequest",
    "fold_requests",
    "new_request_id",
    "pending_requests",
    "validate_reason",
    "validate_request_id",
]

#: the longest reason the audit log keeps (the REST routes say the same)
MAX_REASON = 2000
_REQUEST_ID = re.compile(r"^[0-9a-f]{16}$")


@dataclass(frozen=True)
class PromotionRequest:
    """A promote waiting for (or decided by) a second person.

    `expected_current` is what the channel held when it was filed: approving moves the
    pointer only if it still does. `status` is `pending`, `approved` or `rejected`.
    """

    id: str
    version: str
    channel: str
    expected_current: str | None
    requested_by: str | None
    requested_at: str
    reason: str | None = None
    gate: dict[str, Any] | None = None
    status: str = "pending"
    decided_by: str | None = None
    decided_at: str | None = None
    decision_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def stale(self, pointers: Mapping[str, str | None]) -> bool:
        """Whether the channel moved since the request was filed (approving it would conflict)."""
        return pointers.get(self.channel) != self.expected_current

    def listed(self, pointers: Mapping[str, str | None]) -> dict[str, Any]:
        """The request as `GET /api/requests` and `modelreg requests --json` list it."""
        return {**self.to_dict(), "stale": self.stale(pointers)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PromotionRequest:
        known: dict[str, Any] = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


def new_request_id() -> str:
    """A fresh id: random, so one says nothing about how many others there are."""
    return secrets.token_hex(8)


def validate_request_id(value: object) -> str:
    """The id as given, or InvalidInputError: 16 lowercase hex digits, nothing else."""
    if not isinstance(value, str) or not _REQUEST_ID.match(value):
        shown = repr(value)[:40]
        raise InvalidInputError(f"a request id is 16 hex digits, got {shown}", request=None)
    return value


def validate_reason(reason: object, *, required: bool) -> str | None:
    """A reason for the audit log: text up to MAX_REASON characters; required for decisions."""
    if reason is None or (isinstance(reason, str) and not reason.strip()):
        if required:
            raise InvalidInputError("a reason is required: say why, for the audit log")
        return None
    if not isinstance(reason, str):
        raise InvalidInputError(f"a reason must be text, got {type(reason).__name__}")
    if len(reason) > MAX_REASON or "\x00" in reason:
        raise InvalidInputError(
            f"a reason may have at most {MAX_REASON} characters and no NUL ({len(reason)} given)"
        )
    return reason.strip()


def _request_of(event: Event) -> str | None:
    found = (event.details or {}).get("request")
    return found if isinstance(found, str) and _REQUEST_ID.match(found) else None


def fold_requests(events: Iterable[Event]) -> dict[str, PromotionRequest]:
    """Every request in the log by id, with its decision; the first decision counts."""
    found: dict[str, PromotionRequest] = {}
    for event in events:
        rid = _request_of(event)
        if rid is None:
            continue
        if event.action == REQUEST and rid not in found and event.version and event.channel:
            gate = (event.details or {}).get("gate")
            found[rid] = PromotionRequest(
                rid,
                event.version,
                event.channel,
                event.previous,
                event.user,
                event.timestamp,
                event.reason,
                gate if isinstance(gate, dict) else None,
            )
            continue
        request = found.get(rid)
        if request is None or request.status != "pending":
            continue
        if event.action in (APPROVE, REJECT) or (
            event.action == "promote" and event.version == request.version
        ):
            status = "rejected" if event.action == REJECT else "approved"
            found[rid] = replace(
                request,
                status=status,
                decided_by=event.user,
                decided_at=event.timestamp,
                decision_reason=event.reason,
            )
    return found


def pending_requests(events: Iterable[Event]) -> list[PromotionRequest]:
    """The requests nobody has decided yet, oldest first."""
    return [r for r in fold_requests(events).values() if r.status == "pending"]
