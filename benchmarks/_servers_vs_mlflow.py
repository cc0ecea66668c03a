"""`compare_mlflow.py --server`: `modelreg server` vs `mlflow server`, one PostgreSQL database.

Both servers run as child processes on loopback, one process each: `modelreg server`
(uvicorn, one worker, sync routes on its thread pool) and `mlflow server --workers 1`
(uvicorn, one worker), on one scratch database: modelreg's catalog in schema `modelreg`,
MLflow's tables in `public`; artifacts on local disk (modelreg's blob store; MLflow's
`--artifacts-destination`, served through its proxy). Each is filled to 1,000 versions (the
first through its API, the rest copied in SQL), then loaded by 8 keep-alive connections
from wrk (`_load.py`; `--client httpx`: 8 httpx threads in this process, round three's) for
a fixed time per round, the two sides alternating round by round. Reads are single
requests where the API allows it (MLflow's production metadata needs two: the alias, then
the run that holds the metrics). Register + promote goes through each side's own Python
client (counted once: modelreg's sends 2 requests, MLflow's 28: run, params, metrics, the
logged model, five artifact uploads, the version, the alias, ...).
A second `modelreg server` on the same catalog measures how reads scale across processes.
"""

from __future__ import annotations

import os
import statistics
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import _load as load
import workload
from _common import (
    Timing,
    facts,
    load_average,
    machine,
    measure,
    mib,
    remove,
    scratch,
    table,
)
from _load import Request
from _mlflow_side import NAME, MLflowSide, clone_versions, quiet
from _modelreg_side import ModelregSide
from _postgres import analyze, reachable, schema_url, scratch_database
from _servers import TOKEN, Server, mlflow_server, modelreg_server

FULL = {"versions": 1_000, "threads": 8, "seconds": 8.0, "rounds": 3, "writes": 3, "big_mib": 1024}
QUICK = {"versions": 20, "threads": 2, "seconds": 0.5, "rounds": 1, "writes": 1, "big_mib": 4}
_SEARCH = {
    "filter": "metrics.direction_accuracy >= 0.55 and metrics.rmse <= 0.03",
    "max_results": workload.LIMIT,
    "order_by": ["attributes.start_time DESC"],
}

#: an operation: the requests it sends, in order (`_load.Request`), each of which must succeed
Op = Sequence[Request]
#: what an operation's answers (their bodies) must hold, checked before the rounds
Check = Callable[[list[bytes]], bool]


#: the parts of a run (`compare_mlflow.py --server --parts ...`)
PARTS = frozenset({"reads", "writes", "big", "scaling"})


def compare(
    *,
    quick: bool,
    parts: frozenset[str] = PARTS,
    rounds: int | None = None,
    seconds: float | None = None,
    client: str | None = None,
) -> str | None:
    import mlflow

    unknown = parts - PARTS
    if unknown:
        raise SystemExit(f"unknown parts {sorted(unknown)}: choose from {sorted(PARTS)}")

    why = reachable()
    if why is not None:
        print(f"PostgreSQL is not reachable ({why}): skipping the comparison")
        return None
    quiet()
    plan = dict(QUICK if quick else FULL)
    plan.update({k: v for k, v in (("rounds", rounds), ("seconds", seconds)) if v is not None})
    info = machine()
    info["mlflow"] = mlflow.__version__
    info["modelreg server"] = "1 process (uvicorn, 1 worker; sync routes on its thread pool)"
    info["mlflow server"] = "1 process (`--workers 1`, uvicorn)"
    plan["client"] = client or load.default_client()
    if plan["client"] not in load.CLIENTS:
        raise SystemExit(f"unknown client {plan['client']!r}: choose from {load.CLIENTS}")
    info["clients"] = (
        f"{plan['threads']} keep-alive connections from wrk (2 threads, its own process)"
        if plan["client"] == "wrk"
        else f"{plan['threads']} threads, httpx, one client each, in the bench process"
    )
    info["parts"] = ", ".join(sorted(parts))
    model = workload.train()
    work = scratch("servers")
    try:
        with scratch_database("servers") as database:
            ours_url = schema_url(database, "modelreg")
            blobs = str(work / "blobs")
            with (
                modelreg_server(ours_url, work, artifacts=blobs) as ours,
                mlflow_server(database, work / "mlflow-artifacts", work) as theirs,
            ):
                targets = _fill(plan, model, ours, theirs, database, ours_url)
                body = _scenarios(plan, model, ours, theirs, targets, work, parts)
                scaling = ""
                if "scaling" in parts:
                    with modelreg_server(ours_url, work, artifacts=blobs) as second:
                        scaling = _scaling(plan, ours, second, targets)
    finally:
        remove(work)
    return (
        "# modelreg server vs mlflow server, one PostgreSQL database\n\n"
        + facts(info)
        + f"\n- load average at the end: {load_average()}\n\n"
        + body
        + "\n\n"
        + scaling
        + "\n"
    )


