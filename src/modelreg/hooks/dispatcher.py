"""Webhook delivery: the audit log is the outbox, each hook has a durable cursor into it.

One thread per hook (a slow receiver holds up no other hook) walks the log after its cursor,
in order. A matching event is posted, signed, and retried with exponential backoff (from
`retry.initial` seconds, doubling, capped at `retry.max`) until its receiver answers 2xx; only
then does the cursor move past it, durably. So no event is lost, and later events wait for an
earlier one: a receiver gets them in log order. Delivery is at least once: after a crash between
a receiver's 2xx and the cursor's write, that one event is sent again with the same id; a clean
stop sends nothing twice. Receivers deduplicate on the event id.

One process delivers for a state folder at a time (a file lock on it): a second server started
on the same hooks file serves the API but leaves delivery to the first.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import filelock

from .. import __version__
from .._fsutil import make_dirs
from ..metadata import iso_utc, utc_now
from .config import HooksConfig, HookSpec
from .cursor import Attempt, HookState, Position
from .feed import WILDCARD, FeedEvent, SharedLog, read_feed
from .network import AddressRule, Outcome, post
from .signing import SIGNATURE_HEADER, signature_header

if TYPE_CHECKING:
    from ..registry import ModelRegistry

__all__ = ["Dispatcher", "Sender"]

log = logging.getLogger(__name__)
Sender = Callable[..., Outcome]


class Dispatcher:
    """Delivers every hook of `config` for `registry`'s location, in background threads."""

    def __init__(
        self, config: HooksConfig, registry: ModelRegistry, *, send: Sender = post
    ) -> None:
        self.config, self.registry, self.send = config, registry, send
        self.rule = AddressRule(config.allow_networks)
        self._stop = threading.Event()
        self._lock = filelock.FileLock(str(config.state_dir / ".lock"), timeout=0)
        self._workers = [_Worker(spec, self) for spec in config.hooks]
        self._threads: list[threading.Thread] = []
        self._logs: dict[str, SharedLog] = {}
        self._opening = threading.Lock()
        self.delivering = False

    def start(self) -> bool:
        """Start delivering; False when another process delivers for this state folder."""
        make_dirs(self.config.state_dir)
        try:
            self._lock.acquire()
        except filelock.Timeout:
            log.warning("webhooks: another process delivers for %s", self.config.state_dir)
            return False
        self.delivering = True
        self._stop.clear()
        for worker in self._workers:
            worker.anchor()
        for worker in self._workers:
            thread = threading.Thread(target=worker.run, name=f"hook-{worker.spec.name}")
            thread.daemon = True
            thread.start()
            self._threads.append(thread)
        return True

    def request_stop(self) -> None:
        """Start no new call from now on (a signal handler's half of `stop`)."""
        self._stop.set()

    def stop(self, timeout: float | None = None) -> None:
        """Stop after the calls in flight (each recorded before its thread ends)."""
        self._stop.set()
        wait = self.config.timeout + 5 if timeout is None else timeout
        for thread in self._threads:
            thread.join(wait)
        self._threads.clear()
        if self.delivering:
            self._lock.release()
            self.delivering = False

    def __enter__(self) -> Dispatcher:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def status(self) -> list[dict[str, Any]]:
        """Each hook's delivery status; never its secret."""
        return [worker.status() for worker in self._workers]

    def model(self, name: str) -> SharedLog:
        """The model's log, read once per poll for all hooks (a server's streams may share it)."""
        with self._opening:
            found = self._logs.get(name)
            if found is None:
                opened = self.registry if name == self.registry.model else None
                found = SharedLog(opened or self.registry.for_model(name), self.config.poll / 2)
                self._logs[name] = found
            return found

    def models_of(self, spec: HookSpec) -> list[str]:
        if WILDCARD in spec.models:
            return sorted(self.registry.models())
        return list(spec.models) or [self.registry.model]


