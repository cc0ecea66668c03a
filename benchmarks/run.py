"""The modelreg benchmark suite: every registry operation at 1,000, 10,000 and 100,000 versions.

    python benchmarks/run.py            # full: 1k/10k/100k versions, a 1 GiB artifact
    python benchmarks/run.py --quick    # CI: 50/200 versions, an 8 MiB artifact, < 1 minute

Figures are medians with their spread over repeated runs, beside floors (what the same work
costs done by hand) and peak memory. Nothing is asserted about time; the full run writes
Markdown to `--output` (default benchmarks/results/run.md), the quick one prints it only.
Large registries are built by `workload.build_registry`, which writes the files `register`
writes; scratch data lives under /tmp/modelreg-bench-* and is removed at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pickle
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import workload
from _common import (
    Timing,
    facts,
    interleaved,
    load_average,
    machine,
    measure,
    mib,
    ms,
    peak_python_memory,
    process_rss,
    publish,
    remove,
    scratch,
    table,
)

from modelreg import ModelRegistry
from modelreg.backends.local import LocalBackend
from modelreg.events import Event, encode_event
from modelreg.versions import is_version_name

FULL = {"sizes": [1_000, 10_000, 100_000], "artifact_mib": 1024, "repeat": 20, "few": 5}
QUICK = {"sizes": [50, 200], "artifact_mib": 8, "repeat": 5, "few": 3}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for CI")
    parser.add_argument("--output", type=Path, help="Markdown file to write")
    parser.add_argument("--sizes", type=int, nargs="*", help="override the registry sizes")
    parser.add_argument("--skip-artifact", action="store_true", help="no large-artifact run")
    parser.add_argument(
        "--folder-only",
        action="store_true",
        help="only the folder registry's rows (no SQLite catalog, no index-less listing)",
    )
    parser.add_argument(
        "--large-child", nargs=2, metavar=("ROOT", "SOURCE"), help=argparse.SUPPRESS
    )
    parser.add_argument("--verify-child", metavar="ROOT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.large_child:
        print(json.dumps(_large_child(Path(args.large_child[0]), Path(args.large_child[1]))))
        return
    if args.verify_child:
        print(json.dumps(_verify_child(Path(args.verify_child))))
        return
    plan = dict(QUICK if args.quick else FULL)
    plan["folder_only"] = args.folder_only
    if args.sizes:
        plan["sizes"] = args.sizes
    info = machine()
    sections = [f"## Machine\n\n{facts(info)}"]
    model = workload.train()
    medians: dict[int, dict[str, float]] = {}
    for size in plan["sizes"]:
        print(f"... {size} versions", file=sys.stderr, flush=True)
        section, medians[size] = _at_size(size, model, plan)
        sections.append(section)
    if len(medians) > 1:
        sections.append(_growth(medians))
    if not args.skip_artifact:
        print(f"... {plan['artifact_mib']} MiB artifact", file=sys.stderr, flush=True)
        sections.append(_large_artifact(plan["artifact_mib"], 1 if args.quick else 3))
    print("... PredictionService", file=sys.stderr, flush=True)
    sections.append(_prediction_overhead(50 if args.quick else 300))
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sections.append(f"Peak RSS of the whole benchmark process: {mib(usage * 1024)}.")
    report = "# modelreg benchmark suite\n\n" + "\n\n".join(sections) + "\n"
    publish(report, args.output, "run.md", quick=args.quick)


# --- one registry size ---------------------------------------------------------------------


def _at_size(size: int, model: Any, plan: dict[str, Any]) -> tuple[str, dict[str, float]]:
    work = scratch(str(size))
    try:
        root = work / "models"
        started = time.perf_counter()
        names = workload.build_registry(root, size, model)
        built = time.perf_counter() - started
        registry = ModelRegistry(root, auto_cleanup=False)
        load = load_average()
        medians: dict[str, float] = {}
        rows = _operations(registry, root, names, model, plan, size, medians)
        registry.close()
        head = (
            f"## {size:,} versions\n\nBuilt by the fast path in {ms(built)}; load average "
            f"(1 min) {load} at the start, {load_average()} at the end. Figures are median "
            "(spread) of wall-clock time; memory is the peak Python allocation (tracemalloc) "
            "during one extra, untimed run, or, where it says RSS, the peak resident memory "
            "of a fresh process that did only that. A floor measured beside an operation ran "
            "interleaved with it (one of each per round).\n\n"
        )
        return head + table(["operation", "time", "peak memory", "note"], rows), medians
    finally:
        remove(work)


def _growth(medians: dict[int, dict[str, float]]) -> str:
    """How each operation's median grows from the smallest registry to the largest."""
    sizes = sorted(medians)
    small, large = sizes[0], sizes[-1]
    rows = []
    for label in medians[large]:
        if label not in medians[small] or label.startswith("  floor"):
            continue
        cells = [ms(medians[size][label]) if label in medians[size] else "" for size in sizes]
        growth = medians[large][label] / medians[small][label]
        rows.append([label.strip(), *cells, f"{growth:.1f}x"])
    headers = ["operation", *(f"{size:,}" for size in sizes), f"{large:,} / {small:,}"]
    return (
        f"## Cost growth from {small:,} to {large:,} versions\n\n"
        "Medians from the tables above; a flat operation stays near 1x.\n\n" + table(headers, rows)
    )


