"""One big artifact registered three ways, each beside the floor of the same work done by hand.

    python benchmarks/large_upload.py              # 1 GiB, 3 runs of each; writes results/large.md
    python benchmarks/large_upload.py --only server --repeat 5   # one comparison, with its floor
    python benchmarks/large_upload.py --quick      # 8 MiB, 1 run: for the test suite

1. a folder registry (`register_files`) vs `cp` + `sha256sum` of the same file;
2. through `modelreg server` (a folder registry behind it; the client's `register_files`
   uploads) vs the same floor; the server's peak RSS too;
3. a SQL catalog (PostgreSQL when it answers, else SQLite) with its artifacts in S3 on
   moto's server on loopback, embedded, vs boto3's `upload_file` of the same file to the
   same endpoint.

Every run is a fresh child process (so peak RSS is its own: VmHWM before and after), the
kinds interleaved round by round so load from other processes hits all alike. The source
file sits in the page cache for every run. Runs in the project's dev venv (moto[server] and
boto3 come with it); no MLflow needed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    Timing,
    cpu_seconds,
    facts,
    free_port,
    io_counters,
    load_average,
    machine,
    mib,
    publish,
    remove,
    scratch,
    table,
)

FULL = {"size_mib": 1024, "repeat": 3}
QUICK = {"size_mib": 8, "repeat": 1}
#: each comparison: the kinds of run it takes, ours first, then its floor
COMPARISONS = {"folder": ("folder", "cp"), "server": ("server", "cp"), "s3": ("s3", "boto3")}
BUCKET = "modelreg-bench"
_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="8 MiB, one run, for tests")
    parser.add_argument("--output", type=Path)
    parser.add_argument(
        "--only",
        choices=sorted(COMPARISONS),
        action="append",
        help="run only this comparison and its floor (repeatable; default: all three)",
    )
    parser.add_argument("--repeat", type=int, help="runs of each kind (default 3; --quick 1)")
    parser.add_argument("--size-mib", type=int, help="the artifact's size (default 1024)")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "SOURCE", "TARGET"), help="internal")
    args = parser.parse_args()
    if args.child:
        kind, source, target = args.child
        print(json.dumps(_child(kind, Path(source), target)))
        return
    plan = dict(QUICK if args.quick else FULL)
    if args.repeat is not None:
        plan["repeat"] = args.repeat
    if args.size_mib is not None:
        plan["size_mib"] = args.size_mib
    plan["only"] = args.only or sorted(COMPARISONS)
    report = run(plan)
    publish(report, args.output, "large.md", quick=args.quick)


def run(plan: dict[str, Any]) -> str:
    from _postgres import reachable, schema_url, scratch_database
    from _servers import modelreg_server

    info = machine()
    work = scratch("large")
    size = plan["size_mib"]
    try:
        source = work / "source"
        source.mkdir()
        (source / "model.pkl").write_bytes(b"\x80\x04K\x01.")  # pickle of the number 1
        data = random_file(source / "data.bin", size)
        catalog = contextlib.nullcontext(f"sqlite:///{work}/catalog.db")
        if reachable() is None:
            catalog = _schema(scratch_database, schema_url)
        wanted = [kind for name in plan["only"] for kind in COMPARISONS[name]]
        wanted = list(dict.fromkeys(kind for kind in _ORDER if kind in wanted))
        with contextlib.ExitStack() as stack:
            kinds = {
                "folder": (str(source), str(work / "folder")),
                "cp": (str(data), str(work / "copy.bin")),
            }
            server = moto = None
            catalog_url = ""
            if "server" in wanted:
                server = stack.enter_context(modelreg_server(str(work / "served"), work))
                kinds["server"] = (str(source), server.url)
            if "s3" in wanted:
                catalog_url = stack.enter_context(catalog)
                endpoint, moto = stack.enter_context(_moto(work))
                cache = str(work / "cache")  # not the user's: `main` left 1 GiB there per run
                where = {"catalog": catalog_url, "endpoint": endpoint, "cache": cache}
                kinds["s3"] = (str(source), json.dumps(where))
                kinds["boto3"] = (str(data), endpoint)
            samples: dict[str, list[dict[str, float]]] = {kind: [] for kind in wanted}
            before = load_average()
            for round_ in range(plan["repeat"]):
                order = wanted if round_ % 2 == 0 else list(reversed(wanted))
                for kind in order:
                    print(f"... {kind}, run {round_ + 1}", file=sys.stderr, flush=True)
                    samples[kind].append(_sample(kind, kinds[kind], server, moto))
            server_peak = server.peak_rss() if server is not None else 0
            after = load_average()
        return _report(info, size, samples, server_peak, before, after, catalog_url)
    finally:
        remove(work)


_ORDER = ("folder", "server", "cp", "s3", "boto3")


def _sample(kind: str, where: tuple[str, str], server: Any, moto: int | None) -> dict[str, float]:
    """One run of `kind` in a fresh process, with what the server or moto spent meanwhile."""
    pid = server.process.pid if server is not None else None
    served = io_counters(pid) if pid is not None else {}
    cpu = {
        "server": cpu_seconds(pid) if pid is not None else 0.0,
        "moto": cpu_seconds(moto) if moto is not None else 0.0,
    }
    sample = _in_child(kind, *where)
    sample["server_cpu"] = (cpu_seconds(pid) if pid is not None else 0.0) - cpu["server"]
    sample["moto_cpu"] = (cpu_seconds(moto) if moto is not None else 0.0) - cpu["moto"]
    if kind == "server" and pid is not None:
        after_io = io_counters(pid)
        for key in ("rchar", "wchar", "write_bytes"):
            sample[f"server_{key}"] = after_io.get(key, 0) - served.get(key, 0)
    return sample


@contextlib.contextmanager
def _schema(scratch_database: Any, schema_url: Any) -> Iterator[str]:
    with scratch_database("large") as database:
        yield schema_url(database, "modelreg")


def _report(
    info: dict[str, str],
    size: int,
    samples: dict[str, list[dict[str, float]]],
    server_peak: int,
    before: str,
    after: str,
    catalog: str,
) -> str:
    def timing(kind: str) -> Timing:
        return Timing(tuple(s["seconds"] for s in samples[kind]))

    def growth(kind: str) -> str:
        return mib(max(s["rss_growth"] for s in samples[kind]))

    floors = {"folder": "cp", "server": "cp", "cp": "cp", "s3": "boto3", "boto3": "boto3"}
    rows = []
    for kind, label in (
        ("folder", "folder registry: `register_files`"),
        ("server", "through `modelreg server` (client `register_files`)"),
        ("cp", "floor: `cp` + `sha256sum`"),
        ("s3", "SQL catalog + S3 (moto), embedded: `register_files`"),
        ("boto3", "floor: boto3 `upload_file`, same endpoint"),
    ):
        if kind not in samples:
            continue
        t, against = timing(kind), timing(floors[kind])
        rate = f"{size / t.median:.0f} MiB/s"
        rows.append([label, t.cell(), rate, f"{t.median / against.median:.2f}x", growth(kind)])
    io_rows = []
    for name, label in (
        ("folder", "folder registry (in-process)"),
        ("server", "server client"),
        ("s3", "S3 client (in-process)"),
        ("boto3", "boto3 `upload_file`"),
    ):
        if name not in samples:
            continue
        last = samples[name][-1]
        io_rows.append([label, _per_size(last["rchar"], size), _per_size(last["wchar"], size), ""])
        if name == "server":
            io_rows.append(
                [
                    "`modelreg server` process",
                    _per_size(last["server_rchar"], size),
                    _per_size(last["server_wchar"], size),
                    _per_size(last["server_write_bytes"], size),
                ]
            )
    io_table = table(["process (one run)", "read calls", "write calls", "written to disk"], io_rows)
    cpu_rows = []
    for name, label in (
        ("folder", "folder registry"),
        ("server", "through `modelreg server`"),
        ("cp", "`cp` + `sha256sum`"),
        ("s3", "SQL catalog + S3 (moto)"),
        ("boto3", "boto3 `upload_file`"),
    ):
        if name not in samples:
            continue
        med = lambda key, name=name: statistics.median(s[key] for s in samples[name])  # noqa: E731
        server_cpu = f"{med('server_cpu'):.1f}" if name == "server" else ""
        moto_cpu = f"{med('moto_cpu'):.1f}" if name in ("s3", "boto3") else ""
        cpu_rows.append([label, f"{med('client_cpu'):.1f}", server_cpu, moto_cpu])
    cpu_table = table(["operation", "client", "`modelreg server`", "moto"], cpu_rows)
    kind = "PostgreSQL" if catalog.startswith("postgresql") else "SQLite"
    served = (
        f"\n\n`modelreg server` (folder registry) peak RSS over the runs: {mib(server_peak)}.\n"
        if "server" in samples
        else "\n"
    )
    return (
        f"# A {size:,} MiB artifact: folder, server, S3\n\n"
        + facts(info)
        + f"\n- load average (1 min): {before} at the start, {after} at the end\n\n"
        "Each run is a fresh process; peak RSS growth is its VmHWM after the operation minus "
        "before it (the client's: the server's is below). The S3 runs use a "
        f"{kind} catalog and moto's server in its own process on loopback.\n\n"
        + table(["operation", "time", "rate", "vs its floor", "peak RSS growth"], rows)
        + served
        + "\n### Bytes moved per byte registered\n\n"
        "From /proc/PID/io around one run: `read calls` and `write calls` are the bytes of "
        "read and write system calls on files and the page cache (a socket's send and recv "
        "are not counted, so the network transfer itself is not in them), `written to "
        "disk` what reached the block layer. 1.0x = the file's size once.\n\n"
        + io_table
        + "\n\n### CPU seconds per run (median; user + system)\n\n"
        "The wall-clock time above minus these is waiting: on the disk, the network, or "
        "the other process.\n\n" + cpu_table + "\n"
    )


def _per_size(count: float, size_mib: int) -> str:
    return f"{count / (size_mib * 2**20):.1f}x"


def random_file(path: Path, size_mib: int) -> Path:
    """`size_mib` MiB of incompressible bytes (distinct 4 MiB blocks, cheaply)."""
    block = os.urandom(4 * 2**20)
    with open(path, "wb") as out:
        for i in range(max(size_mib // 4, 1)):
            out.write(block[i % 7 :] + block[: i % 7])
    return path


def shell(command: str) -> None:
    subprocess.run(command, shell=True, check=True, stdout=subprocess.DEVNULL)


@contextlib.contextmanager
def _moto(work: Path) -> Iterator[tuple[str, int]]:
    """moto's S3 server in a process of its own on a free loopback port, with a bucket;
    yields its endpoint and process id."""
    import boto3

    port = free_port()
    env = {**os.environ, **_CREDENTIALS}
    log = open(work / "moto.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _s3(boto3, endpoint).create_bucket(Bucket=BUCKET)
                break
            except Exception:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        yield endpoint, process.pid
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _s3(boto3: Any, endpoint: str) -> Any:
    return boto3.client("s3", endpoint_url=endpoint, **_boto_credentials())


def _boto_credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": _CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": _CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "region_name": _CREDENTIALS["AWS_DEFAULT_REGION"],
    }


def _in_child(kind: str, source: str, target: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, source, target],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, **_CREDENTIALS},
    )
    if done.returncode != 0:
        raise RuntimeError(f"the {kind} run failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _child(kind: str, source: Path, target: str) -> dict[str, float]:
    """In a fresh process: set up (untimed), then one timed register or upload, then clean up."""
    result = _child_timed(kind, source, target)
    used = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    result["client_cpu"] = sum(u.ru_utime + u.ru_stime for u in used) - _CPU_AT_START[0]
    io = io_counters(os.getpid())
    result.update({key: float(io.get(key, 0) - _IO_AT_START.get(key, 0)) for key in _IO_KEYS})
    return result


_IO_KEYS = ("rchar", "wchar", "write_bytes")
_IO_AT_START: dict[str, int] = {}
_CPU_AT_START = [0.0]


def _mark_start() -> None:
    """What the process has read, written and computed before the timed operation."""
    _IO_AT_START.update(io_counters(os.getpid()))
    used = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    _CPU_AT_START[0] = sum(u.ru_utime + u.ru_stime for u in used)


def _child_timed(kind: str, source: Path, target: str) -> dict[str, float]:
    peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # noqa: E731
    if kind == "cp":
        _mark_start()
        baseline = peak()
        started = time.perf_counter()
        shell(f"cp {source} {target} && sha256sum {target}")
        seconds = time.perf_counter() - started
        os.unlink(target)
        return {"seconds": seconds, "rss_growth": peak() - baseline}
    if kind == "boto3":
        import boto3

        client = _s3(boto3, target)
        _mark_start()
        baseline = peak()
        started = time.perf_counter()
        client.upload_file(str(source), BUCKET, f"boto3/{os.getpid()}")
        seconds = time.perf_counter() - started
        client.delete_object(Bucket=BUCKET, Key=f"boto3/{os.getpid()}")
        return {"seconds": seconds, "rss_growth": peak() - baseline}
    registry = _open(kind, target)
    registry.list_versions(limit=1)  # opened, schema checked, first-use imports done
    _mark_start()
    baseline = peak()
    started = time.perf_counter()
    name = registry.register_files(source, metrics={"rmse": 0.1}, features=["x"])
    seconds = time.perf_counter() - started
    growth = peak() - baseline
    registry.delete_version(name)
    registry.close()
    return {"seconds": seconds, "rss_growth": growth}


def _open(kind: str, target: str) -> Any:
    from modelreg import ModelRegistry

    if kind == "folder":
        return ModelRegistry(target, auto_cleanup=False)
    if kind == "server":
        from _servers import TOKEN

        return ModelRegistry(target, token=TOKEN)
    where = json.loads(target)
    return ModelRegistry(
        where["catalog"],
        artifacts=f"s3://{BUCKET}/modelreg",
        storage_options={"client_kwargs": {"endpoint_url": where["endpoint"]}},
        cache_dir=where["cache"],
        auto_cleanup=False,
    )


if __name__ == "__main__":
    main()
