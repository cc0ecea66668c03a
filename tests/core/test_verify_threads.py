"""verify's walk in a few threads finds what one thread finds, in the same order, and keeps
at most two batches a thread in flight."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from modelreg import ModelRegistry, TrainingResult
from modelreg.backends.local import LocalBackend
from modelreg.operations import verify as verify_module


def _damaged(tmp_path: Path, count: int) -> tuple[ModelRegistry, list[str]]:
    registry = ModelRegistry(tmp_path / "models")
    names = [
        registry.register(TrainingResult(model={"s": s}, metrics={"auc": 0.5}, features=["a"]))
        for s in range(count)
    ]
    root = Path(registry.path)
    for name in names[::10]:  # spread over many batches: damaged bytes, metadata, statuses
        pkl = root / name / "model.pkl"
        pkl.write_bytes(pkl.read_bytes() + b"x")
    for name in names[3::10]:
        (root / name / "metadata.json").write_text("{not json")
    for name in names[5::10]:
        meta = json.loads((root / name / "metadata.json").read_text())
        meta["deployment_status"] = "production"
        (root / name / "metadata.json").write_text(json.dumps(meta))
    return registry, names


def test_threads_report_what_one_thread_reports_in_the_same_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry, _names = _damaged(tmp_path, 150)
    seen_threads: set[str] = set()
    inspect = verify_module._inspect

    def spying(backend: LocalBackend, name: str, *rest: Any) -> verify_module._Seen:
        seen_threads.add(threading.current_thread().name)
        return inspect(backend, name, *rest)

    monkeypatch.setattr(verify_module, "_inspect", spying)
    monkeypatch.setattr(verify_module, "_BATCH", 4)
    monkeypatch.setattr(LocalBackend, "verify_threads", 2)  # whatever this machine's cores
    progress: list[tuple[int, int]] = []
    threaded = registry.verify(progress=lambda done, total: progress.append((done, total)))
    assert any(t.startswith("modelreg-verify") for t in seen_threads)
    assert progress == [(i, 150) for i in range(1, 151)]
    monkeypatch.setattr(LocalBackend, "verify_threads", 1)
    seen_threads.clear()
    single = registry.verify()
    assert seen_threads == {threading.current_thread().name}
    assert threaded.problems == single.problems
    kinds = {p["kind"] for p in single.problems}
    assert kinds == {"integrity", "corrupt", "stale-status"}
    assert len(single.problems) == 3 * 15


def test_at_most_two_batches_a_thread_are_in_flight(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry, _names = _damaged(tmp_path, 60)
    monkeypatch.setattr(verify_module, "_BATCH", 2)
    monkeypatch.setattr(LocalBackend, "verify_threads", 3)
    started: list[int] = []
    walked: list[int] = []
    inspect = verify_module._inspect
    lock = threading.Lock()

    def counting(backend: LocalBackend, name: str, *rest: Any) -> verify_module._Seen:
        with lock:
            started.append(len(walked))
        return inspect(backend, name, *rest)

    record = verify_module._Walk.record

    def walking(self: verify_module._Walk, name: str, seen: verify_module._Seen, found: object):
        walked.append(1)
        return record(self, name, seen, found)

    monkeypatch.setattr(verify_module, "_inspect", counting)
    monkeypatch.setattr(verify_module._Walk, "record", walking)
    report = registry.verify()
    assert report.checked == 60
    # a version is inspected at most 2 batches a thread (12 versions) ahead of the walk
    assert max(i - walked_then for i, walked_then in enumerate(started)) <= 2 * 3 * 2
