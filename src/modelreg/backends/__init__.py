"""Where a registry lives: pick the backend from the location's form.

A plain path is a local folder; `sqlite://` and `postgresql://` URLs are a SQL catalog (with
`artifacts=` an fsspec URL for the files); `http(s)://` is a `modelreg server`.
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import InvalidInputError, MissingDependencyError
from .base import Backend

__all__ = ["Backend", "open_backend"]

_SQL_SCHEMES = ("sqlite", "postgresql", "postgres", "mysql")
_SQL_OPTIONS = {"lock_timeout", "model", "artifacts", "storage_options", "cache_dir"}


def _scheme(location: str) -> str:
    head, sep, _ = location.partition("://")
    return head.split("+", 1)[0].lower() if sep else ""


def open_backend(location: str | os.PathLike[str], **options: Any) -> Backend:
    """The backend for `location`; unknown options are an error, not silently ignored."""
    text = os.fspath(location)
    scheme = _scheme(text)
    if scheme == "" or scheme == "file":
        from .local import LocalBackend

        path = text[len("file://") :] if scheme == "file" else text
        _reject(options, allowed={"lock_timeout", "model"}, where="a local folder")
        return LocalBackend(path, **options)
    if scheme in _SQL_SCHEMES and scheme != "mysql":
        try:
            from .sql import SqlBackend
        except ImportError as exc:
            raise MissingDependencyError(
                f"a {scheme} catalog needs the sql extra: pip install 'modelreg[sql]' ({exc})"
            ) from exc
        _reject(options, allowed=_SQL_OPTIONS, where="a SQL catalog")
        return SqlBackend(text, **options)
    if scheme in ("http", "https"):
        from .remote import RemoteBackend

        _reject(options, allowed={"lock_timeout", "model", "token", "timeout"}, where="a server")
        return RemoteBackend(text, **options)
    raise InvalidInputError(
        f"unsupported registry location {text!r}: use a folder path"
        + ("" if scheme in (*_SQL_SCHEMES, "http", "https") else f" (unknown scheme {scheme!r})"),
        location=text,
    )


def _reject(options: dict[str, Any], *, allowed: set[str], where: str) -> None:
    unknown = sorted(k for k, v in options.items() if k not in allowed and v is not None)
    if unknown:
        raise InvalidInputError(f"option(s) {unknown} do not apply to {where}")
    for key in [k for k, v in options.items() if v is None]:
        del options[key]
