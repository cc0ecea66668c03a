"""The gap check orders the log once for all channels, and a log with no anchored recovery
is taken in order as it is: lost moves are found in every channel, and once recorded (each
recovery anchored before the move that showed it) none is found again."""

from __future__ import annotations

from modelreg.audit import find_gaps
from modelreg.events import Event, in_effect_order, pointer_history

A, B, C = "20260101_000000", "20260101_000001", "20260101_000002"


def _at(minute: int) -> str:
    return f"2026-01-02T00:{minute:02d}:00Z"


def _log() -> list[Event]:
    """Two channels, each with one move the log lost (a->b on production, b->c on staging)."""
    return [
        *(Event(_at(i), "register", version=v) for i, v in enumerate((A, B, C))),
        Event(_at(10), "promote", version=A, channel="production"),
        Event(_at(11), "promote", version=B, channel="staging"),
        Event(_at(12), "promote", version=C, channel="production", previous=B),
        Event(_at(13), "promote", version=A, channel="staging", previous=C),
        Event(_at(14), "recover", version=A, details={"recovers": "register"}),  # no anchor
    ]


def test_a_log_without_anchored_recoveries_is_in_effect_order_as_it_is() -> None:
    log = _log()
    ordered = in_effect_order(iter(log))
    assert ordered == log and all(a is b for a, b in zip(ordered, log, strict=True))


def test_lost_moves_are_found_in_every_channel_and_not_again_once_recorded() -> None:
    log = _log()
    pointers = {"production": C, "staging": A}
    gaps = find_gaps(log, [A, B, C], pointers, now=_at(30), user="u")
    assert [(g.kind, g.where, g.detail) for g in gaps] == [
        (
            "unlogged-move",
            "production",
            f"moved from {A} to {B} (before the promote at {_at(12)}); the audit log lacks "
            "that move",
        ),
        (
            "unlogged-move",
            "staging",
            f"moved from {B} to {C} (before the promote at {_at(13)}); the audit log lacks "
            "that move",
        ),
    ]
    mended = log + [g.recovered for g in gaps]  # as `verify --repair` appends them
    assert find_gaps(mended, [A, B, C], pointers, now=_at(31), user="u") == []
    production = pointer_history(mended, "production")  # each recovery before its anchor
    assert [(e.action, e.version) for e in production] == [
        ("promote", A),
        ("recover", B),
        ("promote", C),
    ]
    moved = in_effect_order(mended)
    assert moved.index(gaps[1].recovered) == moved.index(log[6]) - 1
