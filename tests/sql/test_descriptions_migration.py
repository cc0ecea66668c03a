"""Revision 0003 on a catalog made at 0002: `db upgrade` adds the model's record (its
description and tags); versions' descriptions, kept in their metadata, were never at risk."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract.conftest import postgres_schema_url, postgres_url  # noqa: F401
from modelreg import ModelRegistry
from modelreg.testing import make_result
from sql.older_catalog import KINDS, catalog, downgrade, upgraded


@pytest.mark.parametrize("kind", KINDS)
def test_db_upgrade_gives_an_older_catalog_model_records(
    request: pytest.FixtureRequest, tmp_path: Path, kind: str
) -> None:
    url, options = catalog(request, tmp_path, kind)
    registry = ModelRegistry(url, **options)
    version = registry.register(make_result(0))
    registry.describe_version(version, "kept in the version's metadata")
    registry.set_tags(version, {"owner": "alice"})
    registry.close()
    tables = downgrade(url, "0002")
    assert "meta" not in {c["name"] for c in tables["modelreg_models"]}
    reopened = upgraded(url, options)
    assert reopened.model_info() == {"model": "default", "description": None, "tags": {}}
    info = reopened.get_version_info(version) or {}
    assert info["description"] == "kept in the version's metadata"
    assert [v.version for v in reopened.list_versions(tags={"owner": "alice"})] == [version]
    reopened.describe_model("after the upgrade")
    assert reopened.model_info()["description"] == "after the upgrade"
    reopened.close()
