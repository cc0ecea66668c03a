"""The catalog itself: constraints settle name races, filters run in SQL, promote is atomic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from clock import Clock
from conftest import make_result
from modelreg import ModelRegistry, VersionExistsError
from modelreg.backends import sql_listing
from modelreg.errors import StorageError
from modelreg.query import VersionQuery


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(f"sqlite:///{tmp_path / 'registry.db'}", cache_dir=tmp_path / "cache")


def test_a_taken_name_is_refused_by_the_constraint_and_the_writer_goes_on(
    registry: ModelRegistry, tmp_path: Path
) -> None:
    taken = registry.register(make_result(1))
    backend = registry.backend
    meta = backend.read_metadata(taken)
    assert meta is not None
    staged = tmp_path / "staged"
    staged.mkdir()
    (staged / "model.pkl").write_bytes(b"")
    empty = {"sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}
    meta = {**meta, "files": {"model.pkl": {**empty, "bytes": 0}}}
    with backend.transaction():  # no lookup first: the UNIQUE constraint decides
        with pytest.raises(VersionExistsError):
            backend.publish(staged, taken, meta)
        backend.publish(staged, taken + "_2", {**meta, "version": taken + "_2"})
    assert sorted(backend.version_names()) == [taken, taken + "_2"]


def test_filters_and_limit_run_in_the_database(
    registry: ModelRegistry, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    for seed in range(6):
        registry.register(make_result(seed, accuracy=0.5 + seed / 100))
        clock.tick(60)
    statements: list[str] = []
    engine = registry.backend._engine  # type: ignore[attr-defined]
    sa.event.listen(
        engine, "before_cursor_execute", lambda *args: statements.append(args[2].lower())
    )
    raw = sql_listing.run  # the listing's compiled statements run on the driver's connection

    def spied(conn: Any, sql: str, params: Any) -> Any:
        statements.append(sql.lower())
        return raw(conn, sql, params)

    monkeypatch.setattr(sql_listing, "run", spied)
    found = registry.list_versions(min_metrics={"accuracy": 0.52}, limit=2)
    assert [v.metrics["accuracy"] for v in found] == [0.55, 0.54]
    listing = [s for s in statements if "from modelreg_versions" in s]
    assert len(listing) == 1
    assert "modelreg_version_metrics" in listing[0] and "limit" in listing[0]


def test_promote_is_all_or_nothing(
    registry: ModelRegistry, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = registry.register(make_result(1))
    clock.tick()
    b = registry.register(make_result(2))
    registry.promote(a)

    def broken(_event: object) -> None:
        raise StorageError("the audit log is unavailable")

    monkeypatch.setattr(registry.backend, "append_event", broken)
    with pytest.raises(StorageError):
        registry.promote(b)
    monkeypatch.undo()
    assert registry.channels() == {"production": a}
    statuses = {v.version: v.deployment_status for v in registry.list_versions()}
    assert statuses == {a: "production", b: "registered"}
    assert registry.backend.read_metadata(b)["deployment_status"] == "registered"
    assert [e.action for e in registry.events()] == ["register", "register", "promote"]


def test_a_blob_removed_between_upload_and_publish_is_uploaded_again(
    registry: ModelRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = registry.backend
    store = backend.artifact_store  # type: ignore[attr-defined]
    upload = backend.prepare_publish

    def upload_then_lose_it(staged: Path, files: dict) -> None:
        upload(staged, files)
        for item in registry.verify(repair=True).repaired:  # a repair meanwhile
            assert item["kind"] == "orphan-blob"
        assert store.blobs() == []

    monkeypatch.setattr(backend, "prepare_publish", upload_then_lose_it)
    name = registry.register(make_result(1))
    assert len(store.blobs()) == 1
    assert registry.load_version(name, trust_pickle=True) is not None
    assert registry.verify().ok


@pytest.mark.postgres
def test_the_catalog_remembers_its_artifact_store(
    postgres_schema_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the first set-up names the store; `show` without --artifacts works afterwards."""
    from click.testing import CliRunner

    from modelreg.cli import cli
    from modelreg.errors import InvalidInputError

    monkeypatch.delenv("MODELREG_ARTIFACTS", raising=False)
    with pytest.raises(InvalidInputError, match="--artifacts") as caught:
        ModelRegistry(postgres_schema_url)
    assert "artifacts='s3://" in str(caught.value)  # the Python spelling is named too
    store = tmp_path / "store"
    first = ModelRegistry(postgres_schema_url, artifacts=str(store), trust_pickle=True)
    name = first.register(make_result(1))
    first.close()
    again = ModelRegistry(postgres_schema_url, trust_pickle=True)
    try:
        assert again.load_version(name) is not None
    finally:
        again.close()
    shown = CliRunner().invoke(cli, ["-r", postgres_schema_url, "show", name, "--json"])
    assert shown.exit_code == 0, shown.output
    assert shown.stdout and name in shown.stdout


def test_a_page_and_its_total_are_one_statement(
    registry: ModelRegistry, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a listing route answers (`find_page`): the page and the number of matches in
    all, counted by the page's own statement; exact for a full, short, empty or count-only
    page, and for a status filter (production read in the statement)."""
    names = []
    for seed in range(5):
        names.append(registry.register(make_result(seed, accuracy=0.5 + seed / 100)))
        clock.tick(60)
    registry.promote(names[1])
    registry.promote(names[3])  # names[1] archived
    statements: list[str] = []
    raw = sql_listing.run

    def spied(conn: Any, sql: str, params: Any) -> Any:
        statements.append(sql)
        return raw(conn, sql, params)

    monkeypatch.setattr(sql_listing, "run", spied)
    cases = [
        ({"limit": 2}, names[::-1][:2], 5, 1),  # full: counted in the page's statement
        ({"limit": 2, "min_metrics": {"accuracy": 0.52}}, names[::-1][:2], 3, 1),
        ({"limit": 9}, names[::-1], 5, 1),  # short
        ({}, names[::-1], 5, 1),  # no limit: every match, nothing to count
        ({"limit": 2, "status": "archived"}, [names[1]], 1, 1),
        ({"limit": 2, "status": "registered"}, [names[4], names[2]], 3, 1),
        ({"limit": 0}, [], 5, 1),  # only the count
        ({"limit": 2, "offset": 9}, [], 5, 2),  # empty past the end: no row to carry it
    ]
    for asked, page, total, trips in cases:
        before = len(statements)
        found, counted = registry.find_page(VersionQuery.checked(**asked))
        assert ([v.version for v in found], counted) == (page, total), asked
        assert counted == registry.count_versions(VersionQuery.checked(**asked)), asked
        assert len(statements) - before == trips + 1, asked  # + count_versions' statement
