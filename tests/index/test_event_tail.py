"""`recent_events` reads only the log's tail, and answers like filtering the whole log."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from modelreg.backends.base import Backend
from modelreg.backends.local import LocalBackend
from modelreg.events import Event, encode_event
from modelreg.metadata import iso_utc

_START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def backend(tmp_path: Path) -> LocalBackend:
    backend = LocalBackend(tmp_path / "models")
    backend.root.mkdir()
    lines = [
        encode_event(Event(iso_utc(_START + timedelta(seconds=i)), "register", version=f"v{i}"))
        for i in range(3000)  # about 200 KB: several 64 KB blocks
    ]
    lines.insert(1500, b'{"torn": \n')
    backend.events_path.write_bytes(b"".join(lines))
    return backend


@pytest.mark.parametrize("second", [0, 1, 1499, 1500, 2100, 2999, 3000])
def test_the_tail_matches_the_whole_log(backend: LocalBackend, second: int) -> None:
    since = _START + timedelta(seconds=second)
    expected = Backend.recent_events(backend, since)
    assert backend.recent_events(since) == expected
    assert len(expected) == 3000 - second


def test_no_log_means_no_events(tmp_path: Path) -> None:
    assert LocalBackend(tmp_path / "models").recent_events(_START) == []


def test_an_encoded_event_is_its_dict_as_json() -> None:
    event = Event(
        "2026-01-01T00:00:00Z",
        "promote",
        version="20260101_000000",
        channel="production",
        user="ana",
        details={"gate": {"passed": True, "reasons": ["auc 0.9 >= 0.8"]}},
    )
    line = encode_event(event)
    assert line == (json.dumps(event.to_dict(), sort_keys=True) + "\n").encode()
    assert "reason" not in json.loads(line)  # None fields are left out
