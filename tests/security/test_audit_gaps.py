"""Finding 9: a writer killed between its change and its log append left a silent gap.

A version published without its register event, a version removed without its delete event,
a pointer moved without its promote event: `verify` flagged the pointer only until the next
promotion, and after it the gap was invisible forever. Here the writer is the server itself,
killed (SIGKILL) right before each kind of append, with more operations after every kill.
`verify` must find all three from the whole log, `verify --repair` record each as a recovered
event, and history and rollback then read as if nothing had been lost.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from modelreg import ModelRegistry, ModelRegistryError
from server.support import fill, rich_result

from .support import READ_TOKEN, WRITE_TOKEN, auth, serve

DYING = Path(__file__).with_name("dying_server.py")


def _dies_while(root: Path, tmp_path: Path, action: str, operation: object) -> None:
    """Run `operation(client)` against a server that dies right before logging `action`."""
    env = {"DIE_BEFORE_LOGGING": action}
    with serve(root, tmp_path, script=DYING, env=env) as server:
        client = ModelRegistry(server.url, token=WRITE_TOKEN)
        with pytest.raises(ModelRegistryError):
            operation(client)  # type: ignore[operator]
        server.process.wait(timeout=30)
        assert server.process.returncode == -9, server.log()
        client.close()


def test_every_unlogged_change_is_found_and_recorded_however_much_came_after(
    tmp_path: Path,
) -> None:
    root = tmp_path / "models"
    names = fill(ModelRegistry(root), 4)
    with serve(root, tmp_path) as server:
        ModelRegistry(server.url, token=WRITE_TOKEN).promote(names[0])

    _dies_while(root, tmp_path, "promote", lambda c: c.promote(names[1]))
    with serve(root, tmp_path) as server:  # later promotions hide the lost one from the tail
        client = ModelRegistry(server.url, token=WRITE_TOKEN)
        client.promote(names[2])
        client.promote(names[3])
    _dies_while(root, tmp_path, "register", lambda c: c.register(rich_result(7)))
    _dies_while(root, tmp_path, "delete", lambda c: c.delete_version(names[0]))
    with serve(root, tmp_path) as server:
        client = ModelRegistry(server.url, token=WRITE_TOKEN)
        client.register(rich_result(8))
        client.promote(names[2])
        client.cleanup_old_versions(keep_versions=10)
        report = httpx.post(f"{server.url}/api/verify", json={}, headers=auth(READ_TOKEN)).json()
        found = {(p["kind"], p["where"]) for p in report["problems"]}
        present = {v.version for v in client.list_versions()}
        lost = sorted(present - set(_logged_registers(root)))
        assert len(lost) == 1 and lost[0] not in names
        assert found == {
            ("unlogged-move", "production"),
            ("unlogged-register", lost[0]),
            ("unlogged-delete", names[0]),
        }, report["problems"]

        repaired = httpx.post(
            f"{server.url}/api/verify", json={"repair": True}, headers=auth(WRITE_TOKEN)
        ).json()
        assert {(p["kind"], p["where"]) for p in repaired["repaired"]} == found
        again = httpx.post(f"{server.url}/api/verify", json={}, headers=auth(READ_TOKEN)).json()
        assert again["problems"] == []

        history = [(e.version, e.previous) for e in client.history()]
        assert history == [
            (names[0], None),
            (names[1], names[0]),  # the recovered move, where it happened
            (names[2], names[1]),
            (names[3], names[2]),
            (names[2], names[3]),
        ]
        assert client.rollback_to_version()  # back along the recovered chain
        assert client.current_version() == names[3]
    recovered = [e for e in ModelRegistry(root).events() if e.action == "recover"]
    assert sorted((e.details or {})["recovers"] for e in recovered) == [
        "delete",
        "promote",
        "register",
    ]


def _logged_registers(root: Path) -> list[str]:
    return [str(e.version) for e in ModelRegistry(root).events() if e.action == "register"]
