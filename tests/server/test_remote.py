"""The remote client's own behaviour: errors mapped back, writes run whole on the server,
one request where one suffices."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from modelreg import ModelRegistry
from modelreg.errors import (
    AuthError,
    ForbiddenError,
    IntegrityError,
    InvalidInputError,
    InvalidVersionError,
    PromotionConflict,
    StorageError,
    VersionNotFoundError,
)
from modelreg.operations import PointerMove
from modelreg.operations.remote import RemoteOperations

from .support import READ_TOKEN, WRITE_TOKEN, fill, remote, rich_result, running_server


@pytest.fixture
def served(tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(tmp_path / "models", lock_timeout=5)


@pytest.fixture
def url(served: ModelRegistry) -> Iterator[str]:
    with running_server(served) as address:
        yield address


def test_a_url_opens_the_remote_operations(url: str) -> None:
    registry = remote(url)
    assert isinstance(registry.operations, RemoteOperations)
    assert registry.trust_pickle is False and registry.model_format == "safe"
    assert WRITE_TOKEN not in repr(registry.operations)
    with pytest.raises(InvalidInputError, match="operations, not storage primitives"):
        registry.backend  # noqa: B018 - a server has no primitives to reach around it
    with pytest.raises(InvalidInputError, match="do not apply"):
        ModelRegistry(url, token=WRITE_TOKEN, artifacts="s3://x")


def test_errors_come_back_as_their_classes(url: str, served: ModelRegistry) -> None:
    names = fill(served, 2)
    served.promote(names[0])
    writer = remote(url)
    with pytest.raises(PromotionConflict) as caught:
        writer.promote(names[1], expected_current=names[1])
    assert caught.value.current == names[0]  # context survives the trip
    with pytest.raises(InvalidVersionError):
        writer.get_version_info("../etc")
    assert writer.get_version_info("20200101_000000") is None
    assert writer.promote("20200101_000000") is False
    with pytest.raises(ForbiddenError):
        remote(url, READ_TOKEN).promote(names[1])
    with pytest.raises(AuthError):
        remote(url, "wrong-token-123").list_versions()


def test_token_from_the_environment(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELREG_TOKEN", READ_TOKEN)
    assert ModelRegistry(url).list_versions() == []


def _requests(client: ModelRegistry, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every request `client` sends from now on, as "METHOD /path" (file downloads too)."""
    calls: list[str] = []
    http = client.operations._client  # type: ignore[attr-defined]
    original = http.send

    def spy(request: Any, **kwargs: Any) -> Any:
        calls.append(f"{request.method} {request.url.path}")
        return original(request, **kwargs)

    monkeypatch.setattr(http, "send", spy)
    return calls


