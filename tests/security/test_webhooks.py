"""Attacks on webhooks and the event stream, as a hostile token holder or receiver would try.

Hooks come from the server's hooks file only (no token can add one), and even a hook there
reaches only public addresses unless `allow_networks` lists the network: loopback, private,
link-local (cloud metadata) and their IPv6 and mapped forms are refused at connect time, for a
literal address and for a name that resolves to one. A receiver cannot redirect a call, hold
it past the timeout, or make the server read an endless answer. The status never shows a
secret, the call never carries a client's token, and event streams are bounded per server.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hooks.support import SECRET, Receiver, config, wait_until
from modelreg import ModelRegistry
from modelreg.errors import InvalidInputError
from modelreg.hooks.config import parse_hooks
from modelreg.hooks.dispatcher import Dispatcher
from modelreg.hooks.network import MAX_RESPONSE, AddressRule, post
from modelreg.serving.server import create_app
from modelreg.testing.support import make_result
from server.support import ADMIN_TOKEN, READ_TOKEN, TOKENS, WRITE_TOKEN, auth, running_app

LOOPBACK = AddressRule()


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.0.0.5",
        "172.16.3.4",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # shared address space
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::ffff:169.254.169.254",
        "ff02::1",
    ],
)
def test_internal_addresses_are_refused_by_default(address: str) -> None:
    assert not LOOPBACK.permits(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_reachable(address: str) -> None:
    assert LOOPBACK.permits(ipaddress.ip_address(address))


def test_only_the_listed_networks_are_allowed() -> None:
    rule = AddressRule((ipaddress.ip_network("10.20.0.0/16"),))
    assert rule.permits(ipaddress.ip_address("10.20.3.4"))
    assert not rule.permits(ipaddress.ip_address("10.21.0.1"))
    assert not rule.permits(ipaddress.ip_address("127.0.0.1"))


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]"])
def test_a_hook_to_a_loopback_receiver_is_never_called_without_an_allow(
    registry: ModelRegistry, tmp_path: Path, host: str
) -> None:
    receiver = Receiver().start()
    try:
        url = f"http://{host}:{receiver.port}/hook"
        hooks = config(tmp_path, {"url": url}, allow=())
        registry.register(make_result())
        with Dispatcher(hooks, registry) as dispatcher:
            wait_until(lambda: dispatcher.status()[0]["failures"] >= 2, "refusals")
            status = dispatcher.status()[0]
        assert receiver.calls == []
        assert "refused" in status["last_error"]["error"] and status["pending"] == 1
    finally:
        receiver.stop()


def test_a_redirect_is_not_followed(registry: ModelRegistry, tmp_path: Path) -> None:
    target, redirecting = Receiver().start(), Receiver().start()
    redirecting.answer = lambda call: (307, {"Location": target.url}, b"")
    try:
        hooks = config(tmp_path, {"url": redirecting.url})
        registry.register(make_result())
        with Dispatcher(hooks, registry) as dispatcher:
            redirecting.wait_for(2)
            status = dispatcher.status()[0]
        assert target.calls == []
        assert "redirects are not followed" in status["last_error"]["error"]
        assert status["pending"] == 1  # not delivered: it stays in the outbox
    finally:
        target.stop()
        redirecting.stop()


@contextlib.contextmanager
def raw_server(behaviour: str) -> Iterator[tuple[int, dict[str, int]]]:
    """A TCP server that reads a request, then trickles its answer or sends one without end."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    sent = {"bytes": 0}

    def serve() -> None:
        with contextlib.suppress(OSError):
            conn, _ = listener.accept()
            conn.recv(65536)
            if behaviour == "trickle":
                conn.sendall(b"HTTP/1.1 200 OK\r\n")
                for _ in range(200):
                    conn.sendall(b"X-Slow: y\r\n")
                    sent["bytes"] += 11
                    time.sleep(0.1)
            else:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n")
                chunk = b"x" * 65536
                while sent["bytes"] < 1_000_000_000:
                    conn.sendall(chunk)
                    sent["bytes"] += len(chunk)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], sent
    finally:
        listener.close()
        thread.join(timeout=5)


ALLOW = AddressRule((ipaddress.ip_network("127.0.0.1/32"),))


def test_a_receiver_that_trickles_its_answer_is_cut_off_at_the_timeout() -> None:
    with raw_server("trickle") as (port, sent):
        started = time.monotonic()
        outcome = post(f"http://127.0.0.1:{port}/", b"{}", {}, rule=ALLOW, timeout=1.0)
        took = time.monotonic() - started
    assert not outcome.ok and outcome.error is not None
    assert "within 1 s" in outcome.error
    assert took < 5 and sent["bytes"] < 200 * 11  # cut off long before it finished


def test_an_endless_answer_is_not_read_past_the_bound() -> None:
    with raw_server("endless") as (port, sent):
        outcome = post(f"http://127.0.0.1:{port}/", b"{}", {}, rule=ALLOW, timeout=10.0)
    assert outcome.ok  # the status is what counts
    assert sent["bytes"] < 100 * MAX_RESPONSE  # what the socket buffers took, not a gigabyte


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("file:///etc/passwd", "http"),
        ("gopher://127.0.0.1:70/", "http"),
        ("http://user:pass@example.com/", "credentials"),
        ("http:///nohost", "host"),
        ("http://example.com/a b", "control"),
        ("http://example.com:99999/", "parse"),
    ],
)
def test_a_hooks_file_refuses_urls_that_are_not_plain_http(
    tmp_path: Path, url: str, problem: str
) -> None:
    document = {"hooks": [{"name": "x", "url": url, "secret": SECRET}]}
    with pytest.raises(InvalidInputError, match=problem):
        parse_hooks(document, base=tmp_path)


