"""`modelreg server --hooks-file` as a real process, stopped and killed in the middle.

SIGTERM: the call in flight finishes and is recorded, so the next server sends nothing twice.
SIGKILL between a receiver's 2xx and the cursor's write: that one event is sent again, with the
same id (at least once), and nothing is lost. The receiver deduplicates on the id.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hooks.support import Call, Receiver, hooks_file, wait_until
from modelreg import ModelRegistry
from modelreg.testing.support import make_result
from security.support import WRITE_TOKEN, auth, serve


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver().start()
    yield found
    found.stop()


def promote(url: str, version: str) -> None:
    """A move whatever the gate says: these tests count deliveries, not verdicts."""
    body = {"version": version, "force": True}
    answer = httpx.post(f"{url}/api/promote", json=body, headers=auth(WRITE_TOKEN))
    assert answer.status_code == 200, answer.text


def test_a_stopped_server_hands_over_without_a_duplicate(
    tmp_path: Path, receiver: Receiver
) -> None:
    registry = ModelRegistry(tmp_path / "models")
    names = [registry.register(make_result(seed)) for seed in range(3)]
    path = hooks_file(tmp_path, {"url": receiver.url, "events": ["promote"], "start": "end"})
    args = ("--hooks-file", str(path))
    with serve(registry.location, tmp_path, args=args) as server:
        promote(server.url, names[0])
        receiver.wait_for(1)
        receiver.answer = lambda call: (503, {}, b"")  # the next one is retried ...
        promote(server.url, names[1])
        receiver.wait_for(3)
        server.process.send_signal(signal.SIGTERM)  # ... when the server stops
        assert server.process.wait(timeout=30) in (0, -signal.SIGTERM)
    receiver.answer = lambda call: (204, {}, b"")
    registry.promote(names[2])  # while no server runs
    with serve(registry.location, tmp_path, args=args):
        wait_until(lambda: len(receiver.accepted()) >= 3, "the rest")
    assert receiver.accepted() == ["default:4", "default:5", "default:6"]


def test_a_killed_server_loses_nothing_and_repeats_at_most_the_call_in_flight(
    tmp_path: Path, receiver: Receiver
) -> None:
    registry = ModelRegistry(tmp_path / "models")
    names = [registry.register(make_result(seed)) for seed in range(2)]
    arrived = threading.Event()
    release = threading.Event()

    def slow(call: Call) -> tuple[int, dict[str, str], bytes]:
        if call.payload["version"] == names[1] and not release.is_set():
            arrived.set()
            release.wait(10)  # answered 204 after the server is dead
        return 204, {}, b""

    receiver.answer = slow
    path = hooks_file(tmp_path, {"url": receiver.url, "events": ["promote"], "start": "end"})
    args = ("--hooks-file", str(path))
    with serve(registry.location, tmp_path, args=args) as server:
        promote(server.url, names[0])
        promote(server.url, names[1])
        assert arrived.wait(30)
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=30)
    release.set()
    with serve(registry.location, tmp_path, args=args):
        wait_until(lambda: len(receiver.accepted()) >= 3, "the redelivery")
    accepted = receiver.accepted()
    assert accepted == ["default:3", "default:4", "default:4"]  # once more, the same id
    assert list(dict.fromkeys(accepted)) == ["default:3", "default:4"]  # deduplicated: all
