"""The importers' naming rules: pure functions, so every run names everything the same way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelreg.importers.naming import (
    channel_name,
    model_name,
    out_of_order,
    plan_version_names,
    redact_uri,
)
from modelreg.versions import sort_newest_first, validate_channel, validate_model_name

T0 = datetime(2026, 1, 26, 10, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("churn", "churn"),
        ("Churn.v2-final_x", "Churn.v2-final_x"),
        ("demand forecast", "demand-forecast-137644d2"),
    ],
)
def test_model_names_kept_or_spelled(source: str, expected: str) -> None:
    assert model_name(source) == expected


@given(st.text(min_size=1, max_size=300))
def test_every_model_name_maps_to_a_valid_distinct_name(source: str) -> None:
    mapped = model_name(source)
    assert validate_model_name(mapped) == mapped
    assert model_name(source) == mapped  # deterministic
    if mapped != source:
        assert model_name(source + "\x00") != mapped  # refused characters never collide


@given(st.text(min_size=1, max_size=300))
def test_every_alias_maps_to_a_valid_channel(alias: str) -> None:
    assert validate_channel(channel_name(alias)) == channel_name(alias)


@pytest.mark.parametrize(
    ("alias", "channel"),
    [("champion", "champion"), ("Staging", "staging"), ("prod_v2-a", "prod_v2-a")],
)
def test_plain_aliases_keep_their_name(alias: str, channel: str) -> None:
    assert channel_name(alias) == channel


def test_odd_aliases_are_spelled_apart() -> None:
    assert channel_name("2024-best").startswith("a-2024-best-")
    assert channel_name("trash").startswith("trash-")  # a name the registry keeps
    assert channel_name("a.b") != channel_name("a b")


def test_versions_sharing_a_second_take_counters_in_order() -> None:
    created = [(1, T0), (2, T0 + timedelta(milliseconds=300)), (3, T0 + timedelta(seconds=5))]
    assert plan_version_names(created, {}, set()) == {
        1: "20260126_103000",
        2: "20260126_103000_2",
        3: "20260126_103005",
    }


def test_names_taken_here_or_used_before_are_never_reused() -> None:
    taken = {"20260126_103000", "20260126_103000_2"}
    planned = plan_version_names([(1, T0)], {}, taken)
    assert planned == {1: "20260126_103000_3"}
    assert "20260126_103000_3" in taken


def test_a_clock_that_went_back_still_keeps_mlflow_order() -> None:
    planned = plan_version_names([(1, T0), (2, T0 - timedelta(hours=1))], {}, set())
    assert planned == {1: "20260126_103000", 2: "20260126_103000_2"}


def test_a_late_version_finds_its_slot_between_its_neighbours() -> None:
    both = [(1, T0), (2, T0), (3, T0)]
    first = plan_version_names(both, {}, set())
    known = {1: first[1], 3: first[3]}  # v2 failed the first time
    again = plan_version_names(both, known, set(known.values()))
    assert again == first and out_of_order(again) == []


@given(
    st.lists(
        st.tuples(st.integers(1, 50), st.integers(-5_000, 5_000)),
        min_size=1,
        max_size=30,
        unique_by=lambda t: t[0],
    ),
    st.sets(st.integers(0, 5)),
)
def test_planned_names_always_follow_the_numbering(
    versions: list[tuple[int, int]], taken_counters: set[int]
) -> None:
    created = [(n, T0 + timedelta(milliseconds=ms)) for n, ms in versions]
    taken = {f"20260126_103000_{c}" for c in taken_counters if c >= 2}
    planned = plan_version_names(created, {}, set(taken))
    by_number = [planned[n] for n in sorted(planned)]
    assert sort_newest_first(by_number) == list(reversed(by_number))
    assert not set(by_number) & taken and out_of_order(planned) == []


def test_out_of_order_names_the_late_ones() -> None:
    assert out_of_order({1: "20260126_103005", 2: "20260126_103000", 3: "20260126_103010"}) == [2]


@pytest.mark.parametrize(
    ("uri", "shown"),
    [
        ("sqlite:////data/mlflow.db", "sqlite:////data/mlflow.db"),
        ("postgresql://bob:s3cret@db:5432/mlflow?sslmode=require", "postgresql://db:5432/mlflow"),
        ("https://token:x@mlflow.example/?auth=abc#f", "https://mlflow.example/"),
        ("postgresql://bob:p/ss@db/mlflow", "postgresql://(credentials removed)"),
        ("./mlruns", "./mlruns"),
        ("models:/m-123", "models:/m-123"),
    ],
)
def test_locations_lose_their_credentials(uri: str, shown: str) -> None:
    assert redact_uri(uri) == shown
