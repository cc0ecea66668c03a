"""A promote on PostgreSQL is two messages (`sql_session`): `BEGIN; lock; read`, and the
writes with COMMIT. The count is pinned here from libpq's own trace of what the client sent,
so a change that adds a round trip fails; and a promote whose connection dies before its last
leaves the catalog as it was (pointer, statuses, audit log), the next promote then works.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import modelreg.backends.sql_session as sql_session
from modelreg import ModelRegistry
from modelreg.errors import StorageError
from modelreg.testing import make_result

pytestmark = pytest.mark.postgres


class Messages:
    """The messages a registry's new connections send, each one wait for the server: a
    simple-protocol Query, or the Sync closing an extended-protocol statement."""

    def __init__(self, registry: ModelRegistry) -> None:
        from psycopg import pq

        handle, name = tempfile.mkstemp(prefix="modelreg-test-trace-")
        os.close(handle)
        self.path, self.offset = Path(name), 0
        self._file = open(self.path, "ab")  # noqa: SIM115 - closed by close()
        flags = pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE
        engine = registry.backend._engine  # type: ignore[attr-defined]
        engine.dispose()  # every connection from here on is traced

        def on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.pgconn.trace(os.dup(self._file.fileno()))
            dbapi_connection.pgconn.set_trace_flags(flags)

        sa.event.listen(engine, "connect", on_connect)

    def take(self) -> list[str]:
        """What was sent since the last call: one entry per round trip."""
        text = self.path.read_bytes()[self.offset :].decode("utf-8", "replace")
        self.offset += len(text.encode("utf-8"))
        sent: list[str] = []
        parsed = ""
        for line in text.splitlines():
            fields = line.split("\t")
            if len(fields) < 3 or fields[0] != "F":
                continue
            if fields[2] == "Query":
                sent.append(fields[3].strip())
            elif fields[2] == "Parse":
                parsed = fields[3].strip()
            elif fields[2] == "Sync":
                sent.append(parsed or "(prepared)")
                parsed = ""
        return sent

    def close(self) -> None:
        self._file.close()
        self.path.unlink(missing_ok=True)


@pytest.fixture
def registry(postgres_schema_url: str, tmp_path: Path) -> Iterator[ModelRegistry]:
    opened = ModelRegistry(
        postgres_schema_url, artifacts=str(tmp_path / "blobs"), cache_dir=tmp_path / "cache"
    )
    yield opened
    opened.close()


def _status(registry: ModelRegistry, name: str) -> str | None:
    return (registry.stored_metadata(name) or {}).get("deployment_status")


def test_a_promote_is_two_messages_a_register_five_a_delete_eight(registry: ModelRegistry) -> None:
    names = [registry.register(make_result(seed)) for seed in range(2)]
    messages = Messages(registry)
    try:
        for turn in range(8):  # warm: the pool's connection, psycopg's prepared statements
            registry.promote_to_production(names[turn % 2])
            registry.register(make_result(10 + turn))
        messages.take()
        assert registry.promote_to_production(names[0])
        sent = messages.take()
        assert len(sent) == 2, sent
        assert sent[0].startswith('"BEGIN;') and "pg_advisory_xact_lock" in sent[0]
        assert sent[0].index("pg_advisory_xact_lock") < sent[0].index("LEFT JOIN")
        assert "ON CONFLICT" in sent[1] and sent[1].rstrip('"').endswith("COMMIT")
        assert registry.channels()["production"] == names[0]
        messages.take()
        assert registry.promote_to_production(names[0])  # already there: the read, COMMIT
        assert len(messages.take()) == 2
        registry.register(make_result(99))
        sent = messages.take()  # opening, names, blob lock, version row, the rest + COMMIT
        assert len(sent) == 5, sent
        doomed = [registry.register(make_result(100 + seed)) for seed in range(2)]
        registry.delete_version(doomed[0])  # the first prepares its statements
        messages.take()
        registry.delete_version(doomed[1])  # opening, metadata, pointers, the delete, event
        sent = messages.take()  # + COMMIT; then its blobs: `BEGIN; lock`, references, COMMIT
        assert len(sent) == 8, sent
    finally:
        messages.close()


def test_a_promote_killed_between_its_messages_leaves_the_old_state(
    registry: ModelRegistry, postgres_schema_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = (registry.register(make_result(seed)) for seed in range(2))
    registry.promote_to_production(old)
    events = len(registry.events())
    admin = sa.create_engine(
        postgres_schema_url.replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
    )
    send = sql_session.message
    killed: list[int] = []

    def kill_then_send(conn: Any, parts: Any) -> Any:
        if any(text == "COMMIT" for text, _ in parts):  # the writes' message, not yet sent
            pid = conn.connection.driver_connection.info.backend_pid
            with admin.connect() as other:
                other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            killed.append(pid)
        return send(conn, parts)

    monkeypatch.setattr(sql_session, "message", kill_then_send)
    try:
        with pytest.raises(StorageError):
            registry.promote_to_production(new)
        assert killed
        monkeypatch.setattr(sql_session, "message", send)
        assert registry.channels()["production"] == old
        assert (_status(registry, old), _status(registry, new)) == ("production", "registered")
        assert len(registry.events()) == events
        assert registry.promote_to_production(new)  # the pool connects afresh
        assert (_status(registry, old), _status(registry, new)) == ("archived", "production")
        assert registry.channels()["production"] == new
        assert len(registry.events()) == events + 1
    finally:
        admin.dispose()


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_a_transaction_reads_the_writes_it_holds_back(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Held-back writes (a status, a tag change, a pointer, an event) go out before the
    transaction's next statement: its own reads, listings included, see every one of them."""
    from modelreg.backends.base import VersionQuery
    from modelreg.events import Event

    url = (
        f"sqlite:///{tmp_path / 'registry.db'}"
        if kind == "sqlite"
        else request.getfixturevalue("postgres_schema_url")
    )
    registry = ModelRegistry(url, artifacts=str(tmp_path / "blobs"), cache_dir=tmp_path / "c")
    try:
        a, b = (registry.register(make_result(seed)) for seed in range(2))
        backend = registry.backend
        with backend.transaction():
            meta = backend.read_metadata(a)
            assert meta is not None
            backend.write_metadata(a, {**meta, "tags": {"team": "red"}})  # the tag index too
            backend.write_metadata(a, {**meta, "tags": {"team": "blue"}, "note": "second"})
            backend.set_pointer("staging", b)
            backend.append_event(Event("2026-01-26T10:30:00Z", "tag", version=a, user="t"))
            assert backend.pointers() == {"staging": b}
            assert backend.read_events()[-1].action == "tag"
            tagged = backend.query(VersionQuery(tags={"team": "blue"}))
            assert [m["version"] for m in tagged] == [a] and tagged[0]["note"] == "second"
            assert backend.query(VersionQuery(tags={"team": "red"})) == []
        assert registry.channels() == {"staging": b}
        assert (registry.stored_metadata(a) or {})["tags"] == {"team": "blue"}
    finally:
        registry.close()


def test_a_move_waiting_for_the_lock_reads_what_the_holder_committed(
    registry: ModelRegistry, postgres_schema_url: str, tmp_path: Path
) -> None:
    """The move's read travels with the lock, as its own statement: it reads after the lock
    is granted, so it sees what the writer before it committed, not the state it queued in."""
    import threading

    a, b, c = (registry.register(make_result(seed)) for seed in range(3))
    registry.promote_to_production(a)
    other = ModelRegistry(
        postgres_schema_url, artifacts=str(tmp_path / "blobs"), cache_dir=tmp_path / "c2"
    )
    outcome: list[object] = []

    def promote_c() -> None:
        try:
            outcome.append(other.promote(c, expected_current=b))
        except Exception as exc:  # a stale read would be PromotionConflict (a, not b)
            outcome.append(exc)

    try:
        with registry.backend.transaction():
            registry.backend.set_pointer("production", b)
            waiting = threading.Thread(target=promote_c)
            waiting.start()
            waiting.join(0.5)
            assert waiting.is_alive() and outcome == []  # queued behind our lock
        waiting.join(30)
        assert outcome == [True]
        assert registry.channels()["production"] == c
    finally:
        other.close()
