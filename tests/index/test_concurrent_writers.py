"""Writers in several processes, and readers listing meanwhile, keep the index in step."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from modelreg import ModelRegistry, TrainingResult
from modelreg.backends.local import LocalBackend

_WRITERS = 3
_EACH = 6


def _write(root: str, writer: int) -> None:
    registry = ModelRegistry(root, lock_timeout=60)
    for i in range(_EACH):
        name = registry.register(
            TrainingResult(model={"w": writer, "i": i}, metrics={"auc": i / 10}, features=["x"])
        )
        if i % 2:
            registry.promote_to_production(name)
        if i == _EACH - 1 and writer == 0:
            registry.cleanup_old_versions(keep_versions=3)


def _read(root: str, rounds: int, problems: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    registry = ModelRegistry(root)
    for _ in range(rounds):
        for version in registry.list_versions(min_metrics={"auc": 0.1}):
            if version.metrics["auc"] < 0.1:
                problems.put(f"{version.version} does not pass the filter")
        production = registry.list_versions(status="production")
        if len(production) > 1:
            problems.put(f"two production versions: {production}")


def test_concurrent_writers_keep_the_index_consistent(tmp_path: Path) -> None:
    root = str(tmp_path / "models")
    ModelRegistry(root).list_versions()  # the index exists before the race starts
    context = multiprocessing.get_context("fork")
    problems = context.Queue()
    workers = [context.Process(target=_write, args=(root, w)) for w in range(_WRITERS)]
    workers += [context.Process(target=_read, args=(root, 40, problems)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=240)
        assert worker.exitcode == 0
    assert problems.empty(), problems.get()

    indexed = ModelRegistry(root)
    plain = ModelRegistry(backend=LocalBackend(root, index=False))
    for query in ({}, {"status": "archived"}, {"min_metrics": {"auc": 0.3}, "limit": 4}):
        expected = [(v.version, v.deployment_status) for v in plain.list_versions(**query)]
        assert [(v.version, v.deployment_status) for v in indexed.list_versions(**query)] == (
            expected
        )
    actions = [e.action for e in indexed.events()]
    assert actions.count("register") == _WRITERS * _EACH
    remaining = _WRITERS * _EACH - actions.count("delete")
    assert len(indexed.list_versions()) == remaining < _WRITERS * _EACH
    assert len(indexed.list_versions(status="production")) == 1
