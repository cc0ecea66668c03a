"""ChannelFollower: swaps in each new version after loading and checking it, never a bad one.

Driven by hand (`refresh()` is one look at the channel), so every step is deterministic; the
background thread and real processes are tested in test_live.py.
"""

from __future__ import annotations

import logging
import threading

import numpy as np
import pytest

from modelreg import ModelRegistry, StorageError
from modelreg.errors import InvalidInputError
from modelreg.serving.follower import MAX_BACKOFF, ChannelFollower
from modelreg.signature import infer_signature

from .models import ConstantModel, ExitOnLoad, FailingModel, NoPredict
from .support import ROWS, custom, ridge, tamper, wait_for


@pytest.fixture
def good(registry: ModelRegistry) -> list[str]:
    names = [registry.register(ridge(alpha)) for alpha in (1.0, 30.0)]
    registry.promote(names[0])
    return names


def test_serves_the_channel_and_swaps_when_it_moves(registry, good, caplog) -> None:
    follower = ChannelFollower(registry, poll_interval=0.5)
    assert follower.serving is None and not follower.status.ready
    assert follower.refresh() == 0.5
    first = follower.serving
    assert first is not None and first.version == good[0]
    assert follower.status.since is not None and follower.status.swaps == 0
    follower.refresh()
    assert follower.serving is first, "an unmoved channel is not loaded again"
    registry.promote(good[1])
    with caplog.at_level(logging.INFO, logger="modelreg.serve"):
        follower.refresh()
    assert follower.serving is not None and follower.serving.version == good[1]
    assert follower.status.swaps == 1 and follower.status.channel_version == good[1]
    assert f"now serving {good[1]} (was {good[0]}" in caplog.text
    # the model a request took before the swap still answers, with its own predictions
    old, new = first.predict(ROWS), follower.serving.predict(ROWS)
    assert old.version == good[0] and new.version == good[1]
    np.testing.assert_allclose(old.values, ridge(1.0).model.predict(ROWS))
    np.testing.assert_allclose(new.values, ridge(30.0).model.predict(ROWS))


def test_other_channels_are_followed_the_same_way(registry, good) -> None:
    registry.promote(good[1], "staging")
    follower = ChannelFollower(registry, channel="staging")
    follower.refresh()
    assert follower.serving is not None and follower.serving.version == good[1]


def _broken_versions(registry: ModelRegistry) -> dict[str, str]:
    """One version per way a version can fail to serve, by what should be said about it."""
    signature = infer_signature(ROWS[["ret_1", "ret_5"]])
    category = ROWS[["ret_1"]].astype("category")
    cases = {
        "integrity": registry.register(ridge(3.0)),
        "has no predict method": registry.register(custom(NoPredict())),
        "a probe row of zeros failed": registry.register(custom(FailingModel())),
        "exits": registry.register(custom(ExitOnLoad())),
        "are not its features": registry.register(
            custom(ConstantModel(1.0), features=["ret_1"], signature=signature)
        ),
        "cannot carry": registry.register(
            custom(ConstantModel(1.0), features=["ret_1"], signature=infer_signature(category))
        ),
        "records no features": registry.register(custom(ConstantModel(1.0), features=[])),
    }
    tamper(registry, cases["integrity"])
    return cases


def test_a_version_that_cannot_serve_is_never_swapped_in(registry, good, caplog) -> None:
    follower = ChannelFollower(registry)
    follower.refresh()
    for failures, (why, broken) in enumerate(_broken_versions(registry).items(), start=1):
        registry.promote(broken)
        with caplog.at_level(logging.ERROR, logger="modelreg.serve"):
            follower.refresh()
        status = follower.status
        assert status.version == good[0], why
        assert status.failed_loads == failures
        assert status.last_failure is not None and status.last_failure.version == broken
        failure = status.last_failure
        assert why in f"{failure.error}: {failure.message}", failure
        assert (
            f"could not load {broken}" in caplog.text and f"still serving {good[0]}" in caplog.text
        )
        assert follower.serving is not None
        assert follower.serving.predict(ROWS).version == good[0]


def test_an_untrusted_pickle_is_not_loaded(registry, good) -> None:
    safe = ModelRegistry(registry.path, model_format="safe")
    skops = safe.register(ridge(30.0))
    pickled = registry.register(ridge(3.0))
    follower = ChannelFollower(registry, trust_pickle=False)
    registry.promote(skops)
    follower.refresh()
    assert follower.status.version == skops, "safe formats load without trust"
    registry.promote(pickled)
    follower.refresh()
    assert follower.status.version == skops
    assert follower.status.last_failure is not None
    assert follower.status.last_failure.error == "untrusted"