def test_a_promotion_is_one_call_run_by_the_server(
    url: str, served: ModelRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = fill(served, 2)
    client = remote(url)
    calls = _requests(client, monkeypatch)
    assert client.promote(names[1], reason="remote") is True
    assert calls == ["POST /api/promote"]
    assert served.channels()["production"] == names[1]
    assert served.history()[-1].user == "alice"


def test_a_move_answers_where_the_pointer_was(url: str, served: ModelRegistry) -> None:
    names = fill(served, 3)
    client = remote(url)
    assert client.move_pointer(names[0]) == PointerMove("production", names[0], None)
    assert client.move_pointer(names[2]) == PointerMove("production", names[2], names[0])
    assert client.rollback() == PointerMove("production", names[0], names[2])
    with pytest.raises(VersionNotFoundError):
        client.move_pointer("20200101_000000")


def test_version_info_is_one_request(
    url: str, served: ModelRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = fill(served, 2)
    served.promote(names[0])
    served.promote(names[1], "staging")
    client = remote(url)
    calls = _requests(client, monkeypatch)
    info = client.get_version_info(names[0])
    assert calls == [f"GET /api/versions/{names[0]}"]
    assert info is not None and info["deployment_status"] == "production"
    assert info["channels"] == ["production"]
    assert info == {**served.get_version_info(names[0]), "path": f"{url}/{names[0]}"}


def test_a_load_fetches_the_metadata_once(
    url: str, served: ModelRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = served.register(rich_result(3))
    files = sorted(served.stored_metadata(name)["files"])
    client = remote(url)
    calls = _requests(client, monkeypatch)
    assert client.load_version(name, trust_pickle=True) is not None
    assert calls[0] == f"GET /api/versions/{name}/metadata"
    assert sorted(calls[1:]) == sorted(f"GET /api/versions/{name}/files/{f}" for f in files)


def test_register_and_load_round_trip(url: str, served: ModelRegistry) -> None:
    client = remote(url)
    name = client.register(rich_result(3), data_range={"start": "2025-01-01", "end": "2025-12-31"})
    assert served.get_version_info(name) is not None
    loaded = client.load_version(name, trust_pickle=True)
    assert loaded is not None
    assert list(loaded.feature_importance["feature"]) == list(rich_result(3).features)


def test_a_damaged_download_is_refused(url: str, served: ModelRegistry) -> None:
    name = fill(served, 1)[0]
    (Path(served.path) / name / "model.pkl").write_bytes(b"tampered")
    with pytest.raises(IntegrityError):
        remote(url).load_version(name, trust_pickle=True)


def test_an_unreachable_server_is_a_storage_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(StorageError, match="cannot reach"):
        ModelRegistry(f"http://127.0.0.1:{port}", token=WRITE_TOKEN).list_versions()


def test_import_runs_on_the_server(url: str, served: ModelRegistry, tmp_path: Path) -> None:
    source = ModelRegistry(tmp_path / "elsewhere")
    name = source.register(rich_result(2))
    archive = source.export_version(name, tmp_path / "v.tar.gz")
    assert remote(url).import_version(archive) == name
    assert served.get_version_info(name) is not None
    assert remote(url).import_version(archive) == name  # again: a no-op


def test_an_unpacked_archive_goes_to_the_server_packed(
    url: str, served: ModelRegistry, tmp_path: Path
) -> None:
    import tarfile

    source = ModelRegistry(tmp_path / "elsewhere")
    name = source.register(rich_result(3))
    with tarfile.open(source.export_version(name, tmp_path / "v.tar.gz")) as tar:
        tar.extractall(tmp_path / "unpacked", filter="data")
    assert remote(url).import_version(tmp_path / "unpacked" / name) == name
    stored = served.stored_metadata(name)
    assert stored is not None and stored["files"] == source.stored_metadata(name)["files"]


def test_the_cli_talks_to_a_server(url: str, served: ModelRegistry) -> None:
    from click.testing import CliRunner

    from modelreg.cli import cli

    names = fill(served, 2)
    runner = CliRunner(env={"MODELREG_TOKEN": WRITE_TOKEN})
    promoted = runner.invoke(cli, ["--registry", url, "promote", names[0], "--reason", "cli"])
    assert promoted.exit_code == 0, promoted.output
    assert served.channels()["production"] == names[0]
    listed = runner.invoke(cli, ["--registry", url, "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert names[1] in listed.output


def test_a_server_in_front_of_a_sql_catalog(tmp_path: Path) -> None:
    catalog = ModelRegistry(f"sqlite:///{tmp_path / 'registry.db'}", cache_dir=tmp_path / "cache")
    with running_server(catalog) as address:
        client = remote(address)
        name = client.register(rich_result(1))
        assert client.promote(name, expected_current=None) is True
        assert catalog.channels() == {"production": name}
        assert client.load_version("latest", trust_pickle=True) is not None


@pytest.mark.parametrize(
    ("token", "hint"),
    [(None, "export MODELREG_TOKEN=<token>"), ("wrong-token-123", "$MODELREG_TOKEN was refused")],
)
def test_the_cli_says_where_its_token_comes_from(
    url: str, monkeypatch: pytest.MonkeyPatch, token: str | None, hint: str
) -> None:
    from click.testing import CliRunner

    from modelreg.cli import cli

    monkeypatch.delenv("MODELREG_TOKEN", raising=False)
    env = {"MODELREG_TOKEN": token} if token else {}
    result = CliRunner().invoke(cli, ["-r", url, "list"], env=env)
    assert result.exit_code == 1
    assert hint in result.stderr
    assert "wrong-token-123" not in result.stderr  # the token itself is never echoed
    as_json = CliRunner().invoke(cli, ["-r", url, "list", "--json"], env=env)
    assert json.loads(as_json.stderr)["error"] == "unauthorized"
