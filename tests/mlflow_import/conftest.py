"""Real MLflow registries for the importer's tests: SQLite (built once, copied per test) and
PostgreSQL (a database of this module's own, dropped after), with local artifacts."""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

pytest.importorskip(
    "mlflow", reason="mlflow is not installed (pip install 'modelreg[mlflow]' or '.[dev]')"
)

from contract.conftest import PG_ADMIN_URL

from .mlflow_builder import Built, build_registry

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")  # a closed network: no usage pings


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The registry of `mlflow_builder`, in SQLite with local artifacts; never changed."""
    root = tmp_path_factory.mktemp("mlflow")
    return build_registry(f"sqlite:///{root / 'mlflow.db'}", (root / "artifacts").as_uri())


@pytest.fixture
def mlflow_sqlite(sqlite_template: Built, tmp_path: Path) -> Built:
    """A copy of the template's database for one test (the artifacts stay shared, read-only)."""
    source = Path(sqlite_template.uri.removeprefix("sqlite:///"))
    copy = tmp_path / "mlflow-copy" / "mlflow.db"
    copy.parent.mkdir()
    shutil.copyfile(source, copy)
    return replace(sqlite_template, uri=f"sqlite:///{copy}")


@pytest.fixture(scope="module")
def mlflow_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """The same registry in a PostgreSQL database of its own, dropped afterwards."""
    sqlalchemy = pytest.importorskip("sqlalchemy")
    admin_url = sqlalchemy.make_url(PG_ADMIN_URL).set(drivername="postgresql+psycopg")
    admin = sqlalchemy.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL is not reachable at {PG_ADMIN_URL} ({type(exc).__name__})")
    name = f"modelreg_mlflow_{os.getpid()}_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        artifacts = tmp_path_factory.mktemp("mlflow-pg-artifacts")
        uri = admin_url.set(database=name).render_as_string(hide_password=False)
        yield build_registry(uri, artifacts.as_uri())
    finally:
        _dispose_engines_of(name)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _dispose_engines_of(database: str) -> None:
    """MLflow keeps an engine per store it opened: close their connections before the drop."""
    import gc

    import sqlalchemy

    for found in gc.get_objects():
        if isinstance(found, sqlalchemy.engine.Engine) and found.url.database == database:
            found.dispose()


def sqlite_fingerprint(uri: str) -> str:
    """The database file's bytes, hashed: any write by anyone changes it."""
    return hashlib.sha256(Path(uri.removeprefix("sqlite:///")).read_bytes()).hexdigest()


def tree_fingerprint(root: Path) -> dict[str, tuple[int, int]]:
    """Every file below `root` with its size and modification time."""
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
