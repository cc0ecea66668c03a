"""Compare, cleanup, delete and verify: the same policy over every backend's storage."""

from __future__ import annotations

import pytest

from ... import IntegrityError, InvalidInputError, ModelRegistry
from ..support import Clock, Damage, Open, make_result


def _register(registry: ModelRegistry, clock: Clock, count: int) -> list[str]:
    names = []
    for seed in range(count):
        names.append(registry.register(make_result(seed)))
        clock.tick(60)
    return names


def test_compare_resolves_latest_and_picks_winners(backend_factory: Open, clock: Clock) -> None:
    registry = backend_factory()
    a = registry.register(make_result(0, rmse=0.2, direction_accuracy=0.6))
    clock.tick()
    b = registry.register(make_result(1, rmse=0.1, direction_accuracy=0.5))
    registry.promote(b)
    table = registry.compare_versions(a, "latest")
    assert table["rmse"]["winner"] == b
    assert table["direction_accuracy"]["winner"] == a
    assert table["rmse"]["difference"] == pytest.approx(0.1)  # a missing side: test_not_found.py


def test_cleanup_keeps_newest_and_anything_pointed_to(backend_factory: Open, clock: Clock) -> None:
    registry = backend_factory()
    names = _register(registry, clock, 5)
    registry.promote(names[0])
    registry.promote(names[1], channel="staging")
    assert registry.cleanup_old_versions(2, dry_run=True) == [names[2]]
    assert registry.cleanup_old_versions(2) == [names[2]]
    reader = backend_factory()
    assert sorted(v.version for v in reader.list_versions()) == sorted(
        [names[0], names[1], names[3], names[4]]
    )
    assert reader.get_version_info(names[2]) is None
    assert reader.load_version(names[0]) is not None
    with pytest.raises(InvalidInputError):
        registry.cleanup_old_versions(0)


def test_delete_refuses_a_pointed_to_version(backend_factory: Open, clock: Clock) -> None:
    registry = backend_factory()
    a, b = _register(registry, clock, 2)
    registry.promote(a)
    with pytest.raises(InvalidInputError):
        registry.delete_version(a)
    assert registry.delete_version(b) is True
    assert registry.delete_version(b) is False
    assert [v.version for v in registry.list_versions()] == [a]


def test_deleting_one_of_two_identical_versions_keeps_the_bytes(
    backend_factory: Open, clock: Clock
) -> None:
    registry = backend_factory()
    a = registry.register(make_result(7))
    b = registry.register(make_result(7))
    registry.delete_version(a)
    assert backend_factory().load_version(b) is not None
    assert registry.verify().ok


def test_verify_clean_then_damaged(backend_factory: Open, clock: Clock, damage: Damage) -> None:
    registry = backend_factory(model_format="pickle")  # it damages model.pkl
    a, b, c = _register(registry, clock, 3)
    registry.promote(a)
    registry.load_version(a)  # fills any download cache: verify must look past it
    assert registry.verify().ok
    damage(registry, a, "model.pkl", cached_copies=False)
    damage(registry, c, "model.pkl")
    report = backend_factory().verify()
    assert not report.ok
    assert sorted((p["kind"], p["where"]) for p in report.problems)[:2] == [
        ("broken-pointer", "production"),
        ("integrity", a),
    ]
    assert ("integrity", c) in [(p["kind"], p["where"]) for p in report.problems]
    with pytest.raises(IntegrityError):
        backend_factory().load_version(c)
    repaired = backend_factory().verify(repair=True)
    assert any(p["kind"] == "broken-pointer" for p in repaired.repaired)
    assert registry.channels().get("production") is None
    assert registry.load_version(b) is not None
