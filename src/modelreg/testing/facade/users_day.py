"""A user's day (issue 14's "done when"): three versions described and tagged, `champion` and
`staging` aliases, `@champion` loaded, a tag filter, `staging` moved with a reason and rolled
back, and all of it read back from the audit log. The CLI's and REST's halves are in the
project's own tests (`tests/cli/test_cli_users_day.py`, `tests/server/test_users_day_api.py`)."""

from __future__ import annotations

from ..support import Clock, Open, make_result, registered


def test_a_users_day(backend_factory: Open, clock: Clock) -> None:
    registry = backend_factory()
    a, b, c = registered(registry, clock)
    registry.describe_model("Next-day direction of EURUSD.", reason="new model")
    registry.set_model_tags({"team": "fx"})
    for version, owner, dataset in ((a, "alice", "v2"), (b, "alice", "v3"), (c, "bob", "v3")):
        registry.describe_version(version, f"## {version}\nTrained on **{dataset}**.")
        registry.set_tags(version, {"owner": owner, "dataset": dataset}, reason="triage")
    registry.promote(b, "champion", expected_current=None, reason="best rmse")
    registry.promote(c, "staging", reason="candidate")

    serving = backend_factory()  # another process: a serving job, a notebook
    champion = serving.load_version("@champion")
    assert champion is not None and champion.metrics == make_result(1).metrics
    found = serving.list_versions(tags={"owner": "alice", "dataset": "v3"})
    assert [(v.version, v.channels) for v in found] == [(b, ["champion"])]
    assert [v.version for v in serving.list_versions(tags={"dataset": "v3"})] == [c, b]

    moved = registry.move_pointer(a, "staging", expected_current=c, reason="try the older one")
    assert (moved.version, moved.previous) == (a, c)
    back = registry.rollback(channel="staging", reason="older one was worse")
    assert (back.version, back.previous) == (c, a)

    reader = backend_factory()
    assert reader.channels() == {"champion": b, "staging": c}
    staging = [(e.action, e.version, e.reason) for e in reader.history("staging")]
    assert staging == [
        ("promote", c, "candidate"),
        ("promote", a, "try the older one"),
        ("rollback", c, "older one was worse"),
    ]
    log = reader.events()
    assert [e.action for e in log] == [
        "register",
        "register",
        "register",
        "describe",
        "tag",
        *["describe", "tag"] * 3,
        "promote",
        "promote",
        "promote",
        "rollback",
    ]
    assert all(e.user for e in log)
    described = {e.version: e.details for e in log if e.action == "describe" and e.version}
    assert described[b] == {"description": f"## {b}\nTrained on **v3**.", "previous": None}
    info = reader.get_version_info("@champion")
    assert info is not None
    assert (info["description"], info["tags"]) == (
        f"## {b}\nTrained on **v3**.",
        {"owner": "alice", "dataset": "v3"},
    )
    assert reader.model_info()["tags"] == {"team": "fx"}
