"""The issue's "done when": a real `modelreg serve` under load while production keeps moving.

Eight client threads post predictions to a `modelreg serve` process on loopback while this
process promotes and rolls back production 20 times, two of the promoted versions broken (a
tampered artifact, a pickle the server does not trust). What must hold:

- no request fails (every answer is a 200 with predictions);
- every answer names a version that was serving the channel at some moment of that request,
  and its predictions are that version's own (computed here from the same model);
- "serving the channel" is the pointer's holder, or, between a move and the server taking it in
  (one poll and one load later), the version the move replaced: no server can answer with a
  version it has not loaded without making the request wait, which the issue forbids. The
  timeline records when each move started and ended and when the server was seen to take it
  in; how many answers fell in those windows is printed;
- a broken version is never named by any answer, and `/ready` and the log say why;
- the last answers of every client name the final version.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from modelreg import ModelRegistry

from .support import ROWS, ServeProcess, records, ridge, serve_process, tamper, wait_for

CLIENTS = 8
GOOD_ALPHAS = (1.0, 3.0, 10.0, 30.0)
BODY = records()


@dataclass
class LiveBackend:
    """A registry location as `modelreg serve` is given it, and how this test writes to it."""

    kind: str
    location: str
    open: Callable[..., ModelRegistry]
    serve_options: tuple[str, ...] = ()
    blobs: Path | None = None


def _local(request: pytest.FixtureRequest, tmp_path: Path) -> LiveBackend:
    """A folder trusts its own pickles by default: this server is told not to."""
    location = str(tmp_path / "models")
    return LiveBackend(
        "folder",
        location,
        lambda **options: ModelRegistry(location, lock_timeout=30, **options),
        serve_options=("--no-trust-pickle",),
    )


def _sqlite(request: pytest.FixtureRequest, tmp_path: Path) -> LiveBackend:
    location = f"sqlite:///{tmp_path / 'registry.db'}"
    return LiveBackend(
        "sqlite",
        location,
        lambda **options: ModelRegistry(
            location, lock_timeout=30, cache_dir=tmp_path / "cache", **options
        ),
        blobs=tmp_path / "registry-artifacts",
    )


def _postgresql(request: pytest.FixtureRequest, tmp_path: Path) -> LiveBackend:
    location = request.getfixturevalue("postgres_schema_url")
    artifacts = str(tmp_path / "artifacts")
    return LiveBackend(
        "postgresql",
        location,
        lambda **options: ModelRegistry(
            location, artifacts=artifacts, lock_timeout=30, cache_dir=tmp_path / "cache", **options
        ),
        serve_options=("--artifacts", artifacts),
        blobs=Path(artifacts),
    )


@pytest.fixture(
    params=[
        pytest.param(_local, id="folder"),
        pytest.param(_sqlite, id="sqlite"),
        pytest.param(_postgresql, id="postgresql", marks=pytest.mark.postgres),
    ]
)
def live(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveBackend]:
    """The backend, whose registries (and their database connections) close after the test."""
    backend: LiveBackend = request.param(request, tmp_path)
    opened: list[ModelRegistry] = []
    opener = backend.open

    def open_and_keep(**options: Any) -> ModelRegistry:
        opened.append(opener(**options))
        return opened[-1]

    backend.open = open_and_keep
    yield backend
    for registry in opened:
        registry.close()


@dataclass(frozen=True)
class Call:
    start: float
    end: float
    status: int | None
    version: str | None
    predictions: list[float] | None
    error: str | None


@dataclass(frozen=True)
class Move:
    """One promotion or rollback: its target, when it ran, and when the server took it in."""

    target: str
    started: float
    ended: float
    good: bool
    taken_in: float | None  # None: the next move followed at once (a burst)


def _client(url: str, calls: list[Call], stop: threading.Event) -> None:
    with httpx.Client(base_url=url, timeout=30) as client:
        while not stop.is_set():
            started = time.monotonic()
            try:
                answer = client.post("/predict", json=BODY)
            except httpx.HTTPError as exc:
                calls.append(Call(started, time.monotonic(), None, None, None, repr(exc)))
                continue
            ended = time.monotonic()
            if answer.status_code == 200:
                data = answer.json()
                calls.append(Call(started, ended, 200, data["version"], data["predictions"], None))
            else:
                calls.append(Call(started, ended, answer.status_code, None, None, answer.text))


def _taken_in(server: ServeProcess, target: str, good: bool, failed_before: int) -> float:
    """When /ready shows the server has read the move and acted on it (swap, or refusal)."""

    def done() -> bool:
        ready = server.ready()
        if ready["channel_version"] != target:
            return False
        if good:
            return bool(ready["version"] == target)
        failure = ready["last_failure"] or {}
        return failure.get("version") == target and ready["failed_swaps"] > failed_before

    wait_for(done, f"the server to take in {target}")
    return time.monotonic()


def _serving_windows(first: str, moves: list[Move]) -> list[tuple[str, float, float]]:
    """(version, from, to): when each version may answer, by the timeline (module docstring)."""
    windows = []
    current, since = first, float("-inf")
    for index, move in enumerate(moves):
        if not move.good or move.target == current:
            continue
        # the replaced version may answer until the server is seen to have moved on
        taken = next(m.taken_in for m in moves[index:] if m.taken_in is not None)
        windows.append((current, since, taken))
        current, since = move.target, move.started
    windows.append((current, since, float("inf")))
    return windows


def _pointer_windows(first: str, moves: list[Move]) -> list[tuple[str, float, float]]:
    """(version, from, to): when each version may have held the pointer itself."""
    holders = [(first, float("-inf"))] + [(m.target, m.started) for m in moves]
    ends = [m.ended for m in moves] + [float("inf")]
    return [(version, since, end) for (version, since), end in zip(holders, ends, strict=True)]


def _fits(call: Call, windows: list[tuple[str, float, float]]) -> bool:
    return any(v == call.version and a <= call.end and call.start <= b for v, a, b in windows)


@pytest.mark.slow
def test_eight_clients_see_no_failure_while_production_moves_20_times(
    live: LiveBackend, tmp_path: Path
) -> None:
    registry = live.open(model_format="safe")
    good = [registry.register(ridge(alpha)) for alpha in GOOD_ALPHAS]
    expected = {v: ridge(a).model.predict(ROWS) for v, a in zip(good, GOOD_ALPHAS, strict=True)}
    tampered = registry.register(ridge(100.0))
    tamper(registry, tampered, blobs=live.blobs)
    pickled = live.open(model_format="pickle").register(ridge(300.0))
    broken = {tampered, pickled}
    registry.promote(good[0])
    promotions = [good[1], good[2], tampered, good[3], pickled, good[1], good[2], tampered]
    promotions += [good[3], good[1]]
    burst = 5  # promotion 5 is rolled back at once, before the server may have seen it
    rng = random.Random(16)

    calls: list[list[Call]] = [[] for _ in range(CLIENTS)]
    stop = threading.Event()
    moves: list[Move] = []
    with serve_process(live.location, tmp_path, *live.serve_options) as server:
        wait_for(lambda: server.ready()["version"] == good[0], "the first version")
        threads = [threading.Thread(target=_client, args=(server.url, log, stop)) for log in calls]
        for thread in threads:
            thread.start()
        try:
            wait_for(lambda: all(log for log in calls), "every client's first answer")
            for index, version in enumerate(promotions):
                for action in ("promote", "rollback"):
                    failed_before = server.ready()["failed_swaps"]
                    started = time.monotonic()
                    if action == "promote":
                        assert registry.promote(version, reason="live test")
                    else:
                        assert registry.rollback_to_version(reason="live test")
                    ended = time.monotonic()
                    target = registry.current_version()
                    assert target is not None
                    good_move = target not in broken
                    taken = None
                    if not (index == burst and action == "promote"):
                        taken = _taken_in(server, target, good_move, failed_before)
                    moves.append(Move(target, started, ended, good_move, taken))
                    time.sleep(rng.uniform(0.02, 0.12))
            final_taken = moves[-1].taken_in
            assert final_taken is not None
            time.sleep(0.5)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
        metrics = server.metrics()
        ready = server.ready()
        log = server.log()

    assert len(moves) == 20
    everything = [call for log_ in calls for call in log_]
    failed = [call for call in everything if call.status != 200]
    assert failed == [], f"{len(failed)} of {len(everything)} requests failed, e.g. {failed[:3]}"
    assert not broken & {call.version for call in everything}, "a broken version answered"
    for call in everything:
        assert call.version in expected
        np.testing.assert_allclose(call.predictions, expected[call.version], rtol=1e-9)

    windows = _serving_windows(good[0], moves)
    strays = [call for call in everything if not _fits(call, windows)]
    assert strays == [], f"answers from versions not serving then: {strays[:3]}, {moves}"
    strict = sum(_fits(call, _pointer_windows(good[0], moves)) for call in everything)
    print(
        f"\n{live.kind}: {len(everything)} answers, 0 failed; "
        f"{strict} named the pointer's holder during the request, "
        f"{len(everything) - strict} the version a move had just replaced (before the swap)"
    )

    final = moves[-1].target
    for log_ in calls:
        last = [call for call in log_ if call.start > final_taken]
        assert last, "every client kept asking after the last move"
        assert {call.version for call in last} == {final}

    assert ready["version"] == final
    assert metrics['requests_total{outcome="ok"}'] == len(everything)
    for outcome in ("rejected", "unavailable", "failed"):
        assert metrics[f'requests_total{{outcome="{outcome}"}}'] == 0
    refused = sum(1 for move in moves if not move.good)
    assert metrics["failed_swaps_total"] == refused == 3
    changes = len(windows) - 1  # the burst's two may not have happened: the server can skip it
    assert metrics["swaps_total"] in (changes, changes - 2)
    assert f"could not load {tampered}" in log and "integrity" in log
    assert f"could not load {pickled}" in log and "untrusted" in log
