"""`modelreg serve` beside `mlflow models serve`: latency and throughput for the demo's model.

    python benchmarks/serve.py [--quick] [--output FILE]

Both servers get the same object, the demo's first model (ridge, alpha 1, on the demo's
first 750 days of features): modelreg from a folder registry's production, MLflow from its
registry's `@production` alias (SQLite catalog, local artifacts), `--env-manager local`, one
uvicorn worker each, on loopback, in the same run. Load comes from wrk (C, another process:
`apt-get install wrk`), closed loop: each connection sends its next request when the answer
arrives, so "8 clients" is 8 connections always busy. Every request has the same JSON body,
MLflow's `{"dataframe_records": [...]}` form, which both accept; before measuring, each
server's answer is checked against the model's own predictions. Each cell is run several
times, the servers alternating, after a warm-up; the table shows medians with min-max.

modelreg serve reads production's pointer every second meanwhile (it follows the channel);
MLflow follows nothing. Needs mlflow (`pip install -e ".[bench]"`) and wrk.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import facts, machine, remove, scratch, table

FULL = {"seconds": 10, "warmup": 2, "repeat": 3}
QUICK = {"seconds": 2, "warmup": 1, "repeat": 1}
CLIENTS = (1, 8)
BATCHES = (1, 100)
_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="seconds, not minutes; prints only")
    parser.add_argument("--output", type=Path, help="Markdown file to write")
    args = parser.parse_args()
    missing = [what for what in ("mlflow", "wrk") if not _available(what)]
    if missing:
        print(f"needs {' and '.join(missing)}: pip install -e '.[bench]'; apt-get install wrk")
        return
    info = machine()
    report = _run(QUICK if args.quick else FULL, info)
    print(report)
    output = args.output or (None if args.quick else Path(__file__).parent / "results" / "serve.md")
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(report)
        print(f"written to {output}")


def _available(what: str) -> bool:
    if what == "wrk":
        return shutil.which("wrk") is not None
    try:
        __import__(what)
    except ImportError:
        return False
    return True


@dataclass(frozen=True)
class Server:
    """How to start one server, and where it answers."""

    name: str
    command: list[str]
    predict: str
    ready: str
    env: dict[str, str]
    url: str | None = None  # None: the server prints it (modelreg serve --port 0)


@dataclass(frozen=True)
class Sample:
    """One wrk run: requests a second, latency percentiles and server CPU a request (seconds)."""

    rps: float
    p50: float
    p99: float
    requests: int
    errors: int
    cpu: float = 0.0


def _run(plan: dict[str, int], info: dict[str, str]) -> str:
    import mlflow

    folder = scratch("serve")
    try:
        result, rows = _demo_model()
        servers = [_modelreg_server(folder, result), _mlflow_server(folder, result, rows)]
        results: dict[tuple[str, int, int], list[Sample]] = {}
        started: dict[str, float] = {}
        groups: dict[str, int] = {}
        with contextlib.ExitStack() as stack:
            endpoints = {}
            for server in servers:
                url, started[server.name], groups[server.name] = stack.enter_context(
                    _running(server, folder)
                )
                endpoints[server.name] = url + server.predict
            for batch in BATCHES:
                body = json.dumps({"dataframe_records": rows.tail(batch).to_dict("records")})
                script = _lua(folder, body)
                for endpoint in endpoints.values():
                    _check(endpoint, body, result.model.predict(rows.tail(batch)))
                for clients in CLIENTS:
                    for rep in range(plan["repeat"]):
                        names = list(endpoints) if rep % 2 == 0 else list(reversed(endpoints))
                        for name in names:
                            _wrk(endpoints[name], script, clients, plan["warmup"])
                            cpu = _cpu_seconds(groups[name])
                            sample = _wrk(endpoints[name], script, clients, plan["seconds"])
                            cpu = (_cpu_seconds(groups[name]) - cpu) / max(sample.requests, 1)
                            results.setdefault((name, clients, batch), []).append(
                                dataclasses.replace(sample, cpu=cpu)
                            )
        info = {
            **info,
            "load average at end (1, 5, 15 min)": ", ".join(f"{x:.2f}" for x in os.getloadavg()),
            "mlflow": mlflow.__version__,
            "wrk": _wrk_version(),
        }
        return _render(results, started, info, plan)
    finally:
        remove(folder)


def _demo_model() -> tuple[Any, Any]:
    """The demo's first model on the demo's data, and the feature rows requests are cut from."""
    from modelreg.training import TARGET, build_features, generate_prices, train_model
    from modelreg.training.demo import CANDIDATES, N_DAYS, WINDOW

    frame, features = build_features(generate_prices(N_DAYS, seed=0))
    name, params = CANDIDATES[0]
    window = frame.iloc[:WINDOW]
    result = train_model(window, features, TARGET, model=name, hyperparameters=params)
    return result, frame[features].iloc[WINDOW:].reset_index(drop=True)


def _modelreg_server(folder: Path, result: Any) -> Server:
    from modelreg import ModelRegistry

    registry = ModelRegistry(folder / "models")
    registry.promote(registry.register(result))
    command = [sys.executable, "-m", "modelreg", "serve", "-r", str(folder / "models")]
    return Server("modelreg serve", [*command, "--port", "0"], "/predict", "/ready", {})


def _mlflow_server(folder: Path, result: Any, rows: Any) -> Server:
    import mlflow
    from mlflow.models import infer_signature

    tracking = f"sqlite:///{folder / 'mlflow.db'}"
    mlflow.set_tracking_uri(tracking)
    # artifacts in the scratch folder too: by default MLflow writes ./mlruns where it is run
    artifacts = (folder / "mlflow-artifacts").as_uri()
    mlflow.set_experiment(experiment_id=mlflow.create_experiment("serve", artifacts))
    with mlflow.start_run():
        mlflow.sklearn.log_model(
            result.model,
            name="model",
            signature=infer_signature(rows, result.model.predict(rows)),
            registered_model_name="demo-ridge",
            pip_requirements=["scikit-learn"],
        )
    mlflow.MlflowClient().set_registered_model_alias("demo-ridge", "production", "1")
    port = _free_port()
    command = ["mlflow", "models", "serve", "-m", "models:/demo-ridge@production"]
    command += ["--env-manager", "local", "--host", "127.0.0.1", "--port", str(port)]
    env = {"MLFLOW_TRACKING_URI": tracking}
    return Server(
        "mlflow models serve", command, "/invocations", "/ping", env, f"http://127.0.0.1:{port}"
    )


@contextlib.contextmanager
def _running(server: Server, folder: Path) -> Iterator[tuple[str, float, int]]:
    """Start a server in its own process group; yields (URL, seconds to its first answer,
    the process group)."""
    log = folder / f"{server.name.split()[0]}.log"
    started = time.perf_counter()
    with open(log, "wb") as out:
        process = subprocess.Popen(
            server.command,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **server.env},
            start_new_session=True,
        )
    try:
        url = server.url or _wait(lambda: _printed_url(log), process, log)
        _wait(lambda: _answers(url + server.ready), process, log)
        yield url, time.perf_counter() - started, process.pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _cpu_seconds(group: int) -> float:
    """CPU time (user + system) used so far by the live processes of a process group."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rpartition(")")[2].split()
            if int(fields[2]) == group:  # pgrp; utime and stime follow at 11 and 12
                ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _wait(probe: Any, process: subprocess.Popen[bytes], log: Path, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped:\n{log.read_text()[-3000:]}")
        found = probe()
        if found:
            return found
        time.sleep(0.05)
    raise RuntimeError(f"the server did not start in {timeout} s:\n{log.read_text()[-3000:]}")


def _printed_url(log: Path) -> str | None:
    found = re.search(r"on (http://127\.0\.0\.1:\d+)/", log.read_text())
    return found.group(1) if found else None


def _answers(url: str) -> bool:
    import httpx

    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _check(endpoint: str, body: str, expected: Any) -> None:
    """The server answers this body with the model's own predictions, or the run stops."""
    import httpx
    import numpy as np

    answer = httpx.post(
        endpoint, content=body, headers={"Content-Type": "application/json"}, timeout=30
    )
    answer.raise_for_status()
    np.testing.assert_allclose(answer.json()["predictions"], expected, rtol=1e-9)


def _lua(folder: Path, body: str) -> Path:
    script = folder / "post.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = [==[{body}]==]\n"
    )
    return script


