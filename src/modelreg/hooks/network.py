"""One webhook call over the network, and the rule for where the server may send one.

The SSRF rule: a hook may reach only public (globally routable) addresses, unless the address is
inside a network the operator listed in `allow_networks`. It is checked on every address the
host name resolves to *at connect time*, and the connection goes to the address that was checked
(TLS still verifies the host name), so DNS that answers a public address at start-up and
127.0.0.1 later (rebinding) gains nothing. Loopback, private, link-local (cloud metadata at
169.254.169.254), shared (100.64/10), multicast, reserved and unspecified addresses, and IPv6
forms of them (mapped IPv4 too), are refused.

A call is bounded: one deadline for all of it (a receiver that trickles bytes is cut off when
it passes), at most `MAX_RESPONSE` bytes of the answer read, no redirect followed (a 3xx is a
failure), no proxy from the environment, and no header but the ones the dispatcher sets: never
a client's token.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpcore

__all__ = ["MAX_RESPONSE", "AddressRule", "Outcome", "post"]

#: bytes of a receiver's answer read at most (its status is what counts)
MAX_RESPONSE = 64 * 1024
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class AddressRule:
    """Which addresses hooks may connect to: public ones, and the networks allowed."""

    allowed: tuple[Network, ...] = ()

    def permits(self, address: IPAddress) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address.version == net.version and address in net for net in self.allowed):
            return True
        return address.is_global and not address.is_multicast

    def check(self, host: str, addresses: Iterable[IPAddress]) -> list[IPAddress]:
        """The permitted addresses of `host`; RefusedAddress when none is."""
        found = list(addresses)
        permitted = [a for a in found if self.permits(a)]
        if not permitted:
            shown = ", ".join(str(a) for a in found[:4]) or "nothing"
            raise RefusedAddress(
                f"refused: {host} is {shown}, not a public address (a hook reaches a private "
                "one only inside the hooks file's allow_networks)"
            )
        return permitted


class RefusedAddress(httpcore.ConnectError):
    """The SSRF rule refused every address of a hook's host."""


@dataclass(frozen=True)
class Outcome:
    """What one call came to: the receiver's status, or why there was none."""

    status: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class _GuardedBackend(httpcore.SyncBackend):
    """Resolve, check each address against the rule, connect to a checked one; arm the
    deadline on the socket so that no receiver can hold the call past it."""

    def __init__(self, rule: AddressRule, deadline: float) -> None:
        self.rule, self.deadline = rule, deadline
        self.timers: list[threading.Timer] = []

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
        error: Exception | None = None
        for address in self.rule.check(host, addresses):
            try:
                stream = super().connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                error = exc
                continue
            self._arm(stream.get_extra_info("socket"))
            return stream
        raise error or httpcore.ConnectError(f"cannot connect to {host}")

    def _arm(self, sock: socket.socket) -> None:
        def cut() -> None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

        timer = threading.Timer(max(0.0, self.deadline - time.monotonic()), cut)
        timer.daemon = True
        timer.start()
        self.timers.append(timer)


def post(
    url: str, body: bytes, headers: Mapping[str, str], *, rule: AddressRule, timeout: float
) -> Outcome:
    """POST `body` to `url` once, within `timeout` seconds in all; never raises."""
    backend = _GuardedBackend(rule, time.monotonic() + timeout)
    pool = httpcore.ConnectionPool(
        ssl_context=ssl.create_default_context(),
        network_backend=backend,
        max_connections=1,
        keepalive_expiry=0,
    )
    limits = {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}
    try:
        with pool.stream(
            "POST",
            url,
            headers=[(k.encode(), v.encode()) for k, v in headers.items()],
            content=body,
            extensions={"timeout": limits},
        ) as response:
            answer = _read_some(response)
            return _judged(response.status, answer)
    except RefusedAddress as exc:
        return Outcome(None, str(exc))
    except (TimeoutError, httpcore.TimeoutException):
        return Outcome(None, f"no answer within {timeout:g} s")
    except (httpcore.NetworkError, httpcore.ProtocolError, OSError) as exc:
        late = time.monotonic() > backend.deadline
        return Outcome(None, f"no answer within {timeout:g} s" if late else _brief(exc))
    finally:
        for timer in backend.timers:
            timer.cancel()
        pool.close()


def _read_some(response: Any) -> bytes:
    """At most MAX_RESPONSE bytes of the answer; the rest is never read."""
    kept = bytearray()
    for chunk in response.iter_stream():
        kept.extend(chunk[: MAX_RESPONSE - len(kept)])
        if len(kept) >= MAX_RESPONSE:
            break
    return bytes(kept)


def _judged(status: int, answer: bytes) -> Outcome:
    if 200 <= status < 300:
        return Outcome(status)
    if 300 <= status < 400:
        return Outcome(status, f"answered {status}: redirects are not followed")
    text = "".join(c if c.isprintable() else " " for c in answer[:200].decode("utf-8", "replace"))
    return Outcome(status, f"answered {status}: {text.strip()}".rstrip(": "))


def _brief(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return "".join(c if c.isprintable() else " " for c in text)[:300]
