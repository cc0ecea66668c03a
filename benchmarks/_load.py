"""Closed-loop HTTP load for the server comparison: wrk (default) or httpx threads.

An operation is a fixed list of requests (method, path with its query, JSON body or None),
sent in order, each on the answer of the one before; its rate is requests / len(list).

- **wrk** (C, a process of its own, `apt-get install wrk`): `connections` keep-alive
  connections over 2 threads, a Lua script cycling through the operation's requests with the
  token header. Against a trivial ASGI app on this machine it sent ~15,000 requests/s, far
  above any server here, for a few percent of a core at the rates measured.
- **httpx** (the round-three generator, kept for comparison: `--client httpx`): one thread and
  one `httpx.Client` per connection inside the benchmark's own Python process. Its ceiling on
  the same trivial app was ~1,000-1,700 requests/s using 0.5-1 core, about 0.5 ms of client
  CPU per request: at 200 requests/s a tenth of a core taken from the 2 the servers share.

Failures (a non-2xx answer, a socket error) are counted, and a round where most fail stops
the run. What an answer holds is checked once per side before the rounds (`check`).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

#: one request of an operation: method, path (with its query string), JSON body or None
Request = tuple[str, str, object]
CLIENTS = ("wrk", "httpx")


def default_client() -> str:
    return "wrk" if shutil.which("wrk") else "httpx"


def run(
    client: str,
    targets: dict[str, Sequence[Request]],
    connections: int,
    seconds: float,
    token: str,
) -> tuple[float, int, float]:
    """`connections` spread over the servers in `targets` (base URL -> its operation), each
    repeating its operation for `seconds`: (operations per second in all, failed requests,
    seconds elapsed)."""
    if client == "wrk":
        return _wrk(targets, connections, seconds, token)
    return _httpx(targets, connections, seconds, token)


def _share(targets: dict[str, Sequence[Request]], connections: int) -> list[int]:
    """Connections per target, as evenly as they divide."""
    count = len(targets)
    return [connections // count + (1 if i < connections % count else 0) for i in range(count)]


# --- wrk ------------------------------------------------------------------------------------


def _lua(requests: Sequence[Request], token: str) -> str:
    lines = ["local reqs = {}", "local i = 0", "init = function(args)"]
    for number, (method, path, body) in enumerate(requests, start=1):
        headers = f'{{["Authorization"] = "Bearer {token}"'
        data = "nil"
        if body is not None:
            headers += ', ["Content-Type"] = "application/json"'
            data = f"[==[{json.dumps(body)}]==]"
        lines.append(
            f'  reqs[{number}] = wrk.format("{method}", [==[{path}]==], {headers}}}, {data})'
        )
    lines += ["end", "request = function()", "  i = i % #reqs + 1", "  return reqs[i]", "end"]
    return "\n".join(lines) + "\n"


def _wrk(
    targets: dict[str, Sequence[Request]], connections: int, seconds: float, token: str
) -> tuple[float, int, float]:
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as folder:
        runs = []
        for number, ((url, requests), share) in enumerate(
            zip(targets.items(), _share(targets, connections), strict=True)
        ):
            script = Path(folder) / f"op{number}.lua"
            script.write_text(_lua(requests, token))
            threads = max(1, min(share, 2))
            command = [
                "wrk",
                f"-t{threads}",
                f"-c{share}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "60s",
            ]
            command += ["-s", str(script), url]
            runs.append(
                (len(requests), subprocess.Popen(command, stdout=subprocess.PIPE, text=True))
            )
        ops = 0.0
        failed = 0
        elapsed = 0.0
        for per_op, process in runs:
            out, _ = process.communicate()
            if process.returncode != 0:
                raise RuntimeError(f"wrk failed: {out}")
            done = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
            assert done is not None, out
            count = int(done.group(1))
            took = float(done.group(2)) * {"ms": 1e-3, "s": 1.0, "m": 60.0}[done.group(3)]
            bad = _failures(out)
            ops += (count - bad) / per_op / took
            failed += bad
            elapsed = max(elapsed, took)
            if bad > count / 2:
                raise RuntimeError(f"{bad} of {count} requests failed: {out}")
    return ops, failed, elapsed


def _failures(out: str) -> int:
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    sockets = re.search(r"Socket errors: (.*)$", out, re.MULTILINE)
    if sockets:
        errors += sum(int(n) for n in re.findall(r"\d+", sockets.group(1)))
    return errors


# --- httpx threads ----------------------------------------------------------------------------


def send(client: object, requests: Sequence[Request]) -> list[bytes]:
    """One operation through an httpx client: each answer's body; an error status raises."""
    bodies = []
    for method, path, body in requests:
        got = client.request(method, path, json=body)  # type: ignore[attr-defined]
        got.raise_for_status()
        bodies.append(got.content)
    return bodies


def _httpx(
    targets: dict[str, Sequence[Request]], connections: int, seconds: float, token: str
) -> tuple[float, int, float]:
    import httpx

    urls = [
        url
        for url, share in zip(targets, _share(targets, connections), strict=True)
        for _ in range(share)
    ]
    done = [0] * connections
    failures: list[BaseException] = []
    start = threading.Barrier(connections + 1)

    def worker(i: int) -> None:
        url = urls[i]
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
            send(client, targets[url])  # a warm-up: the connection, the server's first use
            start.wait()
            deadline = time.perf_counter() + seconds
            while time.perf_counter() < deadline:
                try:
                    send(client, targets[url])
                except Exception as exc:  # counted; the load goes on
                    failures.append(exc)
                    continue
                done[i] += 1

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in pool:
        thread.start()
    start.wait()
    started = time.perf_counter()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        print(f"    {len(failures)} failed; first: {failures[0]!r}", file=sys.stderr)
        if len(failures) > sum(done):
            raise RuntimeError(f"{len(failures)} of {len(failures) + sum(done)} requests failed")
    return sum(done) / elapsed, len(failures), elapsed
