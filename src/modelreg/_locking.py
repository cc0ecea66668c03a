"""The writers' lock: one `threading.RLock` per lock file inside a process, a file lock across.

The lock file is never deleted (deleting it lets two writers hold "the" lock at once). Waiting
writers log a line every few seconds so a stuck pipeline says why, and give up with
`LockTimeout` after the configured time. The lock is an optimisation for fairness, never the
only guard: names are claimed atomically and pointers replaced atomically regardless.

Across processes the lock is filelock's native one (`flock` on POSIX), taken with
`filelock.lock_descriptor` on a descriptor this process keeps open between holds. Measured
(round six, benchmarks/RESULTS.md): `FileLock.acquire` + `release` resolves the path, makes the
parent folder, opens, fstats, stats and closes every time, 14 syscalls, 30 getpid calls and
about 515 Python calls a hold; the kept descriptor costs 3 syscalls (lock, stat, unlock). Kept
open, the descriptor may name a file no longer at the path (replaced or removed): after locking,
the path is stat'ed and another file there means unlock, reopen, lock again. A forked child
closes its copies unused: `flock` belongs to the open file its parent shares, so locking or
unlocking it would take or drop the parent's hold. Where there is no `flock` (Windows, or a
filesystem answering ENOSYS) `FileLock` does the work per hold, as before.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, has_fcntl, lock_descriptor, unlock_descriptor
from filelock import Timeout as _FileLockTimeout

from .errors import LockTimeout
from .lower_errors import translated

__all__ = ["RegistryLock"]

log = logging.getLogger("modelreg")

_WAIT_LOG_EVERY = 5.0
#: seconds between tries while another process holds the lock (filelock's own default)
_POLL = 0.05
_WRITE_ACCESS = "writing needs write access to the registry folder (reading does not)"
_OPEN_FLAGS = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


class _LockFile:
    """This process's hold on one lock file, shared by every `RegistryLock` on that path while
    one of them lives (then the descriptor closes: a process opening many registries, a test
    suite, keeps no descriptor for those it dropped). `thread_lock` serialises its threads."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.thread_lock = threading.RLock()
        #: set in a forked child: this hold is its parent's, the child takes a new one
        self.inherited = False
        self._fd = -1
        self._identity = (0, 0)
        #: where there is no flock: filelock's FileLock (its soft lock on a flock-less folder)
        self._file_lock = None if has_fcntl else FileLock(path, thread_local=False)

    def __del__(self) -> None:
        self.forget()

    def try_acquire(self) -> bool:
        if self._file_lock is not None:
            try:
                self._file_lock.acquire(blocking=False)
            except _FileLockTimeout:
                return False
            return True
        try:
            return self._try_flock()
        except OSError as exc:
            if exc.errno != errno.ENOSYS:
                raise
            self.forget()
            self._file_lock = FileLock(self.path, thread_local=False)
            return self.try_acquire()

    def release(self) -> None:
        if self._file_lock is not None:
            self._file_lock.release()
        elif self._fd >= 0:  # -1: forgotten by a forked child, which held nothing
            unlock_descriptor(self._fd)

    def forget(self) -> None:
        """Close the descriptor without unlocking it (a child's copy of its parent's)."""
        fd, self._fd, self._file_lock = self._fd, -1, None
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.close(fd)

    def _try_flock(self) -> bool:
        while True:
            if self._fd < 0:
                self._fd = os.open(self.path, _OPEN_FLAGS, 0o666)
                found = os.fstat(self._fd)
                self._identity = (found.st_dev, found.st_ino)
            try:
                if not lock_descriptor(self._fd, blocking=False):
                    return False
                if self._at_path():
                    return True
            except BaseException:
                with contextlib.suppress(OSError):  # unlocking an unheld lock is a no-op
                    unlock_descriptor(self._fd)
                raise
            unlock_descriptor(self._fd)  # locked a file no longer at the path: lock the one there
            self.forget()

    def _at_path(self) -> bool:
        try:
            found = os.stat(self.path, follow_symlinks=False)
        except FileNotFoundError:
            return False
        return (found.st_dev, found.st_ino) == self._identity


_registry_guard = threading.Lock()
_by_path: weakref.WeakValueDictionary[str, _LockFile] = weakref.WeakValueDictionary()
#: per thread, {lock file: how many holds deep}: a nested hold costs a counter, not a lock
_depths = threading.local()


def _after_fork_in_child() -> None:
    """A child starts holding nothing: fresh thread locks and depths, the parent's files closed."""
    global _registry_guard, _by_path, _depths
    for lock_file in list(_by_path.values()):
        lock_file.inherited = True
        lock_file.forget()
    _registry_guard, _depths = threading.Lock(), threading.local()
    _by_path = weakref.WeakValueDictionary()


if hasattr(os, "register_at_fork"):  # POSIX; Windows has no fork
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _lock_file_for(key: str) -> _LockFile:
    with _registry_guard:
        lock_file = _by_path.get(key)
        if lock_file is None:
            lock_file = _by_path[key] = _LockFile(key)
        return lock_file


class RegistryLock:
    """Re-entrant across threads of one process and exclusive across processes."""

    def __init__(self, path: Path, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self._key: str | None = None
        self._file: _LockFile | None = None

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Hold the lock; a thread already holding it (a transaction inside another) only
        counts one more level, as the locks themselves would, without asking them again."""
        if self._key is None:  # resolved once: each resolve walks the path's components
            # the folder resolved, not the lock file: a lock file that is a link is refused
            # (O_NOFOLLOW), never followed to create or lock whatever it points at
            self._key = str(self.path.parent.resolve() / self.path.name)
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
        if self._file is None or self._file.inherited:
            self._file = _lock_file_for(self._key)
        lock_file, thread_lock = self._file, self._file.thread_lock
        deadline = time.monotonic() + self.timeout
        if not thread_lock.acquire(timeout=self.timeout):
            raise self._timeout("another thread of this process")
        try:
            self._acquire_file(lock_file, deadline)
            try:
                yield
            finally:
                lock_file.release()
        finally:
            thread_lock.release()

    def _acquire_file(self, lock_file: _LockFile, deadline: float) -> None:
        started = time.monotonic()
        log_at = started + _WAIT_LOG_EVERY
        # a read-only folder, a full disk: say so, not [Errno 13]
        with translated("take the registry lock", self.path, note=_WRITE_ACCESS):
            while not lock_file.try_acquire():
                now = time.monotonic()
                if now >= deadline:
                    raise self._timeout("another process") from None
                if now >= log_at:
                    log.info(
                        "still waiting for the registry lock %s (%.0fs so far)",
                        self.path,
                        now - started,
                    )
                    log_at = now + _WAIT_LOG_EVERY
                time.sleep(min(_POLL, deadline - now))

    def _timeout(self, holder: str) -> LockTimeout:
        return LockTimeout(
            f"could not take the registry lock {self.path} within {self.timeout:g}s: "
            f"{holder} is writing. Retry, raise lock_timeout, or check for a stuck writer "
            "(the lock is released automatically when its process exits)",
            path=str(self.path),
            timeout=self.timeout,
        )
