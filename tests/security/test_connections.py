"""Finding 4: a read token (or none, with `--anonymous-read`) could exhaust PostgreSQL.

Each new `?model=` name opened an engine that kept a connection: 120 names gave "FATAL: sorry,
too many clients" to everyone on that database. Now one engine and pool serve every model of
the catalog, and a read of a model that does not exist opens nothing, creates nothing and is
answered 404.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import httpx
import pytest
import sqlalchemy

from modelreg import ModelRegistry
from server.support import fill

from .support import serve

pytestmark = pytest.mark.postgres

NAMES = 24  # enough to show one connection per name; few enough to spare a shared database


def _connections(admin: sqlalchemy.Engine, application: str) -> int:
    with admin.connect() as conn:
        query = "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name"
        return int(conn.execute(sqlalchemy.text(query), {"name": application}).scalar_one())


def test_reads_of_many_model_names_share_one_pool(tmp_path: Path, postgres_schema_url: str) -> None:
    application = f"modelreg-attack-{secrets.token_hex(4)}"
    url = sqlalchemy.make_url(postgres_schema_url).update_query_dict(
        {"application_name": application}
    )
    location = url.render_as_string(hide_password=False)
    artifacts = str(tmp_path / "artifacts")
    registry = ModelRegistry(location, artifacts=artifacts, cache_dir=tmp_path / "cache")
    fill(registry, 1)
    registry.close()
    admin = sqlalchemy.create_engine(postgres_schema_url)
    env = {"MODELREG_ARTIFACTS": artifacts, "MODELREG_CACHE": str(tmp_path / "cache")}
    try:
        with serve(location, tmp_path, args=("--anonymous-read",), env=env) as server:
            answers = [
                httpx.get(f"{server.url}/api/versions", params={"model": f"m{n}"}, timeout=30)
                for n in range(NAMES)
            ]
            assert _connections(admin, application) <= 5  # the pool's size, not one per name
            for answer in answers:
                assert answer.status_code == 404, answer.text
                assert answer.json()["error"] == "model_not_found"
            assert len(httpx.get(f"{server.url}/api/versions", timeout=30).json()) == 1
        reopened = ModelRegistry(location, artifacts=artifacts, cache_dir=tmp_path / "cache")
        assert reopened.models() == ["default"]  # the reads created nothing
        reopened.close()
    finally:
        admin.dispose()
