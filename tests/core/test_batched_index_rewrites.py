"""A writer's metadata rewrites reach the index together (`backends/local_index_batch.py`).

A promote rewrites two metadata.json files: the index is marked dirty once, before the first
rename, and both rows are recorded with the mark cleared in one commit at the end of the
transaction. A kill between any two of its filesystem steps leaves the index dirty or in step,
never trusted and wrong: listings by status agree with a read of the folder. Where the mark is
not fsynced (the boot has a name), a power cut may lose it with the renames durable: at each
step the kill test also loses the mark and the rows the kill left unwritten, in a new boot.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
from pathlib import Path

import pytest

from modelreg import ModelRegistry, TrainingResult, _fsutil
from modelreg.backends.local import LocalBackend
from modelreg.backends.local_index import VersionIndex

from .crash_writer import killed_at

STATUSES = ("production", "archived", "registered")


def _result(seed: int) -> TrainingResult:
    return TrainingResult(model={"seed": seed}, metrics={"auc": seed / 10}, features=["x"])


@pytest.fixture
def promoted(tmp_path: Path) -> tuple[Path, list[str]]:
    root = tmp_path / "models"
    with contextlib.closing(ModelRegistry(root)) as registry:
        names = [registry.register(_result(i)) for i in range(3)]
        registry.promote_to_production(names[0])
        registry.promote_to_production(names[1])
    return root, names


def _by_status(registry: ModelRegistry) -> dict[str, list[str]]:
    return {s: [v.version for v in registry.list_versions(status=s)] for s in STATUSES}


def _statements(index: VersionIndex) -> list[str]:
    seen: list[str] = []
    with index._using("tracing") as conn:
        conn.set_trace_callback(seen.append)
    return seen


def test_a_promote_commits_to_the_index_twice_and_leaves_it_in_step(
    promoted: tuple[Path, list[str]],
) -> None:
    root, names = promoted
    with contextlib.closing(ModelRegistry(root)) as registry:
        index = registry.backend.index
        assert isinstance(index, VersionIndex)
        assert _by_status(registry)["production"] == [names[1]]
        statements = _statements(index)
        assert registry.promote_to_production(names[2])
        assert statements.count("BEGIN IMMEDIATE") == 2  # the mark; both rows, mark cleared
        dirty = sqlite3.connect(index.path).execute("SELECT dirty FROM state").fetchone()[0]
        assert dirty == 0
        assert _by_status(registry) == {
            "production": [names[2]],
            "archived": [names[1], names[0]],
            "registered": [],
        }
        assert "DELETE FROM versions" not in statements  # read in step: no rebuild


def test_a_failed_rewrite_leaves_the_mark(
    promoted: tuple[Path, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The old holder's rewrite succeeds, the new one's rename fails: the promote is undone,
    and the index, marked for a rewrite never reported done, is read again from the files."""
    root, names = promoted
    registry = ModelRegistry(root)
    replace = os.replace
    target = str(root / names[2] / "metadata.json")

    def failing(source: object, dest: object) -> None:
        if os.fspath(dest) == target:  # type: ignore[arg-type]
            raise OSError(5, "Input/output error")
        replace(source, dest)  # type: ignore[arg-type]

    monkeypatch.setattr(_fsutil.os, "replace", failing)
    with pytest.raises(Exception, match="Input/output error"):
        registry.promote_to_production(names[2])
    monkeypatch.undo()
    index = registry.backend.index
    assert isinstance(index, VersionIndex)
    dirty = sqlite3.connect(index.path).execute("SELECT dirty FROM state").fetchone()[0]
    assert dirty > 0
    plain = ModelRegistry(backend=LocalBackend(root, index=False))
    assert _by_status(registry) == _by_status(plain)
    assert _by_status(registry)["production"] == [names[1]]
    registry.close()


def _assert_a_power_cut_here_leaves_listings_right(root: Path, scratch: Path) -> None:
    """The folder as the kill left it, the unsynced mark lost, and the next boot's listings:
    as the folder's, and every row of the index as its file says."""
    import shutil

    shutil.copytree(root, scratch, symlinks=True)
    index = scratch / ".index" / "versions.sqlite"
    with contextlib.closing(sqlite3.connect(index)) as conn, conn:
        conn.execute("UPDATE state SET dirty = 0, boot = 'the boot before the cut'")
    with (
        contextlib.closing(ModelRegistry(scratch)) as registry,
        contextlib.closing(ModelRegistry(backend=LocalBackend(scratch, index=False))) as plain,
    ):
        assert _by_status(registry) == _by_status(plain)
    with contextlib.closing(sqlite3.connect(index)) as conn:  # every row as its file says
        rows = dict(conn.execute("SELECT name, status FROM versions"))
    files = LocalBackend(scratch, index=False)
    assert rows == {n: files.read_metadata(n)["deployment_status"] for n in rows}  # type: ignore[index]
    shutil.rmtree(scratch)


def _promote(root: Path, name: str) -> None:
    ModelRegistry(root).promote_to_production(name)


@pytest.mark.slow
def test_a_kill_at_any_step_of_a_promote_leaves_listings_right(
    promoted: tuple[Path, list[str]], tmp_path: Path
) -> None:
    import shutil

    base, names = promoted
    kills = 0
    for kill_at in range(1, 100):
        root = tmp_path / f"kill{kill_at}"
        shutil.copytree(base, root, symlinks=True)
        killed = killed_at(kill_at, functools.partial(_promote, root, names[2]))
        if killed:  # before any reader mends the index
            _assert_a_power_cut_here_leaves_listings_right(root, tmp_path / "cut")
        with (
            contextlib.closing(ModelRegistry(root)) as registry,
            contextlib.closing(ModelRegistry(backend=LocalBackend(root, index=False))) as plain,
        ):
            assert _by_status(registry) == _by_status(plain), f"killed at write {kill_at}"
            production = registry.channels()["production"]
            assert _by_status(registry)["production"] == [production]
            if killed:
                registry.verify(repair=True)
                assert registry.verify().problems == []
                assert _by_status(registry) == _by_status(plain)
        shutil.rmtree(root)
        if not killed:
            break
        kills += 1
    assert kills >= 8  # two rewrites, a pointer move, the record: each has its steps