def test_a_short_secret_and_unknown_settings_are_refused(tmp_path: Path) -> None:
    hook = {"name": "x", "url": "https://example.com/", "secret": "short"}
    with pytest.raises(InvalidInputError, match="16 characters"):
        parse_hooks({"hooks": [hook]}, base=tmp_path)
    with pytest.raises(InvalidInputError, match="unknown"):
        parse_hooks({"hooks": [{**hook, "secret": SECRET, "headers": {}}]}, base=tmp_path)


@pytest.fixture
def hooked(registry: ModelRegistry, tmp_path: Path) -> Iterator[tuple[str, Receiver]]:
    """A live server whose hook posts to a loopback receiver (a URL with a query secret)."""
    receiver = Receiver().start()
    hooks = config(tmp_path, {"url": receiver.url + "?key=query-secret-zz"})
    with Dispatcher(hooks, registry) as dispatcher:
        app = create_app(registry, tokens=TOKENS, hooks=dispatcher, event_poll=0.05)
        with running_app(app) as url:
            yield url, receiver
    receiver.stop()


def test_the_status_needs_a_write_token_and_never_shows_a_secret(
    hooked: tuple[str, Receiver],
) -> None:
    url, _ = hooked
    assert httpx.get(f"{url}/api/hooks").status_code == 401
    assert httpx.get(f"{url}/api/hooks", headers=auth(READ_TOKEN)).status_code == 403
    answer = httpx.get(f"{url}/api/hooks", headers=auth(WRITE_TOKEN))
    assert answer.status_code == 200
    [hook] = answer.json()["hooks"]
    assert hook["url"].endswith("/hook") and "query-secret" not in answer.text
    assert SECRET not in answer.text and "secret" not in hook


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_no_token_can_add_or_change_a_hook_over_rest(
    hooked: tuple[str, Receiver], method: str
) -> None:
    url, _ = hooked
    body = {"name": "evil", "url": "http://169.254.169.254/", "secret": SECRET}
    answer = httpx.request(method, f"{url}/api/hooks", json=body, headers=auth(ADMIN_TOKEN))
    assert answer.status_code == 405


def test_a_call_never_carries_the_clients_token(
    registry: ModelRegistry, hooked: tuple[str, Receiver]
) -> None:
    url, receiver = hooked
    version = registry.register(make_result())
    answer = httpx.post(f"{url}/api/promote", json={"version": version}, headers=auth(WRITE_TOKEN))
    assert answer.status_code == 200
    calls = receiver.wait_for(2)
    for call in calls:
        shown = str(call.headers) + call.body.decode()
        assert WRITE_TOKEN not in shown and "Authorization" not in call.headers
    assert calls[-1].payload["who"] == "alice"  # the token's name, never its secret


def test_event_streams_are_bounded_per_server(registry: ModelRegistry) -> None:
    app = create_app(registry, tokens=TOKENS, max_event_streams=2, event_poll=0.05)
    with running_app(app) as url, httpx.Client(base_url=url, headers=auth(READ_TOKEN)) as client:

        def opened() -> httpx.Response:
            return client.send(client.build_request("GET", "/api/events/stream"), stream=True)

        first, second = opened(), opened()
        assert first.status_code == second.status_code == 200
        assert app.state.event_streams.open == 2
        refused = client.get("/api/events/stream", timeout=10)
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "5"
        assert refused.json()["error"] == "busy"
        first.close()  # the client goes: the server notices within a poll
        wait_until(lambda: app.state.event_streams.open < 2, "the closed stream's slot")
        third = opened()
        assert third.status_code == 200
        second.close()
        third.close()
    wait_until(lambda: app.state.event_streams.open == 0, "every slot back")


@pytest.mark.parametrize(
    ("params", "headers"),
    [
        ({}, {"Last-Event-ID": "other:3"}),
        ({}, {"Last-Event-ID": "../../etc"}),
        ({"after": "1e9999"}, {}),
        ({"kind": "promote'; DROP TABLE x"}, {}),
        ({"channel": "../production"}, {}),
    ],
)
def test_a_stream_refuses_bad_resume_ids_and_filters(
    registry: ModelRegistry, params: dict[str, str], headers: dict[str, str]
) -> None:
    app = create_app(registry, tokens=TOKENS, max_event_streams=2)
    with running_app(app) as url:
        answer = httpx.get(
            f"{url}/api/events/stream", params=params, headers={**auth(READ_TOKEN), **headers}
        )
        assert answer.status_code == 422
        assert app.state.event_streams.open == 0  # a refused stream holds no slot
        assert httpx.get(f"{url}/api/events/stream").status_code == 401


def test_a_second_server_on_the_same_hooks_file_does_not_deliver_twice(
    registry: ModelRegistry, tmp_path: Path
) -> None:
    receiver = Receiver().start()
    try:
        hooks = config(tmp_path, {"url": receiver.url})
        registry.register(make_result())
        with Dispatcher(hooks, registry) as first:
            second = Dispatcher(hooks, registry)
            assert first.delivering and not second.start()
            receiver.wait_for(1)
            time.sleep(0.3)
            second.stop()
        assert receiver.ids() == ["default:1"]
    finally:
        receiver.stop()
