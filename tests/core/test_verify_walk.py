"""verify keeps only what its later checks need (a contradicted status, the pointers' targets),
and a broken pointer's fallback is checked whole when it is chosen, as the walk checked it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from modelreg import ModelRegistry, TrainingResult


def _registry(tmp_path: Path, count: int) -> tuple[ModelRegistry, list[str]]:
    registry = ModelRegistry(tmp_path / "models")
    names = [
        registry.register(TrainingResult(model={"s": s}, metrics={"auc": s / 10}, features=["a"]))
        for s in range(count)
    ]
    return registry, names


def test_a_fallback_with_a_damaged_artifact_is_passed_over(tmp_path: Path) -> None:
    registry, (a, b, c) = _registry(tmp_path, 3)
    for name in (a, b, c):
        registry.promote_to_production(name)
    pkl = Path(registry.path) / b / "model.pkl"
    pkl.write_bytes(pkl.read_bytes()[:-1] + b"X")
    shutil.rmtree(Path(registry.path) / c)
    report = registry.verify(repair=True)
    kinds = sorted((p["kind"], p["where"]) for p in report.problems)
    assert ("broken-pointer", "production") in kinds and ("integrity", b) in kinds
    assert registry.channels()["production"] == a  # b was the previous one, but damaged
    assert [p for p in registry.verify().problems if p["kind"] != "integrity"] == []


def test_stale_statuses_are_found_on_both_sides_of_the_pointer(tmp_path: Path) -> None:
    registry, (a, b, c) = _registry(tmp_path, 3)
    registry.promote_to_production(a)
    root = Path(registry.path)
    for name, status in ((a, "registered"), (c, "production")):  # as crashes leave them
        meta = json.loads((root / name / "metadata.json").read_text())
        meta["deployment_status"] = status
        (root / name / "metadata.json").write_text(json.dumps(meta))
    report = registry.verify()
    assert sorted(p["where"] for p in report.problems if p["kind"] == "stale-status") == [a, c]
    assert report.checked == 3
    registry.verify(repair=True)
    assert registry.verify().problems == []
    assert registry.get_version_info(b)["deployment_status"] == "registered"
