"""Shared by the benchmark scripts: timing with spread, peak memory, machine facts, tables."""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Timing:
    """Seconds over repeated runs: the median, the quartiles and the extremes."""

    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def iqr(self) -> tuple[float, float]:
        if len(self.samples) < 4:
            return min(self.samples), max(self.samples)
        q = statistics.quantiles(self.samples, n=4)
        return q[0], q[2]

    def cell(self) -> str:
        """`median (spread)`, in the unit that suits the size."""
        low, high = self.iqr
        kind = "IQR" if len(self.samples) >= 4 else "min-max"
        return f"{ms(self.median)} ({ms(low)}-{ms(high)} {kind}, n={len(self.samples)})"


def interleaved(
    actions: dict[str, Callable[[], Any]],
    repeat: int,
    *,
    setup: Callable[[], Any] | None = None,
) -> dict[str, Timing]:
    """Time each action once per round, alternating the order every round.

    Paired and interleaved: a burst of load from another process lands on both sides of a
    comparison alike, and neither side always runs first (warm caches, pool state).
    """
    samples: dict[str, list[float]] = {key: [] for key in actions}
    order = list(actions)
    for round_ in range(repeat):
        for key in order if round_ % 2 == 0 else reversed(order):
            if setup is not None:
                setup()
            started = time.perf_counter()
            actions[key]()
            samples[key].append(time.perf_counter() - started)
    return {key: Timing(tuple(values)) for key, values in samples.items()}


def paired_ratio(ours: Timing, theirs: Timing) -> str:
    """`theirs / ours` from the medians, with the IQR of the per-round ratios (paired runs)."""
    rounds = [b / a for a, b in zip(ours.samples, theirs.samples, strict=True) if a > 0]
    spread = Timing(tuple(rounds)).iqr if rounds else (0.0, 0.0)
    return f"{theirs.median / ours.median:.1f}x ({spread[0]:.1f}-{spread[1]:.1f})"


def load_average() -> str:
    """The 1-minute load average now (other engineers share this machine's 2 cores)."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "?"


def process_rss(pid: int) -> tuple[int, int]:
    """(current, peak) resident bytes of a running process, from /proc (0, 0 if unknown)."""
    fields: dict[str, int] = {}
    with _suppress():
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) * 1024
    return fields.get("VmRSS", 0), fields.get("VmHWM", 0)


def io_counters(pid: int) -> dict[str, int]:
    """Bytes a process has read and written so far (/proc/PID/io: rchar and wchar count every
    read and write call, sockets and the page cache included; write_bytes what reached the
    block layer). Empty if unknown."""
    counters: dict[str, int] = {}
    with _suppress():
        for line in Path(f"/proc/{pid}/io").read_text().splitlines():
            key, _, value = line.partition(":")
            counters[key] = int(value)
    return counters


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process (all its threads) has used so far; 0 if unknown."""
    with _suppress():
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (a server with worker processes)."""
    total = process_rss(pid)[0]
    with _suppress():
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        total += sum(tree_rss(int(child)) for child in children)
    return total


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process and all its descendants have used so far."""
    total = 0.0
    with _suppress():
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    with _suppress():
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        total += sum(tree_cpu(int(child)) for child in children)
    return total


def free_port() -> int:
    """A port nothing listens on now (bound to 0, then released)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ms(seconds: float) -> str:
    if seconds >= 10:
        return f"{seconds:.1f} s"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 0.01:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds * 1000:.2f} ms"


def measure(
    action: Callable[[], Any], repeat: int, *, setup: Callable[[], Any] | None = None
) -> Timing:
    """Time `action` `repeat` times (untimed `setup` before each); one warm-up is not counted."""
    samples = []
    for _ in range(repeat):
        if setup is not None:
            setup()
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return Timing(tuple(samples))


def peak_python_memory(action: Callable[[], Any]) -> int:
    """Peak bytes Python allocated while `action` ran (tracemalloc; not timed)."""
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def mib(n: float) -> str:
    return f"{n / 2**20:.1f} MiB"


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    with _suppress():
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "?"
    with _suppress():
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        ram = f"{kib / 2**20:.1f} GiB"
    disk = "?"
    with _suppress():
        out = (
            subprocess.run(
                ["df", "-hT", tempfile.gettempdir()], capture_output=True, text=True, check=True
            )
            .stdout.splitlines()[1]
            .split()
        )
        disk = f"{out[0]} ({out[1]}), {out[4]} free"
    load = "?"
    with _suppress():
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram": ram,
        "disk (temp dir)": disk,
        "load average at start (1, 5, 15 min)": load,
        "python": sys.version.split()[0],
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
    }


class _suppress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return exc[0] is not None and issubclass(exc[0], Exception)  # type: ignore[arg-type]


def table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def facts(info: dict[str, str]) -> str:
    return "\n".join(f"- {key}: {value}" for key, value in info.items())


def publish(report: str, output: Path | None, default: str, *, quick: bool) -> None:
    """Print the report; write it to `output`, or (full runs) to results/`default`."""
    print(report)
    target = output or (None if quick else Path(__file__).parent / "results" / default)
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(report)
        print(f"written to {target}", file=sys.stderr)


def scratch(tag: str) -> Path:
    """A fresh folder under /tmp/modelreg-bench-*; the caller removes it."""
    return Path(tempfile.mkdtemp(prefix=f"modelreg-bench-{tag}-"))


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
