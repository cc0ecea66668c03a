"""Writers wait for each other in the database, and give up with LockTimeout, not a hang."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import make_result
from modelreg import ModelRegistry
from modelreg.cli import cli
from modelreg.errors import LockTimeout


@pytest.mark.parametrize(
    "catalog", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_a_writer_held_up_too_long_gets_lock_timeout(
    catalog: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'registry.db'}"
        if catalog == "sqlite"
        else request.getfixturevalue("postgres_schema_url")
    )
    options = {"artifacts": str(tmp_path / "artifacts"), "cache_dir": tmp_path / "cache"}
    holder = ModelRegistry(url, **options)
    name = holder.register(make_result(1))
    waiter = ModelRegistry(url, lock_timeout=0.3, **options)
    with holder.backend.transaction():
        holder.backend.set_pointer("staging", name)
        with pytest.raises(LockTimeout):
            waiter.promote(name)
    assert waiter.promote(name) is True  # the lock is free again
    assert waiter.channels() == {"production": name, "staging": name}
    holder.close()
    waiter.close()


def test_the_cli_works_on_a_catalog_url(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    name = ModelRegistry(url).register(make_result(1))
    result = CliRunner().invoke(cli, ["--registry", url, "list", "--json"])
    assert result.exit_code == 0, result.output
    assert f'"version": "{name}"' in result.output
