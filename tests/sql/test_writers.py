"""Real processes against one catalog: concurrent writers, and a writer killed mid-register."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import make_result
from modelreg import ModelRegistry

WRITER = Path(__file__).with_name("sql_writer.py")


def _run(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WRITER), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.parametrize("mode", ["register", "register-unlocked"])
def test_concurrent_writers_lose_nothing_and_never_share_a_name(
    postgres_schema_url: str, tmp_path: Path, mode: str
) -> None:
    artifacts = str(tmp_path / "artifacts")
    ModelRegistry(postgres_schema_url, artifacts=artifacts).close()  # create the schema once
    writers = [_run(mode, postgres_schema_url, artifacts, "6") for _ in range(4)]
    reported: list[str] = []
    for writer in writers:
        out, err = writer.communicate(timeout=240)
        assert writer.returncode == 0, err
        reported += out.split()
    assert sorted(reported) == sorted(
        ["20260126_103000"] + [f"20260126_103000_{n}" for n in range(2, 25)]
    ), "a name was given twice, or a registration was lost"
    registry = ModelRegistry(postgres_schema_url, artifacts=artifacts)
    stored = [v.version for v in registry.list_versions()]
    assert sorted(stored) == sorted(reported)
    registers = [e.version for e in registry.events() if e.action == "register"]
    assert sorted(registers) == sorted(reported)
    assert registry.verify().ok
    registry.close()


@pytest.mark.parametrize(
    "catalog",
    [
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("postgres+s3", marks=[pytest.mark.postgres, pytest.mark.s3]),
    ],
)
def test_a_writer_killed_between_upload_and_commit_leaves_only_an_orphan_blob(
    catalog: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'registry.db'}"
        if catalog == "sqlite"
        else request.getfixturevalue("postgres_schema_url")
    )
    artifacts = str(tmp_path / "artifacts")
    if catalog.endswith("s3"):  # reached as a real bucket would be: the endpoint from the env
        monkeypatch.setenv("AWS_ENDPOINT_URL", request.getfixturevalue("s3_endpoint"))
        artifacts = f"s3://modelreg-test/{tmp_path.name}"
    registry = ModelRegistry(url, artifacts=artifacts, cache_dir=tmp_path / "cache")
    kept = registry.register(make_result(1))

    writer = _run("crash", url, artifacts)
    out, _err = writer.communicate(timeout=120)
    assert writer.returncode == -9 and out.strip() == "uploaded"

    assert [v.version for v in registry.list_versions()] == [kept]
    blobs = registry.backend.artifact_store.blobs()  # type: ignore[attr-defined]
    assert len(blobs) == 2  # the kept version's model, and the orphan
    assert registry.debris() == []  # a young unreferenced blob may be an upload in flight
    report = registry.verify(repair=True)
    assert [p["kind"] for p in report.repaired] == ["orphan-blob"]
    assert len(registry.backend.artifact_store.blobs()) == 1  # type: ignore[attr-defined]
    assert registry.verify().ok
    # the dead writer's lock is gone with its connection: writing goes on
    assert registry.register(make_result(2)) != kept
    registry.close()
