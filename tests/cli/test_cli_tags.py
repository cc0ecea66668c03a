"""`modelreg tag` and `modelreg list --tag`: tags set, removed, filtered, shown, audited."""

from __future__ import annotations

from pathlib import Path

from cli_support import model_file, register, run, run_json


def test_tag_list_show_and_history(tmp_path: Path) -> None:
    models = tmp_path / "models"
    source = model_file(tmp_path / "src")
    a, b = (register(models, source, "rmse=0.1") for _ in range(2))
    assert run(models, "tag", a, "owner=alice", "dataset=v3").stdout.strip() == (
        "dataset=v3 owner=alice"
    )
    assert run_json(models, "tag", b, "owner=bob", "--reason", "mine") == {
        "version": b,
        "tags": {"owner": "bob"},
    }
    listed = run_json(models, "list", "--tag", "owner=alice")
    assert [(row["version"], row["tags"]) for row in listed] == [
        (a, {"owner": "alice", "dataset": "v3"})
    ]
    assert run_json(models, "list", "--tag", "owner=alice", "--tag", "dataset=v2") == []
    assert "dataset=v3 owner=alice" in run(models, "show", a).stdout
    assert run_json(models, "tag", a, "--remove", "dataset")["tags"] == {"owner": "alice"}
    assert run(models, "tag", a).stdout.strip() == "owner=alice"  # no edit: just shows them
    events = [e for e in run_json(models, "history", "--all") if e["action"] == "tag"]
    assert [(e["version"], e.get("reason")) for e in events] == [(a, None), (b, "mine"), (a, None)]


def test_bad_tags_are_usage_errors(tmp_path: Path) -> None:
    models = tmp_path / "models"
    version = register(models, model_file(tmp_path / "src"), "rmse=0.1")
    for bad in ("owner", "1x=y", "owner="):
        result = run(models, "tag", version, bad, ok=False)
        assert result.exit_code == 2 and "tag" in result.output, (bad, result.output)
    assert run(models, "list", "--tag", "no-equals", ok=False).exit_code == 2
    missing = run(models, "tag", "20200101_000000", "owner=x", ok=False)
    assert missing.exit_code == 1 and "does not exist" in missing.output