def test_a_sql_registry_loads_pickles_only_when_told_to(tmp_path) -> None:
    location = f"sqlite:///{tmp_path / 'registry.db'}"
    writer = ModelRegistry(location, model_format="pickle", cache_dir=tmp_path / "cache")
    pickled = writer.register(ridge(1.0))
    writer.promote(pickled)
    writer.close()
    registry = ModelRegistry(location, cache_dir=tmp_path / "cache")
    refused = ChannelFollower(registry)  # the registry's rule: a catalog's pickles need trust
    refused.refresh()
    assert refused.status.last_failure is not None
    assert refused.status.last_failure.error == "untrusted" and not refused.status.ready
    trusted = ChannelFollower(registry, trust_pickle=True)
    trusted.refresh()
    assert trusted.status.version == pickled
    registry.close()


def test_a_failed_version_is_retried_only_when_the_channel_moves(
    registry, good, monkeypatch
) -> None:
    broken = registry.register(custom(FailingModel()))
    follower = ChannelFollower(registry)
    follower.refresh()
    loads: list[str] = []
    load = registry.load_version
    monkeypatch.setattr(registry, "load_version", lambda v, **k: loads.append(v) or load(v, **k))
    registry.promote(broken)
    for _ in range(5):
        follower.refresh()
    assert loads == [broken], "versions are immutable: the same load would fail the same way"
    registry.rollback_to_version()
    follower.refresh()
    registry.promote(broken)
    follower.refresh()
    assert loads == [broken, broken] and follower.status.failed_loads == 2


def test_storage_failures_back_off_and_keep_the_last_model(registry, good, monkeypatch) -> None:
    follower = ChannelFollower(registry, poll_interval=1.0)
    follower.refresh()
    outage = StorageError("database is down")

    def down(channel: str) -> None:
        raise outage

    monkeypatch.setattr(registry, "current_version", down)
    pauses = [follower.refresh() for _ in range(9)]
    assert pauses == [1, 2, 4, 8, 16, 32, MAX_BACKOFF, MAX_BACKOFF, MAX_BACKOFF]
    status = follower.status
    assert status.version == good[0] and status.read_error is not None
    assert status.read_error.error == "storage" and status.read_error.transient
    monkeypatch.undo()
    assert follower.refresh() == 1.0
    assert follower.status.read_error is None


def test_a_load_that_fails_for_the_storage_is_retried_after_a_pause(
    registry, good, monkeypatch
) -> None:
    clock = [100.0]
    monkeypatch.setattr("modelreg.serving.follower.time.monotonic", lambda: clock[0])
    follower = ChannelFollower(registry, poll_interval=1.0)
    follower.refresh()
    attempts: list[str] = []
    load = registry.load_version

    def flaky(version: str, **options: object) -> object:
        attempts.append(version)
        if len(attempts) == 1:
            raise StorageError("connection reset")
        return load(version, **options)

    monkeypatch.setattr(registry, "load_version", flaky)
    registry.promote(good[1])
    assert follower.refresh() == 1.0, "the pointer is still read at the usual pace"
    follower.refresh()
    assert attempts == [good[1]] and follower.status.version == good[0]
    clock[0] += 1.0
    follower.refresh()
    assert attempts == [good[1], good[1]] and follower.status.version == good[1]


def test_nothing_to_serve_until_a_version_is_promoted(registry) -> None:
    follower = ChannelFollower(registry)
    follower.refresh()
    assert not follower.status.ready and follower.status.checked_at is not None
    broken = registry.register(custom(FailingModel()))
    registry.promote(broken)
    follower.refresh()
    assert not follower.status.ready and follower.status.last_failure is not None
    good = registry.register(ridge(1.0))
    registry.promote(good)
    follower.refresh()
    assert follower.status.version == good and follower.status.swaps == 0


def test_the_thread_follows_and_stops(registry, good) -> None:
    follower = ChannelFollower(registry, poll_interval=0.01)
    follower.start()
    try:
        wait_for(lambda: follower.status.version == good[0], "the first version")
        registry.promote(good[1])
        wait_for(lambda: follower.status.version == good[1], "the swap")
    finally:
        follower.stop()
    assert not any(t.name == "modelreg-follower" for t in threading.enumerate())


@pytest.mark.parametrize("interval", [0, -1, True, float("nan")])
def test_poll_interval_must_be_positive(registry, interval) -> None:
    with pytest.raises(InvalidInputError, match="poll_interval"):
        ChannelFollower(registry, poll_interval=interval)
