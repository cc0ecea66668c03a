"""The writers' lock: one `threading.RLock` per lock file inside a process, `filelock` across.

The lock file is never deleted (deleting it lets two writers hold "the" lock at once). Waiting
writers log a line every few seconds so a stuck pipeline says why, and give up with
`LockTimeout` after the configured time. The lock is an optimisation for fairness, never the
only guard: names are claimed atomically and pointers replaced atomically regardless.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock
from filelock import Timeout as _FileLockTimeout

from .errors import LockTimeout
from .lower_errors import translated

__all__ = ["RegistryLock"]

log = logging.getLogger("modelreg")

_WAIT_LOG_EVERY = 5.0
_WRITE_ACCESS = "writing needs write access to the registry folder (reading does not)"
_registry_guard = threading.Lock()
_by_path: dict[str, tuple[threading.RLock, FileLock]] = {}
#: per thread, {lock file: how many holds deep}: a nested hold costs a counter, not a lock
_depths = threading.local()


def _locks_for(key: str) -> tuple[threading.RLock, FileLock]:
    with _registry_guard:
        if key not in _by_path:
            _by_path[key] = (threading.RLock(), FileLock(key, thread_local=False))
        return _by_path[key]


class RegistryLock:
    """Re-entrant across threads of one process and exclusive across processes."""

    def __init__(self, path: Path, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self._key: str | None = None

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Hold the lock; a thread already holding it (a transaction inside another) only
        counts one more level, as the locks themselves would, without asking them again."""
        if self._key is None:  # resolved once: each resolve walks the path's components
            self._key = str(self.path.resolve())
        depths: dict[str, int] = _depths.__dict__.setdefault("held", {})
        if depths.get(self._key):
            depths[self._key] += 1
            try:
                yield
            finally:
                depths[self._key] -= 1
            return
        with self._held():
            depths[self._key] = 1
            try:
                yield
            finally:
                depths[self._key] = 0

    @contextmanager
    def _held(self) -> Iterator[None]:
        assert self._key is not None
        thread_lock, file_lock = _locks_for(self._key)
        deadline = time.monotonic() + self.timeout
        if not thread_lock.acquire(timeout=self.timeout):
            raise self._timeout("another thread of this process")
        try:
            self._acquire_file(file_lock, deadline)
            try:
                yield
            finally:
                file_lock.release()
        finally:
            thread_lock.release()

    def _acquire_file(self, file_lock: FileLock, deadline: float) -> None:
        started = time.monotonic()
        # a read-only folder, a full disk: say so, not [Errno 13]
        with translated("take the registry lock", self.path, note=_WRITE_ACCESS):
            while True:
                remaining = deadline - time.monotonic()
                try:
                    file_lock.acquire(timeout=max(0.0, min(_WAIT_LOG_EVERY, remaining)))
                    return
                except _FileLockTimeout:
                    if time.monotonic() >= deadline:
                        raise self._timeout("another process") from None
                    log.info(
                        "still waiting for the registry lock %s (%.0fs so far)",
                        self.path,
                        time.monotonic() - started,
                    )

    def _timeout(self, holder: str) -> LockTimeout:
        return LockTimeout(
            f"could not take the registry lock {self.path} within {self.timeout:g}s: "
            f"{holder} is writing. Retry, raise lock_timeout, or check for a stuck writer "
            "(the lock is released automatically when its process exits)",
            path=str(self.path),
            timeout=self.timeout,
        )
