"""The feed's rules as pure functions: ids, filters, signatures, backoff and durable state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hooks.support import SECRET, Receiver, config, wait_until
from modelreg import ModelRegistry
from modelreg.errors import CorruptVersionError, InvalidInputError, SignatureError
from modelreg.events import Event
from modelreg.hooks import EventFilter, parse_event_id, read_feed, sign, verify_signature
from modelreg.hooks.cursor import HookState
from modelreg.hooks.dispatcher import Dispatcher
from modelreg.hooks.signing import signature_header
from modelreg.testing.support import make_result


def event(action: str, channel: str | None = None) -> Event:
    return Event("2026-01-01T00:00:00Z", action, version="20260101_000000", channel=channel)


def test_a_filter_is_generic_over_kinds_and_channels() -> None:
    assert EventFilter.of().matches(event("approve"))  # kinds added later: the wildcard has them
    only = EventFilter.of(["promote", "request"], ["production"])
    assert only.matches(event("request", "production"))
    assert not only.matches(event("promote", "staging"))
    assert not only.matches(event("register"))  # no channel: not on production
    with pytest.raises(InvalidInputError):
        EventFilter.of(["promote now"])


def test_event_ids_name_their_model(registry: ModelRegistry) -> None:
    registry.register(make_result(0))
    registry.register(make_result(1))
    feed = read_feed(registry, 1)
    assert [(i.id, i.sequence, i.event.action) for i in feed] == [("default:2", 2, "register")]
    assert parse_event_id("default:7", "default") == parse_event_id("7", "default") == 7
    for bad in ("eth:7", "default:-1", "default:x", "1" * 30):
        with pytest.raises(InvalidInputError):
            parse_event_id(bad, "default")


@given(st.binary(max_size=2000), st.integers(min_value=1_600_000_000, max_value=2_000_000_000))
def test_a_signature_verifies_its_own_body_only(body: bytes, moment: int) -> None:
    header = signature_header(SECRET, body, timestamp=moment)
    assert verify_signature(SECRET, header, body, now=moment + 10) == moment
    with pytest.raises(SignatureError):
        verify_signature(SECRET, header, body + b" ", now=moment)
    with pytest.raises(SignatureError):
        verify_signature(SECRET + "x", header, body, now=moment)


def test_an_old_or_malformed_signature_is_refused() -> None:
    body = b'{"id": "default:1"}'
    header = f"t=1000,v1={sign(SECRET, 1000, body)}"
    assert verify_signature(SECRET, header, body, now=1100) == 1000
    with pytest.raises(SignatureError, match="replay"):
        verify_signature(SECRET, header, body, now=1000 + 301)
    for broken in (None, "", "v1=abc", "t=x,v1=abc", "t=1000", "t=1,t=2,v1=a"):
        with pytest.raises(SignatureError):
            verify_signature(SECRET, broken, body, now=1000)


def test_backoff_doubles_up_to_its_cap(registry: ModelRegistry, tmp_path: Path) -> None:
    hooks = config(tmp_path, {"url": "http://127.0.0.1:9/"}, retry={"initial": 1, "max": 5})
    [worker] = Dispatcher(hooks, registry)._workers
    delays = []
    for _ in range(6):
        worker.failures += 1
        delays.append(worker._backoff())
    assert delays == [1, 2, 4, 5, 5, 5]


def test_a_corrupt_state_file_is_an_error_that_names_it(tmp_path: Path) -> None:
    path = tmp_path / "deploy.json"
    path.write_text("{not json")
    with pytest.raises(CorruptVersionError, match=r"deploy\.json"):
        HookState.load(path)


def test_a_log_that_is_not_the_one_read_stops_delivery(tmp_path: Path) -> None:
    receiver = Receiver().start()
    try:
        registry = ModelRegistry(tmp_path / "models")
        registry.register(make_result())
        hooks = config(tmp_path, {"url": receiver.url})
        with Dispatcher(hooks, registry):
            receiver.wait_for(1)
        log = tmp_path / "models" / "events.jsonl"
        first = json.loads(log.read_text().splitlines()[0])
        log.write_text(json.dumps({**first, "version": "20990101_000000"}) + "\n")
        registry.register(make_result(1))  # a new log whose event 1 differs
        with Dispatcher(hooks, registry) as dispatcher:
            wait_until(lambda: dispatcher.status()[0]["failures"] >= 1, "the mismatch")
            error = dispatcher.status()[0]["last_error"]["error"]
        assert "not the one this hook's cursor was in" in error
        assert receiver.ids() == ["default:1"]  # nothing replayed, nothing skipped silently
    finally:
        receiver.stop()


def test_the_cli_shows_the_status_from_the_hooks_file(
    registry: ModelRegistry, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from modelreg.cli import cli

    receiver = Receiver().start()
    try:
        path = tmp_path / "hooks.yaml"
        hooks = config(tmp_path, {"url": receiver.url, "events": ["register"]})
        registry.register(make_result())
        with Dispatcher(hooks, registry):
            receiver.wait_for(1)
        registry.register(make_result(1))  # pending: no server delivers now
        args = ["--registry", str(registry.location), "hooks", "--hooks-file", str(path)]
        shown = CliRunner().invoke(cli, args)
        assert shown.exit_code == 0, shown.output
        assert "deploy" in shown.output and "pending 1, delivered 1" in shown.output
        assert SECRET not in shown.output
        as_json = CliRunner().invoke(cli, [*args, "--json"])
        [hook] = json.loads(as_json.output)["hooks"]
        assert hook["pending"] == 1 and hook["last_success"]["event"] == "default:1"
    finally:
        receiver.stop()


def test_readers_of_a_shared_log_share_one_read_per_interval(registry: ModelRegistry) -> None:
    from modelreg.hooks.feed import SharedLog

    reads = []

    class Counting:
        model = "default"

        def events(self) -> list[Event]:
            reads.append(1)
            return registry.events()

    registry.register(make_result())
    shared = SharedLog(Counting(), every=60)
    assert [len(read_feed(shared, 0)) for _ in range(50)] == [1] * 50
    assert len(reads) == 1  # fifty streams polling: one read of the log
    fresh = SharedLog(Counting(), every=0)
    registry.register(make_result(1))
    assert len(read_feed(fresh, 0)) == 2 and len(reads) == 2


def test_events_quiet_and_json_print_what_the_reference_says(registry: ModelRegistry) -> None:
    from click.testing import CliRunner

    from modelreg.cli import cli

    version = registry.register(make_result())
    registry.promote(version, reason="first")
    base = ["--registry", str(registry.location), "events", "--kind", "promote"]
    quiet = CliRunner().invoke(cli, [*base, "--quiet"])
    assert quiet.exit_code == 0 and quiet.output.splitlines() == [
        f"default:2 promote production {version}"
    ]
    [line] = CliRunner().invoke(cli, [*base, "--json"]).output.splitlines()
    assert json.loads(line)["id"] == "default:2" and json.loads(line)["reason"] == "first"
    later = CliRunner().invoke(cli, [*base, "--after", "default:2", "--quiet"])
    assert later.exit_code == 0 and later.output == ""
