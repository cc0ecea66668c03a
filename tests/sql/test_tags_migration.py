"""Revision 0002 on a catalog made at 0001: `db upgrade` adds the tag index, filled from the
versions' metadata, and tag filters then run in the database."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract.conftest import postgres_schema_url, postgres_url  # noqa: F401
from modelreg import ModelRegistry
from modelreg.testing import make_result
from sql.older_catalog import KINDS, catalog, downgrade, upgraded


@pytest.mark.parametrize("kind", KINDS)
def test_db_upgrade_indexes_the_tags_an_older_catalog_holds(
    request: pytest.FixtureRequest, tmp_path: Path, kind: str
) -> None:
    url, options = catalog(request, tmp_path, kind)
    registry = ModelRegistry(url, **options)
    tagged, plain = registry.register(make_result(0)), registry.register(make_result(1))
    registry.set_tags(tagged, {"owner": "alice"})
    registry.close()
    tables = downgrade(url, "0001")  # the table goes; the tags stay in the version's metadata
    assert "modelreg_version_tags" not in tables
    reopened = upgraded(url, options)
    assert [v.version for v in reopened.list_versions(tags={"owner": "alice"})] == [tagged]
    assert {v.version for v in reopened.list_versions()} == {tagged, plain}
    reopened.close()
