"""Channels as aliases: `@staging` wherever a version is read, every channel rolled back."""

from __future__ import annotations

import pytest

from ... import InvalidVersionError, PromotionConflict, VersionNotFoundError
from ..support import Clock, Open, make_result, registered


def test_an_alias_reads_the_version_its_channel_holds(backend_factory: Open, clock: Clock) -> None:
    registry = backend_factory()
    a, b, _ = registered(registry, clock)
    registry.promote(a)
    registry.promote(b, channel="staging")
    reader = backend_factory()
    info = reader.get_version_info("@staging")
    assert info is not None and info["version"] == b and info["channels"] == ["staging"]
    loaded = reader.load_version("@staging")
    assert loaded is not None and loaded.metrics == make_result(1).metrics
    assert reader.stored_metadata("@production") == reader.stored_metadata("latest")
    comparison = reader.compare_versions("@staging", "@production")
    assert comparison["rmse"]["version1"] == b and comparison["rmse"]["version2"] == a


def test_an_empty_alias_is_not_found(backend_factory: Open, clock: Clock) -> None:
    registry = backend_factory()
    registered(registry, clock)
    assert registry.get_version_info("@champion") is None
    assert registry.load_version("@champion") is None
    with pytest.raises(VersionNotFoundError, match="no champion version yet"):
        registry.compare_versions("@champion", "latest", missing_ok=False)


@pytest.mark.parametrize("bad", ["@", "@Staging", "@../x", "@latest", "@a/b", "@@x"])
def test_a_malformed_alias_is_refused(backend_factory: Open, bad: str) -> None:
    with pytest.raises(InvalidVersionError, match="alias"):
        backend_factory().get_version_info(bad)


def test_promote_from_an_alias_is_conditional(backend_factory: Open, clock: Clock) -> None:
    registry = backend_factory()
    a, b, _ = registered(registry, clock)
    registry.promote(b, channel="staging")
    move = registry.move_pointer("@staging", expected_current=None, reason="staging passed")
    assert (move.channel, move.version, move.previous) == ("production", b, None)
    with pytest.raises(PromotionConflict):
        registry.move_pointer(a, "staging", expected_current=a)
    assert registry.channels() == {"production": b, "staging": b}
    with pytest.raises(VersionNotFoundError, match="no champion version yet"):
        registry.move_pointer("@champion")
    with pytest.raises(InvalidVersionError, match="latest"):
        registry.move_pointer("latest", "staging")


def test_any_channel_rolls_back_and_is_audited(backend_factory: Open, clock: Clock) -> None:
    registry = backend_factory()
    a, b, c = registered(registry, clock)
    registry.promote(a)
    for name in (b, c):
        registry.promote(name, channel="staging", reason=f"try {name}")
        clock.tick()
    move = registry.rollback(channel="staging", reason="c is slow")
    assert (move.channel, move.version, move.previous) == ("staging", b, c)
    assert backend_factory().channels() == {"production": a, "staging": b}
    assert registry.rollback_to_version(c, channel="staging") is True
    history = [(e.action, e.version, e.previous, e.reason) for e in registry.history("staging")]
    assert history == [
        ("promote", b, None, f"try {b}"),
        ("promote", c, b, f"try {c}"),
        ("rollback", b, c, "c is slow"),
        ("rollback", c, b, None),
    ]
    assert [e.version for e in registry.history()] == [a]
    assert registry.rollback_to_version(channel="canary") is False


def test_cleanup_keeps_every_alias_target(backend_factory: Open, clock: Clock) -> None:
    registry = backend_factory()
    a, b, c = registered(registry, clock)
    registry.promote(a, channel="champion")
    registry.promote(b, channel="staging")
    assert registry.cleanup_old_versions(1) == []
    assert {v.version for v in registry.list_versions()} == {a, b, c}
