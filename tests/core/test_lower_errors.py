"""Every lower-layer error class modelreg maps becomes the registry error it means, in one place."""

from __future__ import annotations

import ast
import errno
import importlib
from collections.abc import Callable
from pathlib import Path

import botocore.exceptions
import httpx
import mlflow.exceptions
import pytest
import sqlalchemy.exc

from modelreg.errors import LockTimeout, ModelRegistryError, StorageError, VersionExistsError
from modelreg.lower_errors import MAPPING, translate, translated

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "modelreg"


class _Locked(Exception):
    sqlstate = "55P03"


#: one real instance of each mapped class, and the registry error it must become
SAMPLES: dict[str, tuple[Callable[[], BaseException], type[ModelRegistryError]]] = {
    "builtins.OSError": (lambda: OSError(errno.ENOSPC, "No space left on device"), StorageError),
    "sqlalchemy.exc.DBAPIError": (
        lambda: sqlalchemy.exc.OperationalError("SELECT 1", {}, _Locked("lock not available")),
        LockTimeout,
    ),
    "sqlalchemy.exc.SQLAlchemyError": (
        lambda: sqlalchemy.exc.NoSuchTableError("versions"),
        StorageError,
    ),
    "httpx.TransportError": (lambda: httpx.ConnectError("connection refused"), StorageError),
    "botocore.exceptions.BotoCoreError": (
        lambda: botocore.exceptions.NoCredentialsError(),
        StorageError,
    ),
    "botocore.exceptions.ClientError": (
        lambda: botocore.exceptions.ClientError({"Error": {"Code": "500"}}, "PutObject"),
        StorageError,
    ),
    "mlflow.exceptions.MlflowException": (
        lambda: mlflow.exceptions.MlflowException("store down"),
        StorageError,
    ),
}


def _resolve(dotted: str) -> type:
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def test_every_mapped_class_is_sampled() -> None:
    assert set(SAMPLES) == set(MAPPING)


@pytest.mark.parametrize("dotted", sorted(MAPPING))
def test_each_mapped_class_becomes_its_registry_error(dotted: str) -> None:
    make, expected = SAMPLES[dotted]
    lower = make()
    assert isinstance(lower, _resolve(dotted)), "the sample must be of the mapped class"
    with pytest.raises(ModelRegistryError) as caught, translated("write to", "/reg", version="v"):
        raise lower
    assert type(caught.value) is expected
    assert caught.value.__cause__ is lower
    assert str(caught.value).startswith("could not write to /reg: ")
    assert caught.value.path == "/reg" and caught.value.version == "v"


def test_a_full_disk_says_so_and_keeps_its_errno() -> None:
    error = translate(OSError(errno.ENOSPC, "No space left on device"), "write", "/reg")
    assert isinstance(error, StorageError)
    assert "disk is full" in str(error) and error.errno_code == errno.ENOSPC


def test_a_postgres_lock_and_a_sqlite_lock_are_lock_timeouts() -> None:
    sqlite = sqlalchemy.exc.OperationalError("BEGIN", {}, Exception("database is locked"))
    assert isinstance(translate(sqlite, "write to", "reg.db"), LockTimeout)
    other = sqlalchemy.exc.OperationalError("BEGIN", {}, Exception("disk I/O error\nmore"))
    error = translate(other, "write to", "reg.db")
    assert type(error) is StorageError and str(error) == "could not write to reg.db: disk I/O error"


def test_registry_errors_pass_and_unmapped_errors_stay_unless_asked() -> None:
    exists = VersionExistsError("taken")
    with pytest.raises(VersionExistsError) as caught, translated("write", "/reg"):
        raise exists
    assert caught.value is exists
    with pytest.raises(KeyError), translated("write", "/reg"):
        raise KeyError("a bug is not a storage failure")
    with pytest.raises(StorageError, match="KeyError"), translated("read", "s3://b", unknown=True):
        raise KeyError("an fsspec driver's own error")


def test_a_hidden_secret_and_a_note_are_applied() -> None:
    secret = "postgresql://u:pw@db/m"
    with (
        pytest.raises(StorageError) as caught,
        translated("open", "postgresql://u@db/m", hide=secret, note="check the URL"),
    ):
        raise OSError(f"cannot connect to {secret}")
    assert "pw" not in str(caught.value) and str(caught.value).endswith("; check the URL")


def _imported_packages() -> set[str]:
    found: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                found.add(node.module.split(".")[0])
    return found


def test_every_io_library_the_code_calls_has_its_errors_mapped() -> None:
    """A door over a new library needs its root error class in the table first."""
    # fsspec raises OSError; its s3fs driver turns botocore errors into one, or lets them through
    through = {"fsspec": {"builtins", "botocore"}, "alembic": {"sqlalchemy"}}
    io_libraries = {"sqlalchemy", "alembic", "httpx", "fsspec", "mlflow"}
    used = _imported_packages() & io_libraries
    assert used == io_libraries, "the list of I/O libraries is out of date"
    roots = {key.split(".")[0] for key in MAPPING}
    for library in used:
        assert through.get(library, {library}) <= roots, library
