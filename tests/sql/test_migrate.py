"""`migrate`: versions keep names, hashes, pointers and history; re-runs copy only what is new."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from clock import Clock
from conftest import make_result, source_registry
from modelreg import ModelRegistry, VersionExistsError
from modelreg.cli import cli
from modelreg.migration import migrate


def _state(registry: ModelRegistry) -> tuple:
    return (
        [(v.version, v.deployment_status) for v in registry.list_versions()],
        {
            v.version: registry.get_version_info(v.version)["files"]
            for v in registry.list_versions()
        },
        registry.channels(),
        [e.to_dict() for e in registry.events()],
    )


def test_local_to_sqlite_and_back(tmp_path: Path, clock: Clock) -> None:
    names = source_registry(tmp_path / "models", clock)
    catalog = f"sqlite:///{tmp_path / 'registry.db'}"
    reports = migrate(tmp_path / "models", catalog)
    assert [(r.model, r.copied) for r in reports] == [("default", names[:3]), ("eth", names[3:])]
    source = ModelRegistry(tmp_path / "models", trust_pickle=True)
    target = ModelRegistry(catalog, trust_pickle=True)
    assert _state(target) == _state(source)
    assert target.production_at(clock.now) == names[0]
    assert target.load_version() is not None
    assert target.verify().ok

    back = migrate(catalog, tmp_path / "back")
    assert [r.copied for r in back] == [names[:3], names[3:]]
    assert _state(ModelRegistry(tmp_path / "back")) == _state(source)
    assert ModelRegistry(tmp_path / "back", model="eth").list_versions()[0].version == names[3]


def test_rerun_skips_and_picks_up_what_is_new(tmp_path: Path, clock: Clock) -> None:
    names = source_registry(tmp_path / "models", clock)[:3]
    catalog = f"sqlite:///{tmp_path / 'registry.db'}"
    migrate(tmp_path / "models", catalog, models=["default"])
    again = migrate(tmp_path / "models", catalog, models=["default"])[0]
    assert (again.copied, again.skipped, again.events, again.pointers) == ([], names, 0, {})
    source = ModelRegistry(tmp_path / "models", trust_pickle=True)
    clock.tick(60)
    newest = source.register(make_result(5))
    source.promote(newest)
    third = migrate(tmp_path / "models", catalog, models=["default"])[0]
    assert third.copied == [newest]
    assert third.events == 2 and third.pointers == {"production": newest}
    assert _state(ModelRegistry(catalog)) == _state(source)


def test_a_different_version_under_the_same_name_is_refused(tmp_path: Path, clock: Clock) -> None:
    ModelRegistry(tmp_path / "a").register(make_result(1))
    ModelRegistry(tmp_path / "b").register(make_result(2))  # same clock, same name
    with pytest.raises(VersionExistsError):
        migrate(tmp_path / "a", tmp_path / "b")


def test_cli_migrate(tmp_path: Path, clock: Clock) -> None:
    names = source_registry(tmp_path / "models", clock)[:3]
    catalog = f"sqlite:///{tmp_path / 'registry.db'}"
    args = ["migrate", "--from", str(tmp_path / "models"), "--to", catalog]
    args += ["--artifacts", str(tmp_path / "blobs"), "--model", "default"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "copied 3 version(s)" in result.output
    registry = ModelRegistry(catalog, artifacts=str(tmp_path / "blobs"))
    assert [v.version for v in registry.list_versions()] == names[::-1]
    assert (tmp_path / "blobs" / "sha256").is_dir()
    again = CliRunner().invoke(cli, [*args, "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.output) == [
        {"model": "default", "copied": [], "skipped": names, "events": 0, "pointers": {}}
    ]


@pytest.mark.postgres
@pytest.mark.s3
def test_local_to_postgres_and_s3(
    tmp_path: Path, clock: Clock, postgres_schema_url: str, s3_endpoint: str
) -> None:
    source_registry(tmp_path / "models", clock)
    options = {
        "artifacts": "s3://modelreg-test/migrated",
        "storage_options": {"client_kwargs": {"endpoint_url": s3_endpoint}},
        "cache_dir": tmp_path / "cache",
    }
    migrate(tmp_path / "models", postgres_schema_url, dest_options=options)
    source = ModelRegistry(tmp_path / "models", trust_pickle=True)
    target = ModelRegistry(postgres_schema_url, trust_pickle=True, **options)
    assert _state(target) == _state(source)
    assert target.verify().ok
    assert sorted(target.models()) == ["default", "eth"]
    target.close()
    migrate(postgres_schema_url, tmp_path / "back", source_options=options)
    assert _state(ModelRegistry(tmp_path / "back")) == _state(source)


def test_the_models_own_record_travels_once(tmp_path: Path, clock: Clock) -> None:
    source_registry(tmp_path / "models", clock)
    source = ModelRegistry(tmp_path / "models")
    source.describe_model("Next-day *direction*.", reason="new model")
    source.set_model_tags({"team": "fx"})
    catalog = f"sqlite:///{tmp_path / 'registry.db'}"
    migrate(tmp_path / "models", catalog, models=["default"])
    target = ModelRegistry(catalog)
    assert target.model_info() == source.model_info()
    logged = len(target.events())
    again = migrate(tmp_path / "models", catalog, models=["default"])[0]
    assert again.events == 0 and len(target.events()) == logged
    assert ModelRegistry(catalog, model="eth").model_info()["tags"] == {}