def _operations(
    registry: ModelRegistry,
    root: Path,
    names: list[str],
    model: Any,
    plan: dict[str, Any],
    size: int,
    medians: dict[str, float],
) -> list[list[str]]:
    repeat, few = plan["repeat"], plan["few"]
    big = size >= 100_000
    rows: list[list[str]] = []
    seeds = iter(range(10**6))

    def row(
        label: str, timing: Timing, action: Any = None, note: str = "", memory: str = ""
    ) -> None:
        if action is not None:
            memory = mib(peak_python_memory(action))
        rows.append([label, timing.cell(), memory, note])
        medians[label] = timing.median

    def floor_row(what: str, operation: str, timings: dict[str, Timing]) -> None:
        """The floor measured interleaved with `operation`, and how far above it that is."""
        ratio = timings["op"].median / timings["floor"].median
        row(f"  floor: {what}", timings["floor"], None, f"{operation} / floor = {ratio:.1f}x")

    first = measure(lambda: registry.list_versions(limit=1), 1)
    row("index build (first list after the folder was written)", first, None, "once")
    plain = ModelRegistry(backend=LocalBackend(root, index=False), auto_cleanup=False)

    def register() -> None:
        registry.register(workload.training_result(model, next(seeds)), workload.DATA_RANGE)

    row("register small model (49 KB)", measure(register, repeat), register)
    floor = _hand_written_floor(root.parent / "floor", model, repeat)
    row(
        "  floor: write + fsync the same files by hand",
        floor,
        None,
        "model.pkl, metadata.json, event",
    )
    list_all = lambda: registry.list_versions()  # noqa: E731
    timings = interleaved({"op": list_all, "floor": lambda: _list_floor(root)}, 3 if big else few)
    row("list all", timings["op"], list_all)
    floor_row("read the index's rows in order, decode their JSON", "list all", timings)
    filtered = lambda: registry.list_versions(**workload.FILTER, limit=workload.LIMIT)  # noqa: E731
    row("list, 2 metric filters, limit 10", measure(filtered, repeat), filtered)
    folder_only = plan.get("folder_only", False)
    slow = lambda: plain.list_versions(**workload.FILTER, limit=workload.LIMIT)  # noqa: E731
    if not folder_only:
        row("  same, without the index (reads the folder)", measure(slow, 3 if big else few), slow)
    tagged = lambda: registry.list_versions(tags=workload.TAG_FILTER, limit=workload.LIMIT)  # noqa: E731
    row("list, 2 tag filters, limit 10", measure(tagged, repeat), tagged)
    with (
        _sql_catalog(root.parent / "catalog", model, size)
        if not folder_only
        else contextlib.nullcontext()
    ) as catalog:
        if catalog is not None:
            in_sql = lambda: catalog.list_versions(tags=workload.TAG_FILTER, limit=workload.LIMIT)  # noqa: E731
            row(
                "  same, SQLite catalog",
                measure(in_sql, repeat),
                in_sql,
                "SQL EXISTS on the tag index",
            )
    by_name = names[len(names) // 2]
    load = lambda: registry.load_version(by_name)  # noqa: E731
    row("load by version (sha256 checked)", measure(load, repeat), load)
    registry.promote_to_production(names[-1])
    latest = lambda: registry.load_version("latest")  # noqa: E731
    row("load `latest`", measure(latest, repeat), latest)
    pair = iter([names[-2], names[-1]] * repeat * 2)
    promote = lambda: registry.promote_to_production(next(pair))  # noqa: E731
    floors = _DurabilityFloor(root.parent / "floor-durable")
    both = {"op": promote, "floor": floors.promote, "statuses": floors.promote_with_statuses}
    timings = interleaved(both, repeat)
    row("promote", timings["op"], promote)
    floor_row("symlink + rename + dir fsync + audit append + fsync", "promote", timings)
    floor_row(
        "the same + two metadata.json rewrites (write, fsync, rename; 3 disk waits)",
        "promote",
        {"op": timings["op"], "floor": timings["statuses"]},
    )
    plain_pair = iter([names[-2], names[-1]] * repeat * 2)
    plain_promote = lambda: plain.promote_to_production(next(plain_pair))  # noqa: E731
    row("  same, without the index", measure(plain_promote, repeat), None, "index upkeep cost")
    compare = lambda: registry.compare_versions(names[-2], names[-1])  # noqa: E731
    row("compare", measure(compare, repeat), compare)

    oldest = iter(names[: repeat + 1])
    delete = lambda: registry.delete_version(next(oldest))  # noqa: E731
    timings = interleaved({"op": delete, "floor": floors.delete}, repeat)
    row("delete one version", timings["op"], None)
    floor_row("rename to trash + dir fsync + audit append + fsync + remove", "delete", timings)

    def cleanup() -> None:
        count = len(registry.backend.version_names())
        registry.cleanup_old_versions(keep_versions=max(count - 10, 1))

    row("cleanup (deletes 10 versions)", measure(cleanup, few), cleanup, "per call")
    verify_runs = [_in_child("--verify-child", str(root)) for _ in range(1 if big else 2)]
    verify = Timing(tuple(r["seconds"] for r in verify_runs))
    row(
        "verify (every file's sha256)",
        verify,
        None,
        f"fresh process; RSS {mib(verify_runs[0]['before'])} before verify",
        f"{mib(max(r['peak'] for r in verify_runs))} RSS",
    )
    floor = measure(lambda: _verify_floor(root), 1)
    row(
        "  floor: read each metadata.json, hash each file (Python)",
        floor,
        None,
        f"verify / floor = {verify.median / floor.median:.1f}x",
    )
    threads = LocalBackend.verify_threads
    parallel = measure(lambda: _verify_floor(root, threads), 1)
    row(
        f"  same floor in {threads} threads (verify's count on this machine)",
        parallel,
        None,
        f"verify / floor = {verify.median / parallel.median:.1f}x",
    )
    for label, extra in (("", []), (", --limit 10", ["--limit", "10"])):
        command = [sys.executable, "-m", "modelreg", "--registry", str(root), "list", "--json"]
        runs = [_peak_of(command + extra) for _ in range(3 if big else few)]
        timing = Timing(tuple(r[0] for r in runs))
        memory = f"{mib(max(r[1] for r in runs))} RSS"
        row(f"cold `modelreg list --json{label}` (whole process)", timing, None, "", memory)
    startup = measure(lambda: _run([sys.executable, "-c", "pass"]), few)
    row("  floor: `python -c pass`", startup)
    plain.close()
    return rows


@contextlib.contextmanager
def _sql_catalog(area: Path, model: Any, size: int) -> Iterator[ModelRegistry]:
    """A SQLite catalog of `size` versions (one registered, the rest copied in by SQL)."""
    area.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{area / 'registry.db'}"
    catalog = ModelRegistry(url, auto_cleanup=False, cache_dir=area / "cache")
    try:
        template = catalog.register(workload.training_result(model, 0), workload.DATA_RANGE)
        catalog.set_tags(template, workload.tags(size))
        workload.fill_catalog(url, template, size - 1)
        yield catalog
    finally:
        catalog.close()
        remove(area)


def _run(command: list[str]) -> None:
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


#: runs a module (`-m name`) or script, then writes its own peak RSS (VmHWM, KiB) to a file
_PEAK_WRAPPER = """
import atexit, runpy, sys
out = sys.argv.pop(1)
def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            open(out, "w").write(line.split()[1])
atexit.register(peak)
sys.argv.pop(1)  # -m
runpy.run_module(sys.argv.pop(1), run_name="__main__", alter_sys=True)
"""


def _peak_of(command: list[str]) -> tuple[float, int]:
    """(seconds, peak RSS bytes) of `python -m ...` run to its end in a fresh process.

    The process reads its own high-water mark: a parent's `wait4` would report the larger
    of the child's and this (forked) process's, which here is the benchmark's own.
    """
    assert command[:2] == [sys.executable, "-m"], command
    with tempfile.NamedTemporaryFile("r", suffix=".peak") as out:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", _PEAK_WRAPPER, out.name, *command[1:]],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        seconds = time.perf_counter() - started
        return seconds, int(out.read()) * 1024


def _in_child(*arguments: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, *arguments], check=True, capture_output=True, text=True
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def _verify_child(root: Path) -> dict[str, float]:
    """In a fresh process: open, list (loads the index), then time `verify`; RSS from /proc."""
    registry = ModelRegistry(root, auto_cleanup=False)
    registry.list_versions(limit=1)
    before = process_rss(os.getpid())[0]
    started = time.perf_counter()
    report = registry.verify()
    seconds = time.perf_counter() - started
    assert not report.problems, report.problems[:3]
    return {"seconds": seconds, "before": before, "peak": process_rss(os.getpid())[1]}


def _list_floor(root: Path) -> int:
    """What listing every version from the index must at least do: read each row's listed
    fields in order and decode them (no file checked, no row object built)."""
    import sqlite3

    conn = sqlite3.connect(f"file:{root / '.index' / 'versions.sqlite'}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT listed FROM versions ORDER BY ts DESC, counter DESC")
        return len(json.loads("[" + ",".join(row[0] for row in rows) + "]"))
    finally:
        conn.close()


def _verify_floor(root: Path, threads: int = 1) -> None:
    """What verify must at least do: parse every metadata.json and hash every file it lists.

    With `threads`, the version folders are split into that many equal runs, one a thread
    (verify's own count, `LocalBackend.verify_threads`): the floor with the same parallelism,
    where the GIL is held for each JSON parse and released for each read and sha256."""
    folders = [f.path for f in os.scandir(root) if is_version_name(f.name)]  # not .index...
    if threads <= 1:
        _verify_floor_part(folders)
        return
    step = -(-len(folders) // threads)
    with ThreadPoolExecutor(threads) as pool:
        runs = [folders[i : i + step] for i in range(0, len(folders), step)]
        list(pool.map(_verify_floor_part, runs))


def _verify_floor_part(folders: list[str]) -> None:
    import hashlib

    buffer = bytearray(1 << 20)
    view = memoryview(buffer)
    for folder in folders:
        meta = json.loads(Path(folder, "metadata.json").read_bytes())
        for name, record in meta["files"].items():
            digest = hashlib.sha256()
            with open(Path(folder, name), "rb", buffering=0) as handle:
                while n := handle.readinto(buffer):
                    digest.update(view[:n])
            assert digest.hexdigest() == record["sha256"]


class _DurabilityFloor:
    """What promote and delete must make durable, written by hand, to set beside them."""

    def __init__(self, area: Path) -> None:
        self.area = area
        (area / ".trash").mkdir(parents=True)
        for name in ("a", "b"):
            (area / name).mkdir()
        self.event = json.dumps({"timestamp": "2026-01-01T00:00:00Z", "pad": "x" * 150}) + "\n"
        self.metadata = json.dumps({"pad": "x" * 1200}, indent=2).encode()  # one's size
        self.pool = ThreadPoolExecutor(4)  # fsyncs issued together, as `_fsutil.together` does
        self.flip = 0
        self.made = 0

    def _append_event(self) -> None:
        fd = os.open(self.area / "events.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, self.event.encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def promote(self) -> None:
        """A new symlink renamed over the pointer, the folder fsynced, one audit line."""
        self.flip += 1
        link = self.area / ".production.tmp"
        os.symlink("ab"[self.flip % 2], link)
        os.rename(link, self.area / "production")
        _fsync_dir(self.area)
        self._append_event()

    def promote_with_statuses(self) -> None:
        """What a promote must make durable beside the pointer and its record: both versions'
        metadata.json rewritten (a temporary written, fsynced, renamed over it) and their
        folders fsynced. fsyncs go together where the order allows: both contents before any
        rename, the three folders after the renames, the record last (3 disk waits)."""
        self.flip += 1
        temporaries = [self.area / name / ".metadata.json.tmp" for name in ("a", "b")]
        fds = [os.open(t, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644) for t in temporaries]
        try:
            for fd in fds:
                os.write(fd, self.metadata)
            list(self.pool.map(os.fsync, fds))
        finally:
            for fd in fds:
                os.close(fd)
        os.rename(temporaries[0], self.area / "a" / "metadata.json")
        link = self.area / ".production.tmp"
        os.symlink("ab"[self.flip % 2], link)
        os.rename(link, self.area / "production")
        os.rename(temporaries[1], self.area / "b" / "metadata.json")
        list(self.pool.map(_fsync_dir, [self.area, self.area / "a", self.area / "b"]))
        self._append_event()

    def delete(self) -> None:
        """A version folder renamed to the trash, the folder fsynced, one audit line, removed."""
        self.made += 1
        folder = self.area / f"v{self.made}"
        folder.mkdir()  # untimed work would be fairer; it costs microseconds beside fsyncs
        (folder / "metadata.json").write_bytes(b"x" * 1100)
        trash = self.area / ".trash" / folder.name
        os.rename(folder, trash)
        _fsync_dir(self.area)
        self._append_event()
        os.unlink(trash / "metadata.json")
        os.rmdir(trash)


def _hand_written_floor(area: Path, model: Any, repeat: int) -> Timing:
    """What a register must at least cost: the same files written and fsynced by hand."""
    area.mkdir()
    payload = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    meta = json.dumps({"metrics": workload.metrics(random.Random(0)), "pad": "x" * 900}).encode()
    event = encode_event(Event("2026-01-01T00:00:00Z", "register", version="x", user="bench"))
    counter = iter(range(10**6))

    def write() -> None:
        i = next(counter)
        staged = area / f".staging-{i}"
        staged.mkdir()
        for name, data in (("model.pkl", payload), ("metadata.json", meta)):
            fd = os.open(staged / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            os.write(fd, data)
            os.fsync(fd)
            os.close(fd)
        _fsync_dir(staged)
        os.rename(staged, area / f"v{i}")
        _fsync_dir(area)
        fd = os.open(area / "events.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.write(fd, event)
        os.fsync(fd)
        os.close(fd)

    return measure(write, repeat)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- serving ---------------------------------------------------------------------------------


def _prediction_overhead(repeat: int) -> str:
    """What following the production pointer adds to a prediction of the demo's model."""
    import io

    from rich.console import Console

    from modelreg.serving import PredictionService
    from modelreg.training.data import load_prices
    from modelreg.training.demo import run_demo

    work = scratch("serving")
    try:
        report = run_demo(work / "demo", console=Console(file=io.StringIO()))
        window = load_prices(report.path / "prices.csv").iloc[-300:]
        following = PredictionService(report.registry_path, refresh_interval=0)
        pinned = PredictionService(report.registry_path, refresh_interval=1e9)
        pointer = lambda: following.registry.backend.get_pointer("production")  # noqa: E731
        samples: dict[str, list[float]] = {"follow": [], "pinned": [], "pointer": []}
        for _ in range(repeat):  # interleaved, so drifting load hits all three alike
            for key, action in (
                ("follow", lambda: following.predict(window)),
                ("pinned", lambda: pinned.predict(window)),
                ("pointer", pointer),
            ):
                started = time.perf_counter()
                action()
                samples[key].append(time.perf_counter() - started)
        follow, fixed, look = (Timing(tuple(samples[k])) for k in ("follow", "pinned", "pointer"))
        rows = [
            ["predict, following the pointer before every call", follow.cell()],
            ["predict, pointer not re-read (refresh_interval=1e9)", fixed.cell()],
            ["reading the pointer alone (`get_pointer`)", look.cell()],
        ]
        return (
            "## PredictionService\n\nThe demo's production model (`modelreg demo`), predicting "
            "from the last 300 daily bars (features computed from prices).\n\n"
            + table(["operation", "time"], rows)
            + f"\n\nFollowing the pointer adds {look.median / fixed.median:.2%} to a prediction "
            f"(pointer read / prediction, medians); following / pinned = "
            f"{follow.median / fixed.median:.3f}."
        )
    finally:
        remove(work)


# --- the large artifact ----------------------------------------------------------------------


def _large_artifact(size_mib: int, repeat: int) -> str:
    work = scratch("artifact")
    try:
        source = work / "source"
        source.mkdir()
        (source / "model.pkl").write_bytes(pickle.dumps({"weights": list(range(100))}))
        _random_file(source / "data.bin", size_mib)
        data = source / "data.bin"
        rows: list[list[str]] = []
        runs = [_large_run(work, source) for _ in range(repeat)]
        cp_sha = measure(lambda: _shell(f"cp {data} {work}/c && sha256sum {work}/c"), repeat)
        cp_sync = measure(
            lambda: _shell(f"cp {data} {work}/c && sync {work}/c && sha256sum {work}/c"), repeat
        )
        register = Timing(tuple(r["register"] for r in runs))
        load = Timing(tuple(r["load"] for r in runs))
        sha = Timing(tuple(r["sha256sum"] for r in runs))
        growth = max(r["register_rss_growth"] for r in runs)
        load_growth = max(r["load_rss_growth"] for r in runs)
        rate = lambda t: f"{size_mib / t.median:.0f} MiB/s"  # noqa: E731
        rows.append(
            [
                "register_files (copy + sha256 in one read, fsync)",
                register.cell(),
                rate(register),
                mib(growth),
            ]
        )
        rows.append(["  floor: `cp` + `sha256sum`", cp_sha.cell(), rate(cp_sha), ""])
        rows.append(["  floor: `cp` + `sync` + `sha256sum`", cp_sync.cell(), rate(cp_sync), ""])
        rows.append(
            [
                "load_version (verifies sha256, then loads)",
                load.cell(),
                rate(load),
                mib(load_growth),
            ]
        )
        rows.append(["  floor: `sha256sum` of the stored file", sha.cell(), rate(sha), ""])
        ratio = register.median / cp_sha.median
        ratio_sync = register.median / cp_sync.median
        return (
            f"## A {size_mib:,} MiB artifact\n\nOne random `data.bin` plus a small model.pkl, "
            "registered with `register_files` and loaded with `load_version`, each in a fresh "
            "process; memory is the growth of the process's peak RSS over its baseline. The "
            "source file is in the page cache for floors and registry alike.\n\n"
            + table(["operation", "time", "rate", "peak RSS growth"], rows)
            + f"\n\nregister / (cp + sha256sum) = {ratio:.2f}x; "
            f"register / (cp + sync + sha256sum) = {ratio_sync:.2f}x; "
            f"load / sha256sum = {load.median / sha.median:.2f}x."
        )
    finally:
        remove(work)


def _random_file(path: Path, size_mib: int) -> None:
    block = os.urandom(4 * 2**20)
    with open(path, "wb") as out:
        for i in range(size_mib // 4 or 1):
            out.write(block[i % 7 :] + block[: i % 7])  # distinct 4 MiB blocks, cheaply


def _shell(command: str) -> None:
    subprocess.run(command, shell=True, check=True, stdout=subprocess.DEVNULL)


def _large_run(work: Path, source: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--large-child", str(work / "models"), str(source)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def _large_child(root: Path, source: Path) -> dict[str, float]:
    """In a fresh process: register the folder, load it, remove it; time and peak RSS."""
    registry = ModelRegistry(root, auto_cleanup=False)
    registry.list_versions()
    kib = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # noqa: E731
    baseline = kib()
    started = time.perf_counter()
    name = registry.register_files(source, metrics={"rmse": 0.1}, features=["x"])
    register = time.perf_counter() - started
    after_register = kib()
    started = time.perf_counter()
    assert registry.load_version(name) is not None
    load = time.perf_counter() - started
    after_load = kib()
    stored = Path(registry.path) / name / "data.bin"
    started = time.perf_counter()
    _shell(f"sha256sum {stored}")
    sha = time.perf_counter() - started
    registry.delete_version(name)
    return {
        "register": register,
        "load": load,
        "sha256sum": sha,
        "register_rss_growth": after_register - baseline,
        "load_rss_growth": after_load - after_register,
    }


if __name__ == "__main__":
    main()
