"""A load's scratch folder is reused by its thread, emptied after each load, never shared."""

from __future__ import annotations

import threading
from pathlib import Path

from conftest import make_result
from modelreg import ModelRegistry
from modelreg.backends.assembly import Assemblies


def test_a_thread_reuses_its_folder_and_finds_it_empty(tmp_path: Path) -> None:
    made: list[Path] = []

    def new() -> Path:
        made.append(tmp_path / f"scratch{len(made)}")
        return made[-1]

    folders = Assemblies(new)
    with folders.folder("load") as first:
        (first / "model.pkl").write_bytes(b"x")
        (first / "sub").mkdir()
        (first / "sub" / "t.csv").write_bytes(b"y")
        with folders.folder("load") as inner:  # a load inside a load: a folder of its own
            assert inner != first and list(inner.iterdir()) == []
        assert not inner.exists()
    assert first.is_dir() and list(first.iterdir()) == []
    with folders.folder("load") as again:
        assert again == first
    seen: list[Path] = []
    worker = threading.Thread(target=lambda: seen.append(folders.folder("load").__enter__()))
    worker.start()
    worker.join()
    assert seen and seen[0] not in (first, inner), "each thread has its own"
    folders.close()
    assert not first.exists() and not seen[0].exists()


def test_loads_from_a_catalog_leave_one_empty_folder_and_close_removes_it(
    tmp_path: Path,
) -> None:
    registry = ModelRegistry(
        f"sqlite:///{tmp_path / 'registry.db'}", cache_dir=tmp_path / "cache", trust_pickle=True
    )
    name = registry.register(make_result(1))
    for _ in range(3):
        assert registry.load_version(name) is not None
    scratch = [p for p in (tmp_path / "cache").iterdir() if p.name.startswith(".scratch")]
    assert len(scratch) == 1 and list(scratch[0].iterdir()) == []
    assert registry.verify().ok  # a live process's folder is no debris
    registry.close()
    assert not scratch[0].exists()