# --- filling both sides ----------------------------------------------------------------------


def _fill(
    plan: dict[str, Any],
    model: Any,
    ours: Server,
    theirs: Server,
    database: str,
    ours_url: str,
) -> dict[str, str]:
    """`versions` on each side; returns what the scenarios read (names, paths, run ids)."""
    mine = ModelregSide(ours.url, model, token=TOKEN)
    yours = MLflowSide(theirs.url, "", model)
    for _ in range(3):
        mine.register()
        yours.register()
    need = plan["versions"] - 3
    workload.fill_catalog(ours_url, mine.names[0], need)
    clone_versions(database, yours, need)
    analyze(database)  # as autovacuum would, in time
    mine.registry.promote_to_production(mine.names[-1])
    yours.client.set_registered_model_alias(NAME, "production", yours.versions[-1])
    version = yours.client.get_model_version(NAME, yours.versions[-1])
    logged = yours.client.get_logged_model(version.source.removeprefix("models:/"))
    location = logged.artifact_location.removeprefix("mlflow-artifacts:/")
    mine.close()
    return {
        "ours_version": mine.names[-1],
        "run_id": version.run_id,
        "theirs_model_path": f"{location}/model.pkl",
        "experiment": yours.experiment,
    }


# --- the scenarios -------------------------------------------------------------------------


def _reads(targets: dict[str, str]) -> list[tuple[str, Op, Op, Check]]:
    """(label, ours, theirs, what a download's answer must hold) for each read scenario.

    MLflow's production metadata is two requests (the alias, then the run holding the
    metrics); the run's id is the production version's, known from the fill, so both
    requests go out as a client that read the first answer would send them."""
    filtered = urlencode(
        {"min": "direction_accuracy:0.55", "max": "rmse:0.03", "limit": workload.LIMIT}
    )
    alias = urlencode({"name": NAME, "alias": "production"})
    search = {**_SEARCH, "experiment_ids": [targets["experiment"]]}
    big = lambda bodies: len(bodies[-1]) > 10_000  # noqa: E731
    some = lambda bodies: all(bodies)  # noqa: E731
    return [
        (
            "production metadata",
            [("GET", "/api/versions/latest", None)],
            [
                ("GET", f"/api/2.0/mlflow/registered-models/alias?{alias}", None),
                ("GET", f"/api/2.0/mlflow/runs/get?run_id={targets['run_id']}", None),
            ],
            some,
        ),
        (
            "filtered latest 10 (2 metric filters)",
            [("GET", f"/api/versions?{filtered}", None)],
            [("POST", "/api/2.0/mlflow/runs/search", search)],
            some,
        ),
        (
            "download the 50 KB model",
            [("GET", f"/api/versions/{targets['ours_version']}/files/model.pkl", None)],
            [("GET", f"/api/2.0/mlflow-artifacts/artifacts/{targets['theirs_model_path']}", None)],
            big,
        ),
    ]


def _scenarios(
    plan: dict[str, Any],
    model: Any,
    ours: Server,
    theirs: Server,
    targets: dict[str, str],
    work: Path,
    parts: frozenset[str] = PARTS,
) -> str:
    rss_idle = (ours.rss(), theirs.rss())
    rows = []
    for label, ours_op, theirs_op, check in _reads(targets) if "reads" in parts else []:
        print(f"... {label}", file=sys.stderr, flush=True)
        _check(ours.url, ours_op, check)
        _check(theirs.url, theirs_op, check)
        started_load = load_average()
        cpu = {"ours": ours.cpu, "theirs": theirs.cpu}
        a, b, errors = _rounds(plan, {ours.url: ours_op}, {theirs.url: theirs_op}, cpu)
        requests = f"{len(ours_op)} / {len(theirs_op)}"
        rows.append(_row(label, a, b, requests, errors, started_load))
    if "writes" in parts:
        print("... register + promote", file=sys.stderr, flush=True)
        started_load = load_average()
        a, b = _write_rounds(plan, model, ours, theirs)
        no_errors = {"ours": 0, "theirs": 0}  # a failed write stops the run instead
        rows.append(
            _row("register + promote (each side's client)", a, b, "2 / 28", no_errors, started_load)
        )
    rss_busy = (ours.rss(), theirs.rss())
    big = ""
    if "big" in parts:
        print(f"... {plan['big_mib']} MiB register", file=sys.stderr, flush=True)
        big = _big_register(plan, ours, theirs, work)
    headers = [
        "scenario",
        "modelreg (ops/s)",
        "mlflow server (ops/s)",
        "ratio (per-round min-max)",
        "server CPU ms per op (ours / theirs)",
        "requests per op (ours / theirs)",
        "failed ops (ours / theirs)",
        "load at start",
    ]
    memory = table(
        ["server", "RSS after start and fill", "RSS after the scenarios", "peak RSS (VmHWM)"],
        [
            ["modelreg server", mib(rss_idle[0]), mib(rss_busy[0]), mib(ours.peak_rss())],
            ["mlflow server", mib(rss_idle[1]), mib(rss_busy[1]), mib(theirs.peak_rss())],
        ],
    )
    return (
        f"## {plan['threads']} client connections ({plan['client']}), "
        f"{plan['versions']:,} versions\n\n"
        f"Operations per second over {plan['rounds']} rounds of {plan['seconds']:g} s per side "
        "(register + promote: a fixed number per thread), the sides alternating; median "
        "(min-max). ratio = modelreg / mlflow server (higher: modelreg faster), with the "
        "min-max of the per-round ratios; server CPU = the server process tree's user + "
        "system CPU per successful operation, median of the rounds (less sensitive to the "
        "machine's load than the rates).\n\n"
        + table(headers, rows)
        + "\n\n"
        + big
        + "\n\n### Server memory\n\n"
        + memory
    )


