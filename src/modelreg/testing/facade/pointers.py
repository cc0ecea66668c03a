"""Promote, roll back, channels and the audit log: pointer semantics on every backend."""

from __future__ import annotations

import pytest

from ... import PromotionConflict
from ..support import Clock, Open, registered


def test_promote_moves_pointer_and_statuses(backend_factory: Open, clock: Clock) -> None:
    registry = backend_factory()
    a, b, _ = registered(registry, clock)
    assert registry.promote_to_production(a) is True
    assert registry.promote_to_production(b) is True
    reader = backend_factory()
    assert reader.channels() == {"production": b}
    statuses = {v.version: v.deployment_status for v in reader.list_versions()}
    assert statuses[a] == "archived" and statuses[b] == "production"
    info = reader.get_version_info("latest")
    assert info is not None and info["version"] == b and info["channels"] == ["production"]
    assert reader.load_version() is not None


def test_promoting_production_again_is_a_no_op(backend_factory: Open, clock: Clock) -> None:
    registry = backend_factory()
    a, _, _ = registered(registry, clock)
    registry.promote_to_production(a)
    assert registry.promote_to_production(a) is True
    assert len(registry.history()) == 1


def test_rollback_walks_back_through_history(backend_factory: Open, clock: Clock) -> None:
    registry = backend_factory()
    a, b, c = registered(registry, clock)
    for name in (a, b, c):
        registry.promote_to_production(name)
        clock.tick()
    assert registry.rollback_to_version() is True
    assert registry.channels()["production"] == b
    assert registry.rollback_to_version(a) is True
    assert registry.channels()["production"] == a
    actions = [(e.action, e.version, e.previous) for e in registry.history()]
    assert actions[-2:] == [("rollback", b, c), ("rollback", a, b)]


def test_production_at_a_past_moment(backend_factory: Open, clock: Clock) -> None:
    registry = backend_factory()
    a, b, _ = registered(registry, clock)
    registry.promote_to_production(a)
    between = clock.tick(30)
    clock.tick(30)
    registry.promote_to_production(b)
    assert registry.production_at(between) == a
    assert registry.production_at(clock.tick(1)) == b
    assert registry.production_at("2000-01-01T00:00:00Z") is None


def test_channels_are_independent(backend_factory: Open, clock: Clock) -> None:
    registry = backend_factory()
    a, b, _ = registered(registry, clock)
    registry.promote(a)
    registry.promote(b, channel="staging")
    assert registry.channels() == {"production": a, "staging": b}
    assert [e.version for e in registry.history("staging")] == [b]
    info = registry.get_version_info(b)
    assert info is not None and info["deployment_status"] == "registered"


def test_expected_current_guards_promotion(backend_factory: Open, clock: Clock) -> None:
    registry = backend_factory()
    a, b, c = registered(registry, clock)
    registry.promote(a, expected_current=None)
    with pytest.raises(PromotionConflict):
        registry.promote(b, expected_current=c)
    assert registry.channels()["production"] == a


def test_every_write_is_in_the_log(backend_factory: Open, clock: Clock) -> None:
    registry = backend_factory()
    a, b, _ = registered(registry, clock)
    registry.promote(a)
    registry.promote(b)
    registry.delete_version(a)
    actions = [(e.action, e.version) for e in backend_factory().events()]
    assert actions[:3] == [("register", a), ("register", b), ("register", actions[2][1])]
    assert actions[3:] == [("promote", a), ("promote", b), ("delete", a)]
