"""Lower-layer errors become modelreg's typed errors here, and nowhere else.

httpx's habit (`map_httpcore_exceptions`): one table from each lower-layer error class to the
registry error it means, and one context manager every door wraps its I/O in. The doors are
the folder backend, the SQL catalog and its artifact store, the archive reader and writer, the
remote client, the server's upload spool and the MLflow importer. A test enumerates `MAPPING`
and another forbids translating anywhere else, so an error class is mapped once, for all.

Keys are dotted class names, looked up along the raised error's MRO (the most specific entry
wins), so this module imports none of the optional libraries it names.
"""

from __future__ import annotations

import contextlib
import errno
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .errors import LockTimeout, ModelRegistryError, StorageError

__all__ = ["MAPPING", "Failure", "translate", "translated"]


@dataclass(frozen=True)
class Failure:
    """What the door was doing when the lower layer failed, for the message and context."""

    action: str
    where: str
    context: dict[str, Any]

    def storage(self, detail: str, **extra: Any) -> StorageError:
        return StorageError(
            f"could not {self.action} {self.where}: {detail}",
            **{"path": self.where, **self.context, **extra},
        )


_HINTS = {
    errno.ENOSPC: "the disk is full; free space and retry",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EACCES: "check the folder's owner and mode",
    errno.EROFS: "remount it writable, or use another folder",
}


def _os_error(exc: BaseException, failure: Failure) -> ModelRegistryError:
    assert isinstance(exc, OSError)
    hint = _HINTS.get(exc.errno or 0, "retry, and run `modelreg verify` if it persists")
    return failure.storage(f"{exc.strerror or exc} ({hint})", errno_code=exc.errno)


def _dbapi_error(exc: BaseException, failure: Failure) -> ModelRegistryError:
    orig = getattr(exc, "orig", None)
    text = str(orig) if orig is not None else str(exc)
    if getattr(orig, "sqlstate", None) == "55P03" or "database is locked" in text:
        return LockTimeout(
            f"could not {failure.action} {failure.where}: another writer held the lock too "
            "long; retry",
            **{"path": failure.where, **failure.context},
        )
    return failure.storage(text.strip().splitlines()[0] if text.strip() else repr(exc))


def _unreachable(exc: BaseException, failure: Failure) -> ModelRegistryError:
    return failure.storage(f"cannot reach it: {type(exc).__name__}: {exc}")


def _named(exc: BaseException, failure: Failure) -> ModelRegistryError:
    return failure.storage(f"{type(exc).__name__}: {exc}")


Rule = Callable[[BaseException, Failure], ModelRegistryError]

#: lower-layer error class (dotted name) -> the registry error it becomes. fsspec and s3fs
#: raise OSError (s3fs turns most botocore errors into one); the rest slip through as named.
MAPPING: dict[str, Rule] = {
    "builtins.OSError": _os_error,
    "sqlalchemy.exc.DBAPIError": _dbapi_error,
    "sqlalchemy.exc.SQLAlchemyError": _named,
    "httpx.TransportError": _unreachable,
    "botocore.exceptions.BotoCoreError": _named,
    "botocore.exceptions.ClientError": _named,
    "mlflow.exceptions.MlflowException": _named,
}


def translate(
    exc: BaseException, action: str, where: str, *, unknown: bool = False, **context: Any
) -> ModelRegistryError | None:
    """The registry error `exc` means (None when it is not a lower-layer error we map).

    `unknown=True` turns any other Exception into a StorageError too: for doors whose drivers
    raise an open set of classes (fsspec's implementations, MLflow's stores).
    """
    if isinstance(exc, ModelRegistryError):
        return exc
    failure = Failure(action, where, context)
    for cls in type(exc).__mro__:
        rule = MAPPING.get(f"{cls.__module__}.{cls.__qualname__}")
        if rule is not None:
            return rule(exc, failure)
    if unknown and isinstance(exc, Exception):
        return _named(exc, failure)
    return None


@contextlib.contextmanager
def translated(
    action: str,
    where: object,
    *,
    unknown: bool = False,
    hide: str | None = None,
    note: str = "",
    **context: Any,
) -> Iterator[None]:
    """Run the block; a lower-layer error leaves it as the registry error it means (`from`
    the original). The message reads "could not {action} {where}: ...".

    `hide` is a string (a URI with credentials) replaced by `where` in the lower message;
    `note` is a sentence added for the reader (what the door needed, and why).
    """
    try:
        yield
    except ModelRegistryError:
        raise
    except Exception as exc:
        error = translate(exc, action, str(where), unknown=unknown, **context)
        if error is None:
            raise
        message = error.message.replace(hide, str(where)) if hide else error.message
        error.message = f"{message}; {note}" if note else message
        error.args = (error.message,)
        raise error from exc
