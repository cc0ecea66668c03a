"""Finding 2: a read token could hang the server with `POST /api/verify`.

With a `files` entry naming `/dev/zero` (no size) in a stored metadata.json, each verify hashed
forever; 41 of them took every worker thread, `/api/health` stopped answering and the server
ignored SIGTERM. Now verify reads only regular files inside the version's folder and no more
bytes than recorded, runs one at a time per model off the event loop, and the server stops on
SIGTERM within 5 seconds, even with requests blocked on another writer's lock.
"""

from __future__ import annotations

import json
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from filelock import FileLock

from modelreg import ModelRegistry
from server.support import fill

from .support import READ_TOKEN, WRITE_TOKEN, auth, serve

PLANTED = {
    "/dev/zero": {"sha256": "0" * 64},
    "../../../../../../dev/zero": {"sha256": "0" * 64},
    "model.pkl.link": {"sha256": "0" * 64, "bytes": 10},
}


def _plant(root: Path, name: str) -> None:
    """What a tampered registry holds: a metadata.json whose files lead out of the folder."""
    path = root / name / "metadata.json"
    meta = json.loads(path.read_text())
    meta["files"].update(PLANTED)
    path.write_text(json.dumps(meta))
    (root / name / "model.pkl.link").symlink_to("/dev/zero")


def test_verify_stays_bounded_and_the_server_stops_on_sigterm(tmp_path: Path) -> None:
    root = tmp_path / "models"
    names = fill(ModelRegistry(root), 2)
    _plant(root, names[0])
    with serve(root, tmp_path) as server:
        with ThreadPoolExecutor(max_workers=41) as pool:
            calls = [
                pool.submit(
                    httpx.post,
                    f"{server.url}/api/verify",
                    json={},
                    headers=auth(READ_TOKEN),
                    timeout=120,
                )
                for _ in range(41)
            ]
            time.sleep(0.5)
            for _ in range(5):  # answered while 41 verifies are queued or running
                assert httpx.get(f"{server.url}/api/health", timeout=5).status_code == 200
            answers = [call.result() for call in calls]
        for answer in answers:
            assert answer.status_code == 200, answer.text
            problems = answer.json()["problems"]
            assert [p["kind"] for p in problems] == ["integrity"], problems
            assert problems[0]["where"] == names[0]
        with FileLock(str(root / ".lock")):  # another writer holds the registry: repairs wait
            waiting = _requests_in_flight(server.url)
            server.process.send_signal(signal.SIGTERM)
            server.process.wait(timeout=5)  # the bound: stopped within 5 s of SIGTERM
            waiting.shutdown(wait=False, cancel_futures=True)


def _requests_in_flight(url: str) -> ThreadPoolExecutor:
    """Repairs blocked on the lock and verifies queued behind them when the stop comes."""
    pool = ThreadPoolExecutor(max_workers=8)
    for number in range(8):
        pool.submit(
            httpx.post,
            f"{url}/api/verify",
            json={"repair": number % 2 == 0},
            headers=auth(WRITE_TOKEN),
            timeout=60,
        )
    time.sleep(1.0)
    return pool
