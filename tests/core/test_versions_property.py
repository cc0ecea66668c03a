"""Properties: version names round-trip and order by (timestamp, counter); and random sequences
of register / promote / rollback / cleanup agree with a small in-memory model of the registry.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from modelreg import InvalidVersionError, ModelRegistry, TrainingResult
from modelreg.versions import (
    format_version_name,
    is_version_name,
    parse_version,
    sort_newest_first,
    validate_version,
)

moments = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)
).map(lambda d: d.replace(microsecond=0, tzinfo=UTC))
counters = st.integers(min_value=1, max_value=999_999_999)


@given(moments, counters)
def test_name_round_trip(moment: datetime, counter: int) -> None:
    name = format_version_name(moment, counter)
    parsed = parse_version(name)
    assert (parsed.timestamp, parsed.counter, parsed.name) == (moment, counter, name)
    assert validate_version(name) == name
    assert name == moment.strftime("%Y%m%d_%H%M%S") + ("" if counter == 1 else f"_{counter}")


@given(moments, st.integers(min_value=-12, max_value=14))
def test_names_are_utc(moment: datetime, hours: int) -> None:
    local = moment.astimezone(timezone(timedelta(hours=hours)))
    assert format_version_name(local) == format_version_name(moment)


@given(st.lists(st.tuples(moments, counters), min_size=1, max_size=30, unique=True))
def test_order_is_by_timestamp_then_counter(pairs: list[tuple[datetime, int]]) -> None:
    names = [format_version_name(moment, counter) for moment, counter in pairs]
    expected = [format_version_name(m, c) for m, c in sorted(pairs, reverse=True)]
    assert sort_newest_first(names) == expected


def test_order_is_not_string_order() -> None:
    names = ["20260101_000000_9", "20260101_000000_10", "20260101_000000", "20251231_235959_2"]
    assert sort_newest_first(names) == [
        "20260101_000000_10",
        "20260101_000000_9",
        "20260101_000000",
        "20251231_235959_2",
    ]
    assert sorted(names, reverse=True) != sort_newest_first(names)


@given(st.text(max_size=40) | st.binary(max_size=20).map(lambda b: b.decode("latin-1")))
def test_any_accepted_name_is_one_safe_path_component(text: str) -> None:
    try:
        name = validate_version(text, allow_latest=False)
    except InvalidVersionError:
        return
    assert Path(name).name == name and name not in (".", "..")
    assert not set(name) - set("0123456789_")


@given(moments)
def test_one_spelling_per_version(moment: datetime) -> None:
    """`X_1` would sort equal to `X`: the counter suffix starts at 2."""
    base = format_version_name(moment)
    assert not is_version_name(base + "_1")
    assert not is_version_name(base + "_0") and not is_version_name(base + "_02")


# --- the registry against a model ---------------------------------------------------------


def _result(seed: int) -> TrainingResult:
    return TrainingResult(model={"seed": seed}, metrics={"score": float(seed)}, features=["x"])


class RegistryModel(RuleBasedStateMachine):
    """Every step runs on a real registry and on plain Python lists; they must agree."""

    root_factory: itertools.count[int]
    base: Path

    versions = Bundle("versions")

    def __init__(self) -> None:
        super().__init__()
        self.registry = ModelRegistry(self.base / f"r{next(self.root_factory)}", keep_versions=3)
        self.registered: list[str] = []  # oldest first
        self.deleted: set[str] = set()
        self.pointers: dict[str, str] = {}
        self.ever_production: set[str] = set()
        self.stack: list[str] = []  # production's undo stack, as rollback() walks it
        self.seed = 0

    def _alive(self) -> list[str]:
        return [n for n in self.registered if n not in self.deleted]

    @rule(target=versions)
    def register(self) -> str:
        self.seed += 1
        name = self.registry.register(_result(self.seed))
        assert name not in self.registered, "a name came back"
        self.registered.append(name)
        return name

    def _moved(self, channel: str, name: str, rollback: bool = False) -> None:
        if channel == "production":
            if rollback and name in self.stack:
                del self.stack[len(self.stack) - self.stack[::-1].index(name) :]
            elif not self.stack or self.stack[-1] != name:
                self.stack.append(name)
            self.ever_production.add(name)
        self.pointers[channel] = name

    @rule(name=versions, channel=st.sampled_from(["production", "production", "staging"]))
    def promote(self, name: str, channel: str) -> None:
        done = self.registry.promote(name, channel=channel)
        assert done is (name not in self.deleted)
        if done and self.pointers.get(channel) != name:
            self._moved(channel, name)

    @rule(name=versions)
    def rollback_to(self, name: str) -> None:
        done = self.registry.rollback_to_version(name)
        assert done is (name not in self.deleted)
        if done and self.pointers.get("production") != name:
            self._moved("production", name, rollback=True)

    @rule()
    def rollback(self) -> None:
        current = self.pointers.get("production")
        stack = list(self.stack)
        while stack and stack[-1] == current:
            stack.pop()
        # never the current one: a version can sit deeper in the stack too (A, B, A)
        expected = next(
            (n for n in reversed(stack) if n not in self.deleted and n != current), None
        )
        assert self.registry.rollback_to_version() is (expected is not None)
        if expected is not None:
            self._moved("production", expected, rollback=True)

    @rule(keep=st.integers(min_value=1, max_value=4), dry_run=st.booleans())
    def cleanup(self, keep: int, dry_run: bool) -> None:
        newest_first = self._alive()[::-1]
        expected = [n for n in newest_first[keep:] if n not in self.pointers.values()]
        assert self.registry.cleanup_old_versions(keep, dry_run=dry_run) == expected
        if not dry_run:
            self.deleted.update(expected)

    @precondition(lambda self: bool(self.registered))
    @rule(name=consumes(versions))
    def load(self, name: str) -> None:
        loaded = self.registry.load_version(name)
        if name in self.deleted:
            assert loaded is None
        else:
            assert loaded is not None
            assert loaded.model == {"seed": self.registered.index(name) + 1}

    @invariant()
    def listing_matches(self) -> None:
        listed = self.registry.list_versions()
        assert [v.version for v in listed] == self._alive()[::-1]
        production = self.pointers.get("production")
        for version in listed:
            expected = (
                "production"
                if version.version == production
                else "archived"
                if version.version in self.ever_production
                else "registered"
            )
            assert version.deployment_status == expected, version.version
        assert self.registry.channels() == self.pointers

    def teardown(self) -> None:
        assert self.registry.verify().problems == []
        self.registry.close()


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
def test_random_operation_sequences_match_the_model(tmp_path: Path) -> None:
    class Machine(RegistryModel):
        root_factory = itertools.count()
        base = tmp_path

    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=25,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
