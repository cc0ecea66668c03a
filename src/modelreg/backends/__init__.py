"""Where a registry lives: the storage primitives, and which backend a location opens.

A `Backend` (`base.py`, every rule written in its docstrings) stores and reads versions,
pointers, events and artifacts; it holds no policy (`operations.StoreOperations` does, and is
its only caller). A plain path is a local folder (`local.py`, with `local_index.py`, the
SQLite cache that keeps listings fast); `sqlite://` and `postgresql://` URLs are a SQL catalog
(`sql.py` over `sql_schema.py`, `sql_query.py`, `sql_engine.py`), its files in an fsspec
store (`artifact_store.py`, `artifacts=` an fsspec URL). A listing's filters are compiled, not
written, here: both `sql_query.py` and `local_index_query.py` read `query.FILTERS`. A `modelreg
server` (`http(s)://`) is no backend: its client is `operations.remote.RemoteOperations`,
which `operations.open_operations` picks. Outside `backends/` and `operations/`, only this
package and `base` are imported.
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import InvalidInputError, MissingDependencyError
from .base import Backend

__all__ = ["Backend", "check_options", "open_backend", "scheme_of", "upgrade_catalog"]

_SQL_SCHEMES = ("sqlite", "postgresql", "postgres", "mysql")
_SQL_OPTIONS = {"lock_timeout", "model", "artifacts", "storage_options", "cache_dir"}


def scheme_of(location: str) -> str:
    """The URL scheme of a location, without a driver (`postgresql+psycopg` -> `postgresql`)."""
    head, sep, _ = location.partition("://")
    return head.split("+", 1)[0].lower() if sep else ""


def open_backend(location: str | os.PathLike[str], **options: Any) -> Backend:
    """The backend for `location`; unknown options are an error, not silently ignored."""
    text = os.fspath(location)
    scheme = scheme_of(text)
    if scheme == "" or scheme == "file":
        from .local import LocalBackend

        path = text[len("file://") :] if scheme == "file" else text
        check_options(options, allowed={"lock_timeout", "model"}, where="a local folder")
        return LocalBackend(path, **options)
    if scheme in _SQL_SCHEMES and scheme != "mysql":
        try:
            from .sql import SqlBackend
        except ImportError as exc:
            raise MissingDependencyError(
                f"a {scheme} catalog needs the sql extra: pip install 'modelreg[sql]' ({exc})"
            ) from exc
        check_options(options, allowed=_SQL_OPTIONS, where="a SQL catalog")
        return SqlBackend(text, **options)
    raise InvalidInputError(
        f"unsupported registry location {text!r}: use a folder path"
        + ("" if scheme in _SQL_SCHEMES else f" (unknown scheme {scheme!r})"),
        location=text,
    )


def upgrade_catalog(url: str) -> tuple[str | None, str]:
    """Bring a SQL catalog's schema to this release's; returns (revision before, after)."""
    try:
        from .sql_engine import upgrade_catalog as upgrade
    except ImportError as exc:
        raise MissingDependencyError(
            f"SQL catalogs need the sql extra: pip install 'modelreg[sql]' ({exc})"
        ) from exc
    return upgrade(url)


def check_options(options: dict[str, Any], *, allowed: set[str], where: str) -> None:
    """Refuse options that do not apply to `where`; drop those given as None (defaults)."""
    unknown = sorted(k for k, v in options.items() if k not in allowed and v is not None)
    if unknown:
        raise InvalidInputError(f"option(s) {unknown} do not apply to {where}")
    for key in [k for k, v in options.items() if v is None]:
        del options[key]