def _wrk(url: str, script: Path, clients: int, seconds: int) -> Sample:
    threads = min(clients, os.cpu_count() or 1)
    command = ["wrk", f"-t{threads}", f"-c{clients}", f"-d{seconds}s", "--latency"]
    command += ["--timeout", "30s", "-s", str(script), url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)$", out, re.MULTILINE))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)$", out, re.MULTILINE)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))
    return Sample(
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        p50=_seconds(latency["50"]),
        p99=_seconds(latency["99"]),
        requests=int(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
        errors=errors,
    )


def _seconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def _wrk_version() -> str:
    done = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    return (done.stdout + done.stderr).split("\n")[0].strip()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _cell(values: list[float], unit: str) -> str:
    scale, fmt = {"ms": (1000, "{:.2f}"), "rps": (1, "{:,.0f}")}[unit]
    median = fmt.format(statistics.median(values) * scale)
    if len(values) == 1:
        return median
    return f"{median} ({fmt.format(min(values) * scale)}-{fmt.format(max(values) * scale)})"


def _median(samples: list[Sample], field: str) -> float:
    return statistics.median(getattr(s, field) for s in samples)


def _render(
    results: dict[tuple[str, int, int], list[Sample]],
    started: dict[str, float],
    info: dict[str, str],
    plan: dict[str, int],
) -> str:
    rows = []
    for (name, clients, batch), samples in results.items():
        rows.append(
            [
                name,
                str(clients),
                str(batch),
                _cell([s.p50 for s in samples], "ms"),
                _cell([s.p99 for s in samples], "ms"),
                _cell([s.rps for s in samples], "rps"),
                _cell([s.cpu for s in samples], "ms"),
                str(sum(s.errors for s in samples)),
            ]
        )
    rows.sort(key=lambda r: (int(r[2]), int(r[1]), r[0]))
    ratios = []
    for clients in CLIENTS:
        for batch in BATCHES:
            ours = results[("modelreg serve", clients, batch)]
            theirs = results[("mlflow models serve", clients, batch)]
            throughput = _median(ours, "rps") / _median(theirs, "rps")
            latency = _median(theirs, "p50") / _median(ours, "p50")
            cpu = _median(theirs, "cpu") / _median(ours, "cpu")
            ratios.append(
                f"- {clients} client(s), {batch} row(s) a request: throughput x{throughput:.2f}, "
                f"p50 latency x{latency:.2f}, server CPU a request x{cpu:.2f}"
            )
    start_up = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in started.items())
    return "\n\n".join(
        [
            "# modelreg serve beside mlflow models serve",
            facts(info),
            f"wrk, closed loop, {plan['seconds']} s a run after {plan['warmup']} s of warm-up, "
            f"{plan['repeat']} run(s) a cell, servers alternating; median (min-max). One JSON "
            "body for both (`dataframe_records`); latency is wrk's, from request sent to answer "
            "read; server CPU is the user + system time of the server's processes during the "
            "run over the requests answered (what contention on a shared machine disturbs "
            "least); errors are non-2xx answers and socket errors.",
            table(
                [
                    "server",
                    "clients",
                    "rows a request",
                    "p50 ms",
                    "p99 ms",
                    "requests/s",
                    "server CPU ms a request",
                    "errors",
                ],
                rows,
            ),
            "modelreg / MLflow (higher: modelreg better):\n" + "\n".join(ratios),
            f"Start-up to the first answer (process start to /ready or /ping): {start_up}.",
        ]
    )


if __name__ == "__main__":
    main()
