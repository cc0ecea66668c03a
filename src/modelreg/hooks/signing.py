"""The webhook signature: HMAC-SHA256 over a timestamp and the raw body, Stripe-style.

A delivery carries `X-Modelreg-Signature: t=<unix seconds>,v1=<hex>`, where `<hex>` is
`HMAC-SHA256(secret, "<t>." + raw body)`. Signing the timestamp with the body lets a receiver
refuse a replayed delivery (an old `t`) without keeping any state; the event id in the body is
what it deduplicates on. A receiver needs only `hmac` and `hashlib` (see `verify_signature`).
"""

from __future__ import annotations

import hashlib
import hmac
import time

from ..errors import SignatureError

__all__ = ["SIGNATURE_HEADER", "TOLERANCE", "sign", "signature_header", "verify_signature"]

SIGNATURE_HEADER = "X-Modelreg-Signature"
#: seconds a signed timestamp may be away from the receiver's clock
TOLERANCE = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of `"<timestamp>." + body` under `secret`."""
    message = str(int(timestamp)).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    """The header value for `body`, signed now (or at `timestamp`)."""
    moment = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={moment},v1={sign(secret, moment, body)}"


def verify_signature(
    secret: str,
    header: str | None,
    body: bytes,
    *,
    tolerance: float = TOLERANCE,
    now: float | None = None,
) -> int:
    """Check a delivery's header against its raw body; returns the signed timestamp.

    Raises SignatureError when the header is missing or malformed, the timestamp is further
    than `tolerance` seconds from `now` (a replay), or no `v1` signature matches.
    """
    if not header:
        raise SignatureError(f"no {SIGNATURE_HEADER} header")
    parts = [p.strip().partition("=") for p in header.split(",")]
    stamps = [value for key, _, value in parts if key == "t"]
    signatures = [value for key, _, value in parts if key == "v1"]
    if len(stamps) != 1 or not stamps[0].isdigit() or not signatures:
        raise SignatureError(f"malformed {SIGNATURE_HEADER} header")
    timestamp = int(stamps[0])
    clock = time.time() if now is None else now
    if abs(clock - timestamp) > tolerance:
        raise SignatureError(
            f"signed {int(clock - timestamp)} s away from now (more than {tolerance:g} s): "
            "a replay, or a clock that is off",
            timestamp=timestamp,
        )
    expected = sign(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, given) for given in signatures):
        raise SignatureError("the signature does not match the body (wrong secret?)")
    return timestamp