def _row(
    label: str, a: Timing, b: Timing, requests: str, errors: dict[str, Any], load: str
) -> list[str]:
    failed = f"{errors['ours']} / {errors['theirs']}"
    paired = [x / y for x, y in zip(a.samples, b.samples, strict=True) if y > 0]
    ratio = f"{a.median / b.median:.2f}x ({min(paired):.2f}-{max(paired):.2f})"
    spent = errors.get("cpu") or {}
    cpu = (
        f"{statistics.median(spent['ours']):.2f} / {statistics.median(spent['theirs']):.2f}"
        if spent.get("ours") and spent.get("theirs")
        else "-"
    )
    return [label, _rate(a), _rate(b), ratio, cpu, requests, failed, load]


def _rate(timing: Timing) -> str:
    low, high = min(timing.samples), max(timing.samples)
    return f"{timing.median:.1f} ({low:.1f}-{high:.1f})"


def _rounds(
    plan: dict[str, Any],
    ours: dict[str, Op],
    theirs: dict[str, Op],
    cpu: dict[str, Callable[[], float]] | None = None,
) -> tuple[Timing, Timing, dict[str, Any]]:
    """Successful operations per second of each side, round by round, alternating which goes
    first; and how many operations failed on each side (an error answer counts, and the
    thread goes on, as a load generator's does). With `cpu` (side -> the server's CPU seconds
    so far), also each side's server CPU milliseconds per operation, round by round."""
    rates: dict[str, list[float]] = {"ours": [], "theirs": []}
    spent: dict[str, list[float]] = {"ours": [], "theirs": []}
    errors: dict[str, Any] = {"ours": 0, "theirs": 0}
    sides = [("ours", ours), ("theirs", theirs)]
    for round_ in range(plan["rounds"]):
        for key, ops in sides if round_ % 2 == 0 else reversed(sides):
            before = cpu[key]() if cpu else 0.0
            rate, failed, elapsed = _load(plan, ops)
            if cpu and rate > 0:
                spent[key].append(1000 * (cpu[key]() - before) / (rate * elapsed))
            rates[key].append(rate)
            errors[key] += failed
    errors["cpu"] = spent
    return Timing(tuple(rates["ours"])), Timing(tuple(rates["theirs"])), errors


def _load(plan: dict[str, Any], ops: dict[str, Op]) -> tuple[float, int, float]:
    """`threads` connections spread over the servers in `ops`, each repeating its operation
    for `seconds`, from the plan's client (wrk or httpx threads, `_load.py`)."""
    return load.run(plan["client"], ops, plan["threads"], plan["seconds"], TOKEN)


def _check(url: str, op: Op, check: Check) -> None:
    """One operation through httpx: every answer a success, and what `check` wants in them."""
    import httpx

    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        bodies = load.send(client, op)
    if not check(bodies):
        raise RuntimeError(f"{url}: unexpected answers to {op}")


