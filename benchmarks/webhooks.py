"""How soon a CD job hears of a promotion, and what following the log costs per poll.

    python benchmarks/webhooks.py            # 30 promotions a kind, logs of 1,000 and 10,000
    python benchmarks/webhooks.py --quick    # 3 promotions, a log of 200: for the test suite

1. promote -> a webhook receiver on loopback has the signed call (the dispatcher's default
   poll of 0.5 s), on a folder and on SQLite;
2. promote -> the event arrives on `GET /api/events/stream` of a live server (poll 0.5 s);
3. one poll: reading the log after a cursor (`read_feed`), which each hook and each open
   stream does every poll, for logs of growing length: the cost that bounds how many hooks
   and streams a server can carry.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _common import Timing, facts, load_average, machine, measure, publish, table

FULL = {"promotions": 30, "logs": (1_000, 10_000)}
QUICK = {"promotions": 3, "logs": (200,)}


def open_kind(kind: str, folder: Path) -> Any:
    from modelreg import ModelRegistry

    if kind == "folder":
        return ModelRegistry(folder / "models")
    return ModelRegistry(f"sqlite:///{folder / 'r.db'}", cache_dir=folder / "cache")


def webhook_latency(kind: str, promotions: int) -> Timing:
    from hooks.support import Receiver, config, wait_until
    from modelreg.hooks.dispatcher import Dispatcher
    from modelreg.testing.support import make_result

    folder = Path(tempfile.mkdtemp(prefix="modelreg-bench-hooks-"))
    registry = open_kind(kind, folder)
    names = [registry.register(make_result(seed)) for seed in range(2)]
    receiver = Receiver().start()
    samples = []
    try:
        hooks = config(folder, {"url": receiver.url, "events": ["promote"], "start": "end"})
        hooks = type(hooks)(**{**hooks.__dict__, "poll": 0.5})
        with Dispatcher(hooks, registry):
            for n in range(promotions):
                started = time.perf_counter()
                registry.promote(names[n % 2])
                wait_until(lambda n=n: len(receiver.calls) > n, "the call")
                samples.append(time.perf_counter() - started)
    finally:
        receiver.stop()
        registry.close()
    return Timing(tuple(samples))


def stream_latency(promotions: int) -> Timing:
    from modelreg.hooks import EventFilter, follow
    from modelreg.serving.server import create_app
    from modelreg.testing.support import make_result
    from server.support import READ_TOKEN, TOKENS, running_app

    folder = Path(tempfile.mkdtemp(prefix="modelreg-bench-sse-"))
    registry = open_kind("folder", folder)
    names = [registry.register(make_result(seed)) for seed in range(2)]
    arrived: list[float] = []
    samples = []
    with running_app(create_app(registry, tokens=TOKENS, event_poll=0.5)) as url:
        from modelreg import ModelRegistry

        remote = ModelRegistry(url, token=READ_TOKEN)
        start = len(registry.events())

        def listen() -> None:
            wanted = EventFilter.of(["promote"])
            for _ in follow(
                remote, after=start, wanted=wanted, stop=lambda: len(arrived) >= promotions
            ):
                arrived.append(time.perf_counter())

        threading.Thread(target=listen, daemon=True).start()
        for n in range(promotions):
            started = time.perf_counter()
            registry.promote(names[n % 2])
            while len(arrived) <= n:
                time.sleep(0.005)
            samples.append(arrived[n] - started)
    return Timing(tuple(samples))


def poll_cost(kind: str, length: int) -> Timing:
    from modelreg.events import Event
    from modelreg.hooks import read_feed
    from modelreg.metadata import iso_utc, utc_now

    folder = Path(tempfile.mkdtemp(prefix="modelreg-bench-poll-"))
    registry = open_kind(kind, folder)
    backend = registry.backend
    with backend.transaction():
        for n in range(length):
            backend.append_event(Event(iso_utc(utc_now()), "tag", version=f"20260101_{n:06d}"))
    timing = measure(lambda: read_feed(registry, length - 1), repeat=10)
    registry.close()
    return timing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    size = QUICK if args.quick else FULL
    rows = [
        [f"promote -> webhook call ({kind})", webhook_latency(kind, size["promotions"]).cell()]
        for kind in ("folder", "sqlite")
    ]
    rows.append(
        ["promote -> SSE event (folder, live server)", stream_latency(size["promotions"]).cell()]
    )
    for kind in ("folder", "sqlite"):
        for length in size["logs"]:
            rows.append([f"one poll, log of {length:,} ({kind})", poll_cost(kind, length).cell()])
    report = "\n\n".join(
        [
            "# Webhooks and the change feed",
            facts({**machine(), "load average": load_average()}),
            table(["what", "seconds: median (spread)"], rows),
        ]
    )
    publish(report, args.output, "webhooks.md", quick=args.quick)


if __name__ == "__main__":
    main()
