"""Every command end to end through click's runner, human and --json output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import model_file, register, run, run_json

from conftest import make_result
from modelreg import ModelRegistry


def test_init_creates_an_empty_registry_and_is_idempotent(tmp_path: Path) -> None:
    models = tmp_path / "models"
    assert run_json(models, "init") == {"registry": str(models.absolute()), "created": True}
    assert models.is_dir()
    assert "already a registry" in run(models, "init").stdout
    assert run_json(models, "list") == []


def test_init_takes_a_path_argument(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    result = run(tmp_path / "unused", "init", str(target))
    assert "Created an empty registry" in result.stdout
    assert target.is_dir() and not (tmp_path / "unused").exists()


def test_register_a_single_file_with_options(tmp_path: Path) -> None:
    models = tmp_path / "models"
    source = model_file(tmp_path / "src")
    out = run_json(
        models,
        "register",
        "--create",
        str(source),
        "--metric",
        "rmse=0.012",
        "-m",
        "direction_accuracy=0.54",
        "--param",
        "alpha=1.5",
        "--param",
        "kind=ridge",
        "--feature",
        "ema_20",
        "--feature",
        "rsi_14",
        "--data-range",
        "2025-01-01:2026-01-26",
        "--extra",
        "owner=ana",
    )
    assert out["promotion"] is None
    info = ModelRegistry(models).get_version_info(out["version"])
    assert info is not None
    assert info["metrics"] == {"rmse": 0.012, "direction_accuracy": 0.54}
    assert info["hyperparameters"] == {"alpha": 1.5, "kind": "ridge"}
    assert info["features"] == ["ema_20", "rsi_14"]
    assert info["data_range"] == {"start": "2025-01-01T00:00:00Z", "end": "2026-01-26T00:00:00Z"}
    assert info["owner"] == "ana"
    assert set(info["files"]) == {"model.pkl"}
    loaded = ModelRegistry(models).load_version(out["version"])
    assert loaded is not None and loaded.model == {"coef": [0.5, -0.2]}


def test_register_a_saved_training_result_uses_its_metadata(tmp_path: Path) -> None:
    models = tmp_path / "models"
    make_result(3).save(tmp_path / "run")
    name = register(models, tmp_path / "run", "rmse=0.5")
    registry = ModelRegistry(models)
    info = registry.get_version_info(name)
    assert info is not None
    assert info["metrics"] == {"rmse": 0.5, "direction_accuracy": 0.53}  # one overridden
    assert info["features"] == ["ema_20", "rsi_14", "vol_20"]
    assert info["hyperparameters"] == {"alpha": 1.0}
    loaded = registry.load_version(name)
    assert loaded is not None and loaded.model.predict([[1.0, 0.0, 0.0]]).shape == (1,)
    assert info["model"]["flavor"] in run(models, "show", name).stdout


def test_register_promote_if_better(tmp_path: Path) -> None:
    models = tmp_path / "models"
    source = model_file(tmp_path / "src")
    first = run_json(
        models, "register", "--create", str(source), "-m", "rmse=0.02", "--promote-if-better"
    )
    assert first["promotion"]["promoted"] is True
    worse = run_json(models, "register", str(source), "-m", "rmse=0.03", "--promote-if-better")
    assert worse["promotion"] == {
        "promoted": False,
        "production": first["version"],
        "reasons": [worse["promotion"]["reasons"][0]],
        "request": None,
    }
    assert "not better" in worse["promotion"]["reasons"][0]
    human = run(
        models,
        "register",
        "--create",
        str(source),
        "-m",
        "rmse=0.01",
        "--promote-if-better",
        "--metric-gate",
        "rmse",
        "--min-improvement",
        "0.005",
        "--reason",
        "nightly",
    )
    assert "Promoted" in human.stdout
    assert ModelRegistry(models).history()[-1].reason == "nightly"


def _two_versions(tmp_path: Path) -> tuple[Path, str, str]:
    models = tmp_path / "models"
    source = model_file(tmp_path / "src")
    old = register(models, source, "rmse=0.02", "direction_accuracy=0.51")
    new = register(models, source, "rmse=0.01", "direction_accuracy=0.55")
    return models, old, new


def test_list_json_rows_and_filters(tmp_path: Path) -> None:
    models, old, new = _two_versions(tmp_path)
    run(models, "promote", old)
    rows = run_json(models, "list")
    assert [r["version"] for r in rows] == [new, old]
    assert {"version", "metrics", "deployment_status", "training_date"} <= set(rows[0])
    assert rows[1]["deployment_status"] == "production"
    assert rows[1]["channels"] == ["production"]
    assert [r["version"] for r in run_json(models, "list", "--min", "direction_accuracy=0.52")] == [
        new
    ]
    assert [r["version"] for r in run_json(models, "list", "--max", "rmse=0.015")] == [new]
    assert [r["version"] for r in run_json(models, "list", "--status", "production")] == [old]
    assert [r["version"] for r in run_json(models, "list", "--limit", "1")] == [new]
    assert run_json(models, "list", "--before", "2000-01-01") == []
    assert len(run_json(models, "list", "--after", "2000-01-01")) == 2


def test_list_human_marks_production(tmp_path: Path) -> None:
    models, old, new = _two_versions(tmp_path)
    run(models, "promote", old)
    out = run(models, "list").stdout
    assert new in out and old in out
    line = next(line for line in out.splitlines() if line.split()[:1] == [old])
    assert "★ production" in line
    assert "ago" in out or "just now" in out
    assert run(models, "list", "--quiet").stdout.split() == [new, old]


def test_show_json_and_human(tmp_path: Path) -> None:
    models, old, _new = _two_versions(tmp_path)
    info = run_json(models, "show", old)
    assert info["version"] == old
    assert info["metrics"]["rmse"] == 0.02
    assert info["files"]["model.pkl"]["bytes"] > 0
    assert info["deployment_status"] == "registered"
    human = run(models, "show", old).stdout
    digest = info["files"]["model.pkl"]["sha256"]
    assert digest[:16] + "…" in human and digest not in human  # 80 columns: the start
    assert digest in run(models, "show", old, "--wide").stdout
    assert "model.pkl" in human and "registered" in human
    assert f"{info['lineage']['user']}@{info['lineage']['host']}" in human


def test_show_latest_means_production(tmp_path: Path) -> None:
    models, old, _new = _two_versions(tmp_path)
    run(models, "promote", old)
    assert run_json(models, "show", "latest")["version"] == old


def test_compare_json_and_human(tmp_path: Path) -> None:
    models, old, new = _two_versions(tmp_path)
    run(models, "promote", old)
    out = run_json(models, "compare", new, "latest")
    assert (out["version1"], out["version2"]) == (new, old)
    rmse = out["metrics"]["rmse"]
    assert rmse["winner"] == new and rmse["higher_is_better"] is False
    assert rmse["difference"] == rmse["value1"] - rmse["value2"]
    assert out["metrics"]["direction_accuracy"]["winner"] == new
    human = run(models, "compare", new, old).stdout
    assert f"{new} wins 2, {old} wins 0" in human


def test_promote_rollback_and_history(tmp_path: Path) -> None:
    models, old, new = _two_versions(tmp_path)
    first = run_json(models, "promote", old, "--reason", "first")
    assert {k: first[k] for k in ("action", "version", "channel", "previous")} == {
        "action": "promote",
        "version": old,
        "channel": "production",
        "previous": None,
    }
    assert first["gate"]["passed"] and first["request"] is None
    assert "production is now" in run(models, "promote", new).stdout
    rolled = run_json(models, "rollback", "--reason", "latency regression")
    assert rolled["version"] == old and rolled["previous"] == new
    events = run_json(models, "history")
    assert [(e["action"], e["version"]) for e in events] == [
        ("promote", old),
        ("promote", new),
        ("rollback", old),
    ]
    assert events[-1]["reason"] == "latency regression"
    assert events[-1]["user"]
    assert "latency regression" in run(models, "history").stdout
    assert [e["action"] for e in run_json(models, "history", "--all")].count("register") == 2


def test_rollback_to_a_named_version_and_other_channels(tmp_path: Path) -> None:
    models, old, new = _two_versions(tmp_path)
    run(models, "promote", new)
    assert run_json(models, "rollback", old)["version"] == old
    run(models, "promote", new, "--channel", "staging")
    assert run_json(models, "history", "--channel", "staging")[0]["version"] == new
    assert json.loads(run(models, "show", new, "--json").stdout)["channels"] == ["staging"]


def test_verify_ok_and_broken(tmp_path: Path) -> None:
    models, old, _new = _two_versions(tmp_path)
    report = run_json(models, "verify")
    assert report == {"ok": True, "checked": 2, "problems": [], "repaired": []}
    assert "no problems" in run(models, "verify").stdout
    (models / old / "model.pkl").write_bytes(b"tampered")
    broken = run(models, "verify", ok=False)
    assert broken.exit_code == 1
    assert "integrity" in broken.stdout and old in broken.stdout
    assert run(models, "verify", "--repair", ok=False).exit_code == 1  # corruption stays


def test_verify_repair_mends_leftovers(tmp_path: Path) -> None:
    models, _old, _new = _two_versions(tmp_path)
    (models / ".trash" / "x").mkdir(parents=True)
    assert run(models, "verify", ok=False).exit_code == 1
    repaired = run_json(models, "verify", "--repair")
    assert repaired["ok"] is True and repaired["repaired"][0]["kind"] == "trash"
    assert not (models / ".trash" / "x").exists()


def test_every_command_has_help_with_an_example(tmp_path: Path) -> None:
    from modelreg.cli import COMMANDS

    mine = {"init", "register", "list", "show", "compare", "history", "promote", "rollback"}
    mine |= {"cleanup", "verify", "export", "import"}
    assert mine <= set(COMMANDS)
    for name in sorted(mine):
        result = run(tmp_path, name, "--help")
        assert "Example" in result.stdout, name
        assert f"modelreg {name}" in result.stdout or name == "import", name


def test_named_models_and_backend_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    models = tmp_path / "models"
    source = model_file(tmp_path / "src")
    name = run(
        models, "--model", "churn", "register", "--create", str(source), "-m", "auc=0.8", "-q"
    )
    assert [v.version for v in ModelRegistry(models, model="churn").list_versions()] == [
        name.stdout.strip()
    ]
    monkeypatch.setenv("MODELREG_MODEL", "churn")
    assert len(run_json(models, "list")) == 1
    refused = run(models, "--artifacts", "s3://bucket/x", "list", ok=False)
    assert refused.exit_code == 2 and "do not apply to a local folder" in refused.stderr


@pytest.mark.parametrize("kind", ["file", "folder"])
def test_other_model_files_are_kept_as_they_are(tmp_path: Path, kind: str) -> None:
    from modelreg.flavors import ModelFiles

    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "model.onnx").write_bytes(b"\x08\x07onnx")
    (folder / "vocab.txt").write_text("a\nb\n")
    source = folder / "model.onnx" if kind == "file" else folder
    models = tmp_path / "models"
    name = register(models, source, "auc=0.9")
    loaded = ModelRegistry(models).load_version(name)
    assert loaded is not None and isinstance(loaded.model, ModelFiles)
    assert loaded.metrics == {"auc": 0.9}
    root = loaded.model.path if kind == "folder" else loaded.model.path.parent
    assert (root / "model.onnx").read_bytes() == b"\x08\x07onnx"
    assert ((root / "vocab.txt").exists()) == (kind == "folder")


def _mixed_metrics(tmp_path: Path) -> Path:
    """Three versions with direction_accuracy, one of them without profit_factor."""
    models = tmp_path / "models"
    source = model_file(tmp_path / "src")
    register(models, source, "direction_accuracy=0.51", "profit_factor=1.1")
    register(models, source, "direction_accuracy=0.55", "profit_factor=1.3")
    register(models, source, "direction_accuracy=0.58")
    return models


def test_a_mistyped_metric_filter_is_an_error_naming_the_metrics(tmp_path: Path) -> None:
    models = _mixed_metrics(tmp_path)
    result = run(models, "list", "--min", "direction_acuracy=0.5", ok=False)
    assert result.exit_code == 2
    assert "did you mean 'direction_accuracy'" in result.stderr
    assert "the metrics are: direction_accuracy, profit_factor" in result.stderr
    assert "No versions match" not in result.stdout


def test_a_metric_some_versions_lack_warns_and_strict_fails(tmp_path: Path) -> None:
    models = _mixed_metrics(tmp_path)
    warned = run(models, "list", "--min", "profit_factor=1", "-q")
    assert "1 of 3 versions have no metric 'profit_factor'" in warned.stderr
    assert len(warned.stdout.split()) == 2
    strict = run(models, "list", "--min", "profit_factor=1", "--strict", ok=False)
    assert strict.exit_code == 2 and "--strict" in strict.stderr
    everywhere = run(models, "list", "--min", "direction_accuracy=0.5", "--strict", "-q")
    assert everywhere.stderr == "" and len(everywhere.stdout.split()) == 3
