"""The SSE change feed on a live uvicorn server, and `modelreg events --follow` on top of it."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hooks.support import free_port, wait_until
from modelreg import ModelRegistry
from modelreg.hooks import EventFilter, follow
from modelreg.serving.server import create_app
from modelreg.testing.support import make_result
from server.support import READ_TOKEN, TOKENS, auth, running_app


@pytest.fixture
def live(registry: ModelRegistry) -> Iterator[str]:
    app = create_app(registry, tokens=TOKENS, event_poll=0.05)
    with running_app(app) as url:
        yield url


def messages(url: str, count: int, **request: Any) -> queue.Queue[dict[str, str]]:
    """Read `count` SSE messages with data in a thread; each arrives in the queue. Returns
    once the stream is open (from then on, a stream without a resume id sees each event)."""
    found: queue.Queue[dict[str, str]] = queue.Queue()
    opened = threading.Event()

    def read() -> None:
        with httpx.stream("GET", f"{url}/api/events/stream", timeout=30, **request) as answer:
            opened.set()
            message: dict[str, str] = {}
            seen = 0
            for line in answer.iter_lines():
                if line == "":
                    if "data" in message:
                        found.put(message)
                        seen += 1
                        if seen == count:
                            return
                    message = {}
                elif not line.startswith(":"):
                    key, _, value = line.partition(": ")
                    message[key] = value

    threading.Thread(target=read, daemon=True).start()
    assert opened.wait(20)
    return found


def test_a_promote_arrives_on_the_stream(registry: ModelRegistry, live: str) -> None:
    version = registry.register(make_result())
    got = messages(live, 1, params={"kind": "promote"}, headers=auth(READ_TOKEN))
    registry.promote(version, channel="staging", reason="try it")
    message = got.get(timeout=20)
    data = json.loads(message["data"])
    assert message["event"] == "promote" and message["id"] == "default:2" == data["id"]
    assert data["version"] == version and data["channel"] == "staging"
    assert data["reason"] == "try it" and data["kind"] == "promote"


def test_last_event_id_resumes_after_it_and_filters_hold(
    registry: ModelRegistry, live: str
) -> None:
    a = registry.register(make_result(0))
    b = registry.register(make_result(1))
    registry.promote(a, channel="staging")
    registry.promote(b)
    registry.promote(a)
    got = messages(
        live,
        2,
        params={"kind": ["promote", "rollback"], "channel": "production"},
        headers={**auth(READ_TOKEN), "Last-Event-ID": "default:2"},
    )
    ids = [got.get(timeout=20)["id"], got.get(timeout=20)["id"]]
    assert ids == ["default:4", "default:5"]  # 3 is staging's


def test_the_client_follows_a_server_and_resumes(registry: ModelRegistry, live: str) -> None:
    remote = ModelRegistry(live, token=READ_TOKEN)
    names = [registry.register(make_result(seed)) for seed in range(2)]
    seen: list[str] = []
    wanted = EventFilter.of(["promote"], ["production"])
    done = threading.Event()

    def run() -> None:
        for item in follow(remote, after=0, wanted=wanted, stop=lambda: len(seen) >= 2):
            seen.append(f"{item.id} {item.event.version}")
        done.set()

    threading.Thread(target=run, daemon=True).start()
    registry.promote(names[0])
    registry.promote(names[1])
    assert done.wait(20)
    assert seen == [f"default:3 {names[0]}", f"default:4 {names[1]}"]


@pytest.mark.parametrize("where", ["server", "folder"])
def test_events_follow_waits_for_production_to_move(
    registry: ModelRegistry, live: str, tmp_path: Path, where: str
) -> None:
    version = registry.register(make_result())
    target = live if where == "server" else str(registry.location)
    command = [sys.executable, "-m", "modelreg", "--registry", target, "events", "--follow"]
    command += ["--kind", "promote", "--channel", "production", "--count", "1", "--json"]
    command += ["--poll", "0.1", "--after", f"default:{len(registry.events())}"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELREG_")}
    env["MODELREG_TOKEN"] = READ_TOKEN
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        registry.promote(version, channel="staging")  # not what the job waits for
        registry.promote(version, reason="ship it")
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, err
    [line] = out.decode().splitlines()
    event = json.loads(line)
    assert event["kind"] == "promote" and event["channel"] == "production"
    assert event["version"] == version and event["reason"] == "ship it"


def test_a_stream_opens_with_the_id_it_starts_after(registry: ModelRegistry, live: str) -> None:
    registry.register(make_result())
    with httpx.stream(
        "GET", f"{live}/api/events/stream", headers=auth(READ_TOKEN), timeout=10
    ) as answer:
        lines = answer.iter_lines()
        first = [next(lines) for _ in range(3)]
    assert first[1:] == ["id: default:1", ""]  # a reconnect before any event resumes here


def test_the_client_resumes_across_a_server_restart_without_a_gap(
    registry: ModelRegistry,
) -> None:
    names = [registry.register(make_result(seed)) for seed in range(3)]
    port = free_port()
    seen: list[str] = []
    done = threading.Event()
    app = create_app(registry, tokens=TOKENS, event_poll=0.05)
    with running_app(app, port) as url:
        remote = ModelRegistry(url, token=READ_TOKEN)

        def run() -> None:  # from now on: no id given, the stream's first message has it
            for item in follow(
                remote, wanted=EventFilter.of(["promote"]), stop=lambda: len(seen) >= 3
            ):
                seen.append(item.event.version or "")
            done.set()

        threading.Thread(target=run, daemon=True).start()
        wait_until(lambda: app.state.event_streams.open == 1, "the stream to open")
        registry.promote(names[0])
        wait_until(lambda: len(seen) == 1, "the first promotion")
    registry.promote(names[1])  # while the server is down
    with running_app(create_app(registry, tokens=TOKENS, event_poll=0.05), port):
        registry.promote(names[2])
        assert done.wait(30)
    assert seen == names