def _write_rounds(
    plan: dict[str, Any], model: Any, ours: Server, theirs: Server
) -> tuple[Timing, Timing]:
    """Register + promote through each side's client, `writes` per thread per round."""
    clients = {
        "ours": [ModelregSide(ours.url, model, token=TOKEN) for _ in range(plan["threads"])],
        "theirs": [MLflowSide(theirs.url, "", model) for _ in range(plan["threads"])],
    }
    rates: dict[str, list[float]] = {"ours": [], "theirs": []}
    order = ["ours", "theirs"]
    for round_ in range(plan["rounds"]):
        for key in order if round_ % 2 == 0 else reversed(order):
            rates[key].append(_writes(clients[key], plan["writes"]))
    for side in clients["ours"]:
        side.close()
    return Timing(tuple(rates["ours"])), Timing(tuple(rates["theirs"]))


def _writes(sides: list[Any], count: int) -> float:
    failures: list[BaseException] = []

    def worker(side: Any) -> None:
        try:
            for _ in range(count):
                side.register_and_promote()
        except Exception as exc:  # recorded, and the run fails below
            failures.append(exc)

    pool = [threading.Thread(target=worker, args=(side,)) for side in sides]
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} writes failed; first: {failures[0]!r}")
    return len(sides) * count / elapsed


# --- one big upload ------------------------------------------------------------------------


def _big_register(plan: dict[str, Any], ours: Server, theirs: Server, work: Path) -> str:
    """One client registers a big file: modelreg's client vs MLflow's, vs `cp` + `sha256sum`."""
    from large_upload import random_file, shell

    from modelreg import ModelRegistry

    size = plan["big_mib"]
    source = work / "big"
    source.mkdir()
    data = random_file(source / "data.bin", size)
    registry = ModelRegistry(ours.url, token=TOKEN)
    mlflow_client = MLflowSide(theirs.url, "", None).client
    experiment = mlflow_client.get_experiment_by_name("bench").experiment_id

    def ours_register() -> None:
        name = registry.register_files(source, metrics={"rmse": 0.1}, features=["x"])
        registry.delete_version(name)  # keep the server's disk from filling up

    def theirs_register() -> None:
        run = mlflow_client.create_run(experiment)
        mlflow_client.log_artifact(run.info.run_id, str(data), "model")
        mlflow_client.create_model_version(
            NAME, f"{run.info.artifact_uri}/model", run_id=run.info.run_id
        )
        mlflow_client.set_terminated(run.info.run_id)

    copy = work / "copy.bin"
    floor = lambda: shell(f"cp {data} {copy} && sha256sum {copy} && rm {copy}")  # noqa: E731
    repeat = 1 if plan["rounds"] == 1 else 2
    timings = {"ours": [], "theirs": [], "floor": []}
    before = load_average()
    for round_ in range(repeat):
        order = [("ours", ours_register), ("theirs", theirs_register), ("floor", floor)]
        for key, action in order if round_ % 2 == 0 else reversed(order):
            timings[key].append(measure(action, 1).samples[0])
    registry.close()
    a, b, f = (Timing(tuple(timings[k])) for k in ("ours", "theirs", "floor"))
    rows = [
        ["modelreg server (`register_files` over HTTP)", a.cell(), f"{a.median / f.median:.2f}x"],
        ["mlflow server (`log_artifact` + model version)", b.cell(), f"{b.median / f.median:.2f}x"],
        ["floor: `cp` + `sha256sum`", f.cell(), "1.00x"],
    ]
    return (
        f"### Register a {size:,} MiB file through the server\n\nOne client, "
        f"{repeat} run(s) each, interleaved; load average {before} at the start, "
        f"{load_average()} at the end. modelreg / mlflow server = "
        f"{a.median / b.median:.2f}x (above 1: modelreg slower).\n\n"
        + table(["operation", "time", "vs floor"], rows)
    )


# --- read scaling across processes -------------------------------------------------------------


def _scaling(plan: dict[str, Any], first: Server, second: Server, targets: dict[str, str]) -> str:
    rows = []
    before = load_average()
    for label, ours_op, _theirs, _check in _reads(targets):
        one, two, errors = _rounds(
            plan, {first.url: ours_op}, {first.url: ours_op, second.url: ours_op}
        )
        failed = f"{errors['ours']} / {errors['theirs']}"
        rows.append([label, _rate(one), _rate(two), f"{two.median / one.median:.2f}x", failed])
    return (
        "## Read scaling: two `modelreg server` processes on one catalog\n\n"
        f"The same {plan['threads']} client connections, split evenly over two server processes "
        f"(each 1 worker), against one; rounds alternating. Load average {before} at the "
        f"start, {load_average()} at the end. This machine has {os.cpu_count()} cores, shared "
        "by the load generator, both servers, PostgreSQL and whatever "
        "else runs, so near-linear scaling shows only where cores are spare; the ratio says "
        "how much more a second process gets.\n\n"
        + table(
            ["scenario", "1 process (ops/s)", "2 processes (ops/s)", "2 / 1", "failed (1 / 2)"],
            rows,
        )
    )
