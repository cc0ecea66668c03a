"""A settable clock for tests that need versions registered at known moments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest


class Clock:
    """Stands in for `modelreg.operations.store.utc_now`: a fixed moment, moved by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def tick(self, seconds: float = 1.0) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fixed = Clock(datetime(2026, 1, 26, 10, 30, 0, tzinfo=UTC))
    monkeypatch.setattr("modelreg.operations.store.utc_now", fixed)
    return fixed