class _Worker:
    """One hook's delivery loop and its state."""

    def __init__(self, spec: HookSpec, owner: Dispatcher) -> None:
        self.spec, self.owner = spec, owner
        self.path = owner.config.state_dir / f"{spec.name}.json"
        self._guard = threading.Lock()
        self._state: HookState | None = None
        self.failures = 0
        self.next_retry: float | None = None
        self._dirty = False

    @property
    def state(self) -> HookState:
        if self._state is None:
            self._state = HookState.load(self.path)
        return self._state

    def run(self) -> None:
        stop = self.owner._stop
        while not stop.is_set():
            try:
                self._pass()
            except Exception as exc:  # the log unreadable, the disk full: say so, try again
                log.warning("webhook %s: %s", self.spec.name, exc)
                self._failed("", Outcome(None, f"cannot read the log or save the cursor: {exc}"))
                stop.wait(self._backoff())
                continue
            stop.wait(self.owner.config.poll)

    def _pass(self) -> None:
        """Deliver what is pending in each watched model's log, oldest first."""
        stop = self.owner._stop
        for model in self.owner.models_of(self.spec):
            for item, wanted in self._pending(model):
                if stop.is_set() or (wanted and not self._deliver(item)):
                    break  # stopping: the next call is not started
                if not wanted:
                    self._advance(item, delivered=None)
            self._flush()
            if stop.is_set():
                return

    def anchor(self) -> None:
        """Fix where a new hook starts before its thread runs: `end` is the server's start, not
        its thread's first poll (a promote in between would never be sent). A log that cannot
        be read yet is left to the thread, which retries."""
        try:
            for model in self.owner.models_of(self.spec):
                self._position(model)
        except Exception as exc:
            log.warning("webhook %s: %s", self.spec.name, exc)

    def _position(self, model: str) -> Position:
        """Where this hook is in the model's log; a new hook's is from now, or from the first."""
        position = self.state.positions.get(model)
        if position is None:
            registry = self.owner.model(model)
            start = 0 if self.spec.start == "beginning" else len(registry.events())
            first = read_feed(registry, start - 1)[:1] if start else []
            position = Position(start, first[0].fingerprint if first else None)
            self._save(lambda s: s.positions.__setitem__(model, position))
        return position

    def _pending(self, model: str) -> list[tuple[FeedEvent, bool]]:
        registry = self.owner.model(model)
        position = self._position(model)
        items = read_feed(registry, max(0, position.sequence - 1))
        if position.sequence:
            anchor = items[0] if items else None
            if (
                anchor is None
                or anchor.sequence != position.sequence
                or (position.fingerprint and anchor.fingerprint != position.fingerprint)
            ):
                raise LogChanged(
                    f"the audit log of {model} is not the one this hook's cursor was in "
                    f"(event {model}:{position.sequence} differs); move {self.path.name} "
                    "away to start again from the end"
                )
            items = items[1:]
        return [(item, self.spec.wanted.matches(item.event)) for item in items]

    def _deliver(self, item: FeedEvent) -> bool:
        """Post until a 2xx, backing off; False when the dispatcher stops first."""
        body = json.dumps(item.payload(self.owner.config.registry), sort_keys=True).encode()
        attempt = 0
        while True:
            attempt += 1
            headers = {
                "Content-Type": "application/json",
                "User-Agent": f"modelreg-webhooks/{__version__}",
                "X-Modelreg-Event": item.event.action,
                "X-Modelreg-Event-Id": item.id,
                "X-Modelreg-Attempt": str(attempt),
                SIGNATURE_HEADER: signature_header(self.spec.secret, body),
            }
            outcome = self.owner.send(
                self.spec.url,
                body,
                headers,
                rule=self.owner.rule,
                timeout=self.owner.config.timeout,
            )
            if outcome.ok:
                self._advance(item, delivered=outcome)
                return True
            self._failed(item.id, outcome)
            if self.owner._stop.wait(self._backoff()):
                return False

    def _backoff(self) -> float:
        config = self.owner.config
        delay = min(config.retry_initial * 2 ** min(self.failures - 1, 40), config.retry_max)
        self.next_retry = time.time() + delay
        return delay

    def _advance(self, item: FeedEvent, *, delivered: Outcome | None) -> None:
        position = Position(item.sequence, item.fingerprint)

        def change(state: HookState) -> None:
            state.positions[item.model] = position
            if delivered is not None:
                state.last_success = Attempt(_now(), item.id, delivered.status)
                state.delivered += 1

        self.failures, self.next_retry = 0, None
        self._save(change, durable=delivered is not None)

    def _failed(self, event: str, outcome: Outcome) -> None:
        self.failures += 1
        error = outcome.error or f"answered {outcome.status}"
        log.warning("webhook %s: event %s not delivered: %s", self.spec.name, event, error)
        attempt = Attempt(_now(), event, outcome.status, error)
        self._save(lambda s: setattr(s, "last_error", attempt))

    def _save(self, change: Callable[[HookState], object], *, durable: bool = True) -> None:
        """Change the state under the guard and write it; moves past events that match
        nothing are written once per pass (read again after a crash, they still match nothing)."""
        with self._guard:
            change(self.state)
            self._dirty = not durable
            if durable:
                self.state.save(self.path)

    def _flush(self) -> None:
        if self._dirty:
            self._save(lambda s: None)

    def status(self) -> dict[str, Any]:
        spec = self.spec
        with self._guard:
            state = self.state if self.owner.delivering else HookState.load(self.path)
            state = replace(state, positions=dict(state.positions))
        pending: int | None = 0
        try:
            for model in self.owner.models_of(spec):
                position = state.positions.get(model)
                if position is None:
                    continue
                items = read_feed(self.owner.model(model), position.sequence)
                pending = (pending or 0) + sum(spec.wanted.matches(i.event) for i in items)
        except Exception:  # the status is still worth showing without it
            pending = None
        return {
            "name": spec.name,
            "url": spec.shown_url,
            "events": sorted(spec.wanted.kinds),
            "channels": sorted(spec.wanted.channels or ()),
            "models": list(spec.models) or [self.owner.registry.model],
            "delivering": self.owner.delivering,
            "pending": pending,
            "delivered": state.delivered,
            "cursor": {m: p.sequence for m, p in sorted(state.positions.items())},
            "last_success": asdict(state.last_success) if state.last_success else None,
            "last_error": asdict(state.last_error) if state.last_error else None,
            "failures": self.failures,
            "next_retry": iso_utc(_from_unix(self.next_retry)) if self.next_retry else None,
        }


class LogChanged(RuntimeError):
    """The log under a cursor is not the one it was read in."""


def _now() -> str:
    return iso_utc(utc_now())


def _from_unix(moment: float) -> datetime:
    return datetime.fromtimestamp(moment, tz=UTC)
