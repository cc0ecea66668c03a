"""Bytes written to disk per registration into a SQL catalog with a folder artifact store.

    python benchmarks/upload_writes.py [--mib 100] [--rounds 3] [--url sqlite|postgresql]
    python benchmarks/upload_writes.py --quick    # 1 MiB, 1 round: for CI
    PYTHONPATH=/path/to/other/src python benchmarks/upload_writes.py   # another checkout's code

Two ways in, each `--rounds` times in this process on a fresh catalog (SQLite beside its
store, or a scratch PostgreSQL database with `--url postgresql`), the store on the disk the
cache is on: **staged**, the server's way (`register_files` given a writer that streams the
bytes into the staging folder, as `serving/uploads.py` does), and **caller's file**
(`register_files(path)`: staged by a link, read in place). Per run, from /proc/self/io:
`write_bytes` (what this process sent towards the block layer, fsynced files included) and
`cancelled_write_bytes` (dirty pages dropped by an unlink before they were written back),
both in MiB, and the wall time. The source file sits in the page cache.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import modelreg
from modelreg import ModelRegistry, _fsutil


def io() -> dict[str, int]:
    fields = (line.partition(":") for line in Path("/proc/self/io").read_text().splitlines())
    return {key: int(value) for key, _, value in fields}


@contextlib.contextmanager
def catalog(kind: str, work: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{work / 'registry.db'}"
        return
    from _postgres import schema_url, scratch_database

    with scratch_database("writes") as database:
        yield schema_url(database, "modelreg")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--url", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.mib, args.rounds = 1, 1
    work = Path(
        tempfile.mkdtemp(prefix="modelreg-writes-", dir=os.environ.get("TMPDIR", "/var/tmp"))
    )
    source = work / "model.bin"
    source.write_bytes(os.urandom(1 << 20) * args.mib)
    print(
        f"code: `{Path(modelreg.__file__).parent}`; {args.mib} MiB; {args.url}; "
        f"load {os.getloadavg()[0]:.1f}\n"
    )
    print("| way in | write_bytes, MiB | cancelled, MiB | wall median, s |\n|---|---|---|---|")
    for way in ("staged", "caller's file"):
        written, cancelled, walls = [], [], []
        for i in range(args.rounds):
            with catalog(args.url, work) as url:
                registry = ModelRegistry(
                    url, artifacts=str(work / f"store-{way[0]}-{i}"), cache_dir=work / f"cache-{i}"
                )
                before, wall = io(), time.perf_counter()
                registry.register_files(
                    _staged(source) if way == "staged" else source, metrics={"rmse": 0.1}
                )
                wall, after = time.perf_counter() - wall, io()
                registry.close()
            written.append((after["write_bytes"] - before["write_bytes"]) / 2**20)
            cancelled.append(
                (after["cancelled_write_bytes"] - before["cancelled_write_bytes"]) / 2**20
            )
            walls.append(wall)
        print(
            f"| {way} | {statistics.median(written):.1f} | {statistics.median(cancelled):.1f} "
            f"| {statistics.median(walls):.2f} |"
        )
    shutil.rmtree(work, ignore_errors=True)
    print(f"\nload at the end {os.getloadavg()[0]:.1f}")


def _staged(source: Path) -> Any:
    """What the server passes: a writer of the staging folder, returning the files' hashes."""

    def write(folder: Path) -> dict[str, dict[str, Any]]:
        with open(source, "rb") as handle:
            digest, size = _fsutil.copy_file_hashed(handle, folder / source.name)
        return {source.name: {"sha256": digest, "bytes": size}}

    return write


if __name__ == "__main__":
    main()
