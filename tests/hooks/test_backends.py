"""Delivery and the feed on every backend a server can serve: folder, SQLite, PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract.conftest import postgres_schema_url, postgres_url  # noqa: F401
from hooks.support import Receiver, config, wait_until
from modelreg import ModelRegistry
from modelreg.hooks import EventFilter, follow
from modelreg.hooks.dispatcher import Dispatcher
from modelreg.testing.support import make_result
from security.conftest import KINDS, open_registry


@pytest.fixture(params=KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ModelRegistry]:
    registry = open_registry(request.param, request, tmp_path)
    yield registry
    registry.close()


def test_each_event_once_in_order_across_a_restart(store: ModelRegistry, tmp_path: Path) -> None:
    receiver = Receiver().start()
    try:
        hooks = config(tmp_path, {"url": receiver.url})
        a, b = (store.register(make_result(seed)) for seed in range(2))
        with Dispatcher(hooks, store):
            store.promote(a)
            receiver.wait_for(3)
        store.promote(b, channel="staging")
        with Dispatcher(hooks, store) as dispatcher:
            receiver.wait_for(4)
            wait_until(lambda: dispatcher.status()[0]["pending"] == 0, "the cursor")
        assert receiver.accepted() == [f"default:{n}" for n in range(1, 5)]
        assert [c.payload["kind"] for c in receiver.calls] == ["register"] * 2 + ["promote"] * 2
        assert all(c.verified() for c in receiver.calls)
    finally:
        receiver.stop()


def test_following_the_log_sees_each_new_promotion(store: ModelRegistry) -> None:
    names = [store.register(make_result(seed)) for seed in range(2)]
    seen: list[str] = []
    done = threading.Event()
    wanted = EventFilter.of(["promote"], ["production"])
    start = len(store.events())

    def run() -> None:
        for item in follow(
            store, after=start, wanted=wanted, poll=0.05, stop=lambda: len(seen) >= 2
        ):
            seen.append(item.event.version or "")
        done.set()

    threading.Thread(target=run, daemon=True).start()
    store.promote(names[0], channel="staging")
    store.promote(names[0])
    store.promote(names[1])
    assert done.wait(20)
    assert seen == names
