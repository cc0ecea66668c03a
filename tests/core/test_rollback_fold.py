"""The argument-free rollback's answer read from a channel's moves newest first, as far back as
it needs: always the answer of the undo-stack fold over the channel's whole history."""

from __future__ import annotations

from collections.abc import Iterator

from hypothesis import given, settings
from hypothesis import strategies as st

from modelreg.events import Event, previous_of_moves, previous_target

NAMES = ["a", "b", "c", "d", "e"]


def whole_fold(
    moves: list[tuple[str, str | None]], current: str | None, exists: set[str]
) -> str | None:
    """The fold as it was written before it read newest first: the whole history, oldest first."""
    stack: list[str] = []
    for action, target in moves:
        if not target:
            continue
        if action == "rollback" and target in stack:
            del stack[len(stack) - stack[::-1].index(target) :]
        elif not stack or stack[-1] != target:
            stack.append(target)
    while stack and stack[-1] == current:
        stack.pop()
    for candidate in reversed(stack):
        if candidate != current and candidate in exists:
            return candidate
    return None


def as_events(moves: list[tuple[str, str | None]]) -> list[Event]:
    return [Event("2026-01-01T00:00:00Z", a, version=v, channel="production") for a, v in moves]


moves_strategy = st.lists(
    st.tuples(
        st.sampled_from(["promote", "rollback", "repair", "recover"]),
        st.one_of(st.none(), st.sampled_from(NAMES)),
    ),
    max_size=40,
)


@settings(max_examples=500)
@given(
    moves_strategy,
    st.one_of(st.none(), st.sampled_from(NAMES)),
    st.sets(st.sampled_from(NAMES)),
)
def test_reading_newest_first_answers_as_the_whole_fold(
    moves: list[tuple[str, str | None]], current: str | None, exists: set[str]
) -> None:
    events = as_events(moves)
    expected = whole_fold(moves, current, exists)
    assert previous_of_moves(reversed(events), current, exists.__contains__) == expected
    assert previous_target(events, "production", current, exists=exists.__contains__) == expected


@given(moves_strategy, st.sets(st.sampled_from(NAMES)))
def test_current_is_where_the_last_move_left_the_channel(
    moves: list[tuple[str, str | None]], exists: set[str]
) -> None:
    """The case a rollback meets: the pointer is the last move's target."""
    current = next((v for _, v in reversed(moves) if v), None)
    answer = previous_of_moves(reversed(as_events(moves)), current, exists.__contains__)
    assert answer == whole_fold(moves, current, exists)


def counted(events: list[Event], reads: list[int]) -> Iterator[Event]:
    for event in reversed(events):
        reads[0] += 1
        yield event


def test_a_long_history_is_read_only_as_far_as_the_answer() -> None:
    """Promotions of 1,000 versions, then rollbacks: each answer needs the last few moves."""
    names = [f"v{i:04d}" for i in range(1000)]
    moves: list[tuple[str, str | None]] = [("promote", n) for n in names]
    reads = [0]
    assert previous_of_moves(counted(as_events(moves), reads), names[-1]) == names[-2]
    assert reads[0] <= 2
    moves.append(("rollback", names[-2]))  # a rollback of a rollback goes two back
    reads = [0]
    assert previous_of_moves(counted(as_events(moves), reads), names[-2]) == names[-3]
    assert reads[0] <= 8
    reads = [0]  # deleted versions are skipped, reading further
    gone = set(names[-50:-2])
    answer = previous_of_moves(counted(as_events(moves), reads), names[-2], lambda n: n not in gone)
    assert answer == names[-51]
    assert reads[0] <= 256


def test_a_rollback_to_a_version_never_served_reads_the_whole_history() -> None:
    """Whether a rollback's target was on the stack is known only from the whole history."""
    moves: list[tuple[str, str | None]] = [("promote", f"v{i}") for i in range(100)]
    moves.append(("rollback", "x"))
    reads = [0]
    assert previous_of_moves(counted(as_events(moves), reads), "x") == "v99"
    assert reads[0] == 101
