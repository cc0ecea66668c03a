"""Webhook delivery to a real receiver on loopback: signed, in order, none lost, none twice."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from hooks.support import SECRET, Receiver, config, wait_until
from modelreg import ModelRegistry
from modelreg.errors import SignatureError
from modelreg.hooks.dispatcher import Dispatcher, _Worker
from modelreg.testing.support import make_result


@pytest.fixture
def receiver() -> Receiver:
    found = Receiver().start()
    yield found
    found.stop()


def registered(registry: ModelRegistry, count: int) -> list[str]:
    return [registry.register(make_result(seed)) for seed in range(count)]


def test_a_promote_delivers_exactly_one_signed_call(
    registry: ModelRegistry, receiver: Receiver, tmp_path: Path
) -> None:
    [version] = registered(registry, 1)
    hooks = config(tmp_path, {"url": receiver.url, "events": ["promote"], "start": "end"})
    with Dispatcher(hooks, registry) as dispatcher:
        registry.promote(version, reason="better sharpe")
        [call] = receiver.wait_for(1)
        wait_until(lambda: dispatcher.status()[0]["pending"] == 0, "the cursor to move")
        assert receiver.calls == [call]  # exactly one, however long we look
    call.verified()
    body = call.payload
    assert body["kind"] == "promote" and body["version"] == version
    assert body["channel"] == "production" and body["reason"] == "better sharpe"
    assert body["registry"] == "test-registry" and body["model"] == "default"
    assert body["id"] == f"default:{body['sequence']}" and body["who"]
    assert call.headers["X-Modelreg-Event-Id"] == body["id"]
    assert "Authorization" not in call.headers


def test_a_new_hook_starts_at_the_servers_start_not_its_threads_first_poll(
    registry: ModelRegistry, receiver: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A promote right after start-up, before a slow delivery thread first looks, is sent."""
    [version] = registered(registry, 1)
    slow_run = _Worker.run

    def late_run(worker: _Worker) -> None:
        time.sleep(0.5)  # a busy machine: the thread runs after the promote below
        slow_run(worker)

    monkeypatch.setattr(_Worker, "run", late_run)
    hooks = config(tmp_path, {"url": receiver.url, "events": ["promote"], "start": "end"})
    with Dispatcher(hooks, registry):
        registry.promote(version, reason="right after start-up")
        [call] = receiver.wait_for(1)
    assert call.payload["version"] == version


def test_every_kind_by_wildcard_and_a_channel_filter(
    registry: ModelRegistry, receiver: Receiver, tmp_path: Path
) -> None:
    other = Receiver().start()
    try:
        hooks = config(
            tmp_path,
            {"name": "all", "url": receiver.url, "events": ["*"]},
            {"name": "prod", "url": other.url, "events": ["promote"], "channels": ["production"]},
        )
        a, b, c = registered(registry, 3)
        registry.promote(a, channel="staging")
        registry.promote(b)
        registry.edit_tags(a, set_tags={"team": "quant"})
        registry.delete_version(c)
        with Dispatcher(hooks, registry):
            receiver.wait_for(7)
            other.wait_for(1)
        kinds = [call.payload["kind"] for call in receiver.calls]
        assert kinds == ["register"] * 3 + ["promote", "promote", "tag", "delete"]
        assert [c.payload["version"] for c in other.calls] == [b]
    finally:
        other.stop()


def test_a_receiver_down_for_a_while_gets_every_event_in_order(
    registry: ModelRegistry, receiver: Receiver, tmp_path: Path
) -> None:
    hooks = config(tmp_path, {"url": receiver.url})
    with Dispatcher(hooks, registry) as dispatcher:
        registered(registry, 1)
        receiver.wait_for(1)
        receiver.stop()  # down: connections refused
        names = registered(registry, 3)
        registry.promote(names[1])
        wait_until(lambda: dispatcher.status()[0]["failures"] >= 2, "failed attempts")
        status = dispatcher.status()[0]
        assert status["pending"] == 4 and "refused" in status["last_error"]["error"].lower()
        receiver.start()  # back, on the same port
        calls = receiver.wait_for(5)
        wait_until(lambda: dispatcher.status()[0]["pending"] == 0, "the backlog to drain")
    sequences = [c.payload["sequence"] for c in calls]
    assert sequences == sorted(sequences) == list(range(1, 6))
    assert [c.payload["kind"] for c in calls][-1] == "promote"
    assert len(set(receiver.ids())) == len(receiver.ids()) == 5
    assert dispatcher.status()[0]["failures"] == 0


def test_a_restart_in_the_middle_loses_none_and_sends_none_twice(
    registry: ModelRegistry, receiver: Receiver, tmp_path: Path
) -> None:
    hooks = config(tmp_path, {"url": receiver.url})
    names = registered(registry, 2)
    first = Dispatcher(hooks, registry)
    first.start()
    receiver.wait_for(2)
    receiver.answer = lambda call: (503, {}, b"busy")
    registry.promote(names[0])
    wait_until(lambda: first.status()[0]["failures"] >= 2, "the promote to be refused")
    first.stop()  # in the middle of retrying event 3
    registry.promote(names[1])  # while no server runs
    receiver.answer = lambda call: (204, {}, b"")
    with Dispatcher(hooks, registry) as second:
        wait_until(lambda: second.status()[0]["pending"] == 0, "the rest")
        assert second.status()[0]["delivered"] == 4  # the count survives the restart too
    assert receiver.accepted() == [f"default:{n}" for n in range(1, 5)]
    refused = [
        c.payload["id"] for c, s in zip(receiver.calls, receiver.statuses, strict=True) if s == 503
    ]
    assert set(refused) == {"default:3"} and len(refused) >= 2  # retried with the same id


def test_a_receiver_with_the_wrong_secret_detects_the_bad_signature(
    registry: ModelRegistry, receiver: Receiver, tmp_path: Path
) -> None:
    hooks = config(tmp_path, {"url": receiver.url})
    registered(registry, 1)
    with Dispatcher(hooks, registry):
        [call] = receiver.wait_for(1)
    assert call.verified(SECRET)
    with pytest.raises(SignatureError, match="does not match"):
        call.verified("another-secret-of-16+chars")
    tampered = call.body.replace(b'"register"', b'"promote"')
    with pytest.raises(SignatureError):
        from modelreg.hooks import verify_signature

        verify_signature(SECRET, call.headers["X-Modelreg-Signature"], tampered)
