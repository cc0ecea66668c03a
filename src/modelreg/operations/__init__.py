"""The seam between the `ModelRegistry` facade and wherever a registry lives.

`Operations` (in `base.py`) is the typed interface: register, move a pointer (answering a
`PointerMove`: from, to), roll back, clean up, delete, import, adopt, merge history, verify,
the gated promote and approvals, the edits, and the reads (version info, a `VersionQuery`'s
page and count). Operations raise typed errors; only the facade's original methods turn
not-found into None/False. `open_operations` picks an implementation from the location's form:

- `StoreOperations` (`store.py`; `promotion.py`, `store_edits.py`, `transfer.py` and
  `verify.py` beside it) holds the policy that needs storage: fresh version names, pointer
  moves with statuses kept in step and undone on failure, the audit log, the gate under the
  lock. It is the only caller of a `Backend`'s primitives.
- `RemoteOperations` (`remote.py`, `event_client.py`) is the client of `modelreg server`:
  one typed method per REST route, one HTTP call where one suffices, each write run whole on
  the server by its own `StoreOperations`.
"""

from __future__ import annotations

import os
from typing import Any

from ..backends import check_options, open_backend, scheme_of
from ..backends.base import Backend
from ..versions import validate_model_name
from .base import (
    UNSET,
    HistoryMerge,
    Imported,
    Operations,
    PointerMove,
    Promotion,
    VerifyReport,
)
from .store import StoreOperations

__all__ = [
    "UNSET",
    "HistoryMerge",
    "Imported",
    "Operations",
    "PointerMove",
    "Promotion",
    "StoreOperations",
    "VerifyReport",
    "open_operations",
]

_REMOTE_OPTIONS = {"lock_timeout", "model", "token", "timeout"}


def open_operations(
    location: str | os.PathLike[str] | None = None,
    *,
    backend: Backend | None = None,
    **options: Any,
) -> Operations:
    """The operations for `location` (or over `backend`); unknown options are an error.

    With `backend`, only `model` applies (another model of the backend's location).
    """
    if backend is not None:
        model = options.pop("model", None)
        options.pop("lock_timeout", None)  # the backend was opened with its own
        check_options(options, allowed=set(), where="a given backend")
        ops = StoreOperations(backend)
        if model is not None and validate_model_name(model) != backend.model:
            return ops.for_model(model)
        return ops
    text = os.fspath(location if location is not None else "models")
    if scheme_of(text) in ("http", "https"):
        from .remote import RemoteOperations

        check_options(options, allowed=_REMOTE_OPTIONS, where="a server")
        return RemoteOperations(text, **options)
    return StoreOperations(open_backend(text, **options))
