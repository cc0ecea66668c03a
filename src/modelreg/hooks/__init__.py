"""Webhooks and the change feed: the audit log, delivered to whoever deploys from it.

`feed` numbers and filters the log's events (one rule for webhooks, the server's SSE stream and
`modelreg events --follow`); `signing` is the HMAC signature a receiver checks; `config` reads a
server's hooks file; `network` makes one bounded call under the SSRF rule; `dispatcher` delivers
with retries and a durable cursor per hook (`cursor`). Free of the web framework.
"""

from __future__ import annotations

from .feed import WILDCARD, EventFilter, FeedEvent, follow, parse_event_id, read_feed
from .signing import SIGNATURE_HEADER, sign, signature_header, verify_signature

__all__ = [
    "SIGNATURE_HEADER",
    "WILDCARD",
    "EventFilter",
    "FeedEvent",
    "follow",
    "parse_event_id",
    "read_feed",
    "sign",
    "signature_header",
    "verify_signature",
]
