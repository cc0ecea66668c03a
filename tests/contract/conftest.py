"""The backends every contract test runs against: one entry per backend in `FACTORIES`.

A factory gets the per-test context and returns an `open(**options) -> ModelRegistry` that
always opens the *same* storage, so a test can hold two registries on one location (a reader
and a writer, two processes, before and after a reopen). Services (PostgreSQL, moto's S3) are
started once per session; each test gets its own model name and artifact prefix, and the
session its own database, dropped at the end. To add a backend (say `remote`), add a factory.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from memory_backend import MemoryBackend, MemoryStore
from modelreg import ModelRegistry
from modelreg.testing.support import acting_as

from .helpers import damage_artifact

PG_ADMIN_URL = os.environ.get("MODELREG_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@dataclass
class Target:
    """One backend under test: how to open it, and where its bytes live (for fault tests)."""

    kind: str
    open: Opener
    location: str


Factory = Callable[[pytest.FixtureRequest, Path], Target]


def _options(**extra: Any) -> dict[str, Any]:
    return {"lock_timeout": 30, "trust_pickle": True, **extra}


class Opener:
    """Opens registries on one location (the test's options over the factory's), and closes
    every one it opened when the test ends."""

    def __init__(self, location: str, **fixed: Any) -> None:
        self.location = location
        self.fixed = fixed
        self.opened: list[ModelRegistry] = []

    def __call__(self, **options: Any) -> ModelRegistry:
        registry = ModelRegistry(self.location, **_options(**{**self.fixed, **options}))
        self.opened.append(registry)
        return registry

    def close_all(self) -> None:
        for registry in self.opened:
            registry.close()


def local_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Target:
    location = str(tmp_path / "models")
    return Target("local", Opener(location), location)


def sqlite_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Target:
    location = f"sqlite:///{tmp_path / 'registry.db'}"
    return Target("sqlite", Opener(location, cache_dir=tmp_path / "cache"), location)


def postgres_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Target:
    url = request.getfixturevalue("postgres_schema_url")
    opener = Opener(url, artifacts=str(tmp_path / "artifacts"), cache_dir=tmp_path / "cache")
    return Target("postgresql", opener, url)


def s3_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Target:
    url = request.getfixturevalue("postgres_schema_url")
    endpoint = request.getfixturevalue("s3_endpoint")
    opener = Opener(
        url,
        artifacts=f"s3://{S3_BUCKET}/{tmp_path.name}-{secrets.token_hex(4)}",
        storage_options={"client_kwargs": {"endpoint_url": endpoint}},
        cache_dir=tmp_path / "cache",
    )
    return Target("s3", opener, url)


class _MemoryOpener(Opener):
    """Registries over one in-memory store (`tests/memory_backend.py`)."""

    def __init__(self) -> None:
        super().__init__("memory")
        self.store = MemoryStore()

    def __call__(self, **options: Any) -> ModelRegistry:
        registry = ModelRegistry(backend=MemoryBackend(self.store), **_options(**options))
        self.opened.append(registry)
        return registry


def memory_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Target:
    """The in-memory backend written from the Backend docstrings alone."""
    opener = _MemoryOpener()
    return Target("memory", opener, opener.location)


def remote_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Target:
    """A real `modelreg server` over a local folder, on a loopback port, with a write token."""
    from server.support import WRITE_TOKEN, running_server

    served = ModelRegistry(tmp_path / "served", lock_timeout=30)
    server = running_server(served)
    url = server.__enter__()
    request.addfinalizer(lambda: server.__exit__(None, None, None))
    return Target("remote", Opener(url, token=WRITE_TOKEN), url)


#: backend name -> factory; the marks say which service a backend needs
FACTORIES: dict[str, tuple[Factory, tuple[pytest.MarkDecorator, ...]]] = {
    "local": (local_factory, ()),
    "sqlite": (sqlite_factory, ()),
    "postgresql": (postgres_factory, (pytest.mark.postgres,)),
    "s3": (s3_factory, (pytest.mark.postgres, pytest.mark.s3)),
    "remote": (remote_factory, ()),
    "memory": (memory_factory, ()),
}


@pytest.fixture(params=[pytest.param(name, marks=marks) for name, (_, marks) in FACTORIES.items()])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    factory, _marks = FACTORIES[request.param]
    made = factory(request, tmp_path)
    yield made
    made.open.close_all()


@pytest.fixture
def backend_factory(target: Target) -> Callable[..., ModelRegistry]:
    """`backend_factory(**options)` opens the backend under test (same storage every call)."""
    return target.open


@pytest.fixture
def as_person(target: Target) -> Callable[..., ModelRegistry]:
    """Two people: on a server each is a token (alice and bob); elsewhere the acting user."""
    if target.kind != "remote":
        return lambda name, **options: acting_as(target.open(**options), name)
    from server.support import APPROVER_TOKEN, WRITE_TOKEN

    tokens = {"alice": WRITE_TOKEN, "bob": APPROVER_TOKEN}
    return lambda name, **options: target.open(**{**options, "token": tokens[name]})


@pytest.fixture
def damage() -> Callable[..., None]:
    """`damage(registry, version, filename)`: overwrite a stored artifact where it is kept."""
    return damage_artifact


# --- services ---------------------------------------------------------------------------------


@pytest.fixture
def postgres_schema_url(postgres_url: str) -> Iterator[str]:
    """The session's database with a schema of this test's own first on the search_path."""
    import sqlalchemy

    schema = "t_" + secrets.token_hex(6)
    engine = sqlalchemy.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = sqlalchemy.make_url(postgres_url).update_query_dict(
        {"options": f"-csearch_path={schema}"}
    )
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh database for this test session on the machine's PostgreSQL; dropped after."""
    sqlalchemy = pytest.importorskip("sqlalchemy")
    admin_url = sqlalchemy.make_url(PG_ADMIN_URL).set(drivername="postgresql+psycopg")
    try:
        admin = sqlalchemy.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception as exc:
        pytest.skip(f"PostgreSQL is not reachable at {PG_ADMIN_URL} ({type(exc).__name__})")
    name = f"modelreg_test_{os.getpid()}_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


S3_BUCKET = "modelreg-test"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's standalone S3 server on a free loopback port, with dummy credentials."""
    server_module = pytest.importorskip("moto.server", reason="moto[server] is not installed")
    boto3 = pytest.importorskip("boto3")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ[name] = "testing"
    os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=S3_BUCKET)
        yield endpoint
    finally:
        server.stop()
