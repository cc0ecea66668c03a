"""Follow a channel in the background: load each new version off the request path, swap it in.

A `ChannelFollower` reads the channel's pointer every `poll_interval` seconds (one pointer read:
a `readlink`, one SQL row, or one HTTP call). When it names a version other than the one being
served, the follower loads it (every artifact's sha256 checked, pickles only when trusted),
checks that it can serve (`ServedModel.check`), and replaces the served model in one reference
assignment. Requests read that reference once, when they start, so a request in flight finishes
on the model it began with, and none waits for a load.

A version that fails (integrity, untrusted pickle, a signature it cannot honour, any exception
or `SystemExit` from loading it) is never swapped in: the last good model keeps answering, the
failure is kept for `/ready` and logged, and the same version is tried again only when the
channel moves (versions are immutable, so it would fail the same way). Failures of the storage
itself (a database or server out of reach) are retried with a growing pause instead.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace

from ..errors import AuthError, InvalidInputError, ModelRegistryError, RemoteError, StorageError
from ..metadata import iso_utc, utc_now
from ..registry import PRODUCTION, ModelRegistry
from ..versions import validate_channel
from .served_model import ServedModel

__all__ = ["ChannelFollower", "Failure", "FollowerStatus"]

log = logging.getLogger("modelreg.serve")

#: the longest pause between retries after the storage failed
MAX_BACKOFF = 60.0
#: errors of the storage or its transport, not of the version: worth retrying as they are
_TRANSIENT = (StorageError, RemoteError, AuthError, OSError, TimeoutError)


@dataclass(frozen=True)
class Failure:
    """Why a version could not be served (or the channel could not be read), and when."""

    version: str | None
    error: str
    message: str
    at: str
    transient: bool = False

    @classmethod
    def of(cls, version: str | None, exc: BaseException) -> Failure:
        code = exc.code if isinstance(exc, ModelRegistryError) else type(exc).__name__
        message = str(exc) or type(exc).__name__
        return cls(version, code, message, iso_utc(utc_now()), isinstance(exc, _TRANSIENT))


@dataclass(frozen=True)
class FollowerStatus:
    """One consistent snapshot of what the follower serves and what it last saw.

    Attributes:
        serving: the model that answers requests now (None: nothing loaded yet).
        since: when `serving` was swapped in (ISO 8601 UTC).
        channel_version: what the channel pointed to at the last look.
        checked_at: when the pointer was last read successfully.
        loading: the version being loaded now, and since when (a load that hangs shows here).
        last_failure: the last version that could not be served, and why.
        read_error: the last failure to read the pointer, until a read succeeds again.
    """

    channel: str
    serving: ServedModel | None = None
    since: str | None = None
    load_seconds: float | None = None
    channel_version: str | None = None
    checked_at: str | None = None
    loading: tuple[str, str] | None = None
    last_failure: Failure | None = None
    read_error: Failure | None = None
    swaps: int = 0
    failed_loads: int = 0

    @property
    def ready(self) -> bool:
        return self.serving is not None

    @property
    def version(self) -> str | None:
        return self.serving.version if self.serving else None


class ChannelFollower:
    """Serve the version a channel points to, following it live (see the module docstring).

    Args:
        registry: where the channel lives (any backend).
        channel: the channel to follow.
        poll_interval: seconds between pointer reads.
        trust_pickle: passed to `load_version`; None follows the registry's own rule.
    """

    def __init__(
        self,
        registry: ModelRegistry,
        *,
        channel: str = PRODUCTION,
        poll_interval: float = 1.0,
        trust_pickle: bool | None = None,
    ) -> None:
        if isinstance(poll_interval, bool) or not poll_interval > 0:
            raise InvalidInputError(f"poll_interval must be > 0 seconds, got {poll_interval!r}")
        self.registry = registry
        self.channel = validate_channel(channel)
        self.poll_interval = float(poll_interval)
        self.trust_pickle = trust_pickle
        self._status = FollowerStatus(self.channel)
        self._failed: str | None = None  # the version that failed, while the channel holds it
        self._retries = 0
        self._retry_at = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"ChannelFollower({self.registry.location!r}, channel={self.channel!r})"

    @property
    def status(self) -> FollowerStatus:
        """The current snapshot; replaced whole on every change, never edited in place."""
        return self._status

    @property
    def serving(self) -> ServedModel | None:
        """The model a request starting now answers with (read it once per request)."""
        return self._status.serving

    # --- the background thread ------------------------------------------------------------

    def start(self) -> None:
        """Look at the channel now, and keep looking in a daemon thread until `stop()`."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="modelreg-follower", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop looking; a load in progress finishes first (up to `timeout` seconds)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self._stop.wait(self.refresh())

    # --- one look -------------------------------------------------------------------------

    def refresh(self) -> float:
        """Read the pointer once; load and swap in a new version. Returns seconds to wait."""
        try:
            target = self.registry.current_version(self.channel)
        except Exception as exc:
            return self._read_failed(exc)
        seen_before = self._status.channel_version
        if self._status.read_error is not None:
            self._retries = 0
        self._set(channel_version=target, checked_at=iso_utc(utc_now()), read_error=None)
        if target != self._failed:
            self._failed = None  # the channel moved on: a failed version gets another try later
        if target is None:
            if seen_before is not None and self._status.serving is not None:
                log.warning(
                    "%s points to no version now; still serving %s", self.channel, seen_before
                )
            return self.poll_interval
        if target == self._status.version or self._waiting_on(target):
            return self.poll_interval
        return self._load(target)

    def _waiting_on(self, target: str) -> bool:
        """Whether `target` failed: for good (until the channel moves), or too recently."""
        if target != self._failed:
            return False
        failure = self._status.last_failure
        return failure is None or not failure.transient or time.monotonic() < self._retry_at

    def _load(self, target: str) -> float:
        started = time.perf_counter()
        self._set(loading=(target, iso_utc(utc_now())))
        try:
            result = self.registry.load_version(target, trust_pickle=self.trust_pickle)
            if result is None:
                raise ModelRegistryError(
                    f"{self.channel} points to {target}, which is gone", version=target
                )
            served = ServedModel.check(target, result)
        except (Exception, SystemExit) as exc:  # a bad version must never stop the serving
            return self._load_failed(target, exc)
        seconds = time.perf_counter() - started
        before = self._status.version
        self._retries = 0
        self._set(
            loading=None,
            serving=served,
            since=iso_utc(utc_now()),
            load_seconds=seconds,
            swaps=self._status.swaps + (before is not None),
        )
        if before is None:
            log.info("serving %s from %s (loaded in %.2f s)", target, self.channel, seconds)
        else:
            log.info(
                "%s moved: now serving %s (was %s; loaded in %.2f s)",
                self.channel,
                target,
                before,
                seconds,
            )
        return self.poll_interval

    def _load_failed(self, target: str, exc: BaseException) -> float:
        failure = Failure.of(target, exc)
        self._failed = target
        self._set(loading=None, last_failure=failure, failed_loads=self._status.failed_loads + 1)
        still = self._status.version
        log.error(
            "could not load %s from %s: %s: %s; %s",
            target,
            self.channel,
            failure.error,
            failure.message,
            f"still serving {still}" if still else "nothing to serve yet",
        )
        if failure.transient:
            self._backoff()  # the storage failed, not the version: load again after a pause
        else:
            self._retries = 0  # tried again only when the channel moves
        return self.poll_interval

    def _read_failed(self, exc: Exception) -> float:
        failure = Failure.of(None, exc)
        self._set(read_error=failure)
        pause = self._backoff()
        log.warning(
            "cannot read %s's pointer: %s: %s; %s, next look in %.1f s",
            self.channel,
            failure.error,
            failure.message,
            f"still serving {self._status.version}" if self._status.serving else "nothing served",
            pause,
        )
        return pause

    def _backoff(self) -> float:
        """The next pause after a storage failure: doubling from `poll_interval` to a minute."""
        pause = min(self.poll_interval * 2**self._retries, MAX_BACKOFF)
        self._retries += 1
        self._retry_at = time.monotonic() + pause
        return pause

    def _set(self, **changes: object) -> None:
        """Publish a new snapshot: one reference assignment, so readers never see half of it."""
        self._status = replace(self._status, **changes)  # type: ignore[arg-type]
