"""Two habits every store write follows: undo on failure, and log or take back.

A caller who gets an error must find the registry as it was, not half-changed; and a change
the audit log cannot record is either taken back or reported (UnloggedChangeError).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator

from ..audit import ChangeRecord
from ..backends.base import Backend
from ..errors import CorruptVersionError
from ..events import Event

__all__ = ["all_or_nothing", "exists", "log_or_undo"]

log = logging.getLogger("modelreg")


@contextlib.contextmanager
def all_or_nothing(what: str) -> Iterator[list[Callable[[], object]]]:
    """Collect an undo step before each write; if a later write fails, run them newest first."""
    undo: list[Callable[[], object]] = []
    try:
        yield undo
    except BaseException:
        for step in reversed(undo):
            try:
                step()
            except Exception as exc:  # both failing is logged, not hidden
                log.error("could not undo part of a failed %s: %s", what, exc)
        raise


def exists(backend: Backend, name: str) -> bool:
    """Whether a readable version `name` is stored (a corrupt one counts as absent)."""
    try:
        return backend.read_metadata(name) is not None
    except CorruptVersionError:
        return False


def log_or_undo(
    backend: Backend, event: Event, change: ChangeRecord, what: str, undo: Callable[[], object]
) -> None:
    """Append the event of a version just published; if that fails, take the version back.

    Should taking it back fail too, `change` tells the caller the version stands unlogged.
    """
    change.made(what, lambda: exists(backend, str(event.version)))
    with all_or_nothing(event.action) as steps:
        steps.append(undo)
        backend.append_event(event)
    change.logged()
