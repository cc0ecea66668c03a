"""What both contract suites use: a small real model, and a clock a test can set."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from ..result import TrainingResult

if TYPE_CHECKING:
    from ..registry import ModelRegistry

__all__ = [
    "Clock",
    "Damage",
    "Open",
    "OpenAs",
    "acting_as",
    "make_result",
    "registered",
    "registered_at",
]

#: `backend_factory(**options)`: a `ModelRegistry` on the storage under test, the same each call
Open = Callable[..., "ModelRegistry"]
#: `as_person(name, **options)`: a `ModelRegistry` on the same storage whose calls are `name`'s
OpenAs = Callable[..., "ModelRegistry"]
#: `damage(registry, version, filename, cached_copies=True)`: overwrite one stored artifact
Damage = Callable[..., None]

#: the moment `Clock` starts at, and so the name of the first version a test registers
START = datetime(2026, 1, 26, 10, 30, 0, tzinfo=UTC)


class Clock:
    """Stands in for `modelreg.operations.store.utc_now`: a fixed moment, moved by hand."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def tick(self, seconds: float = 1.0) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


def make_result(seed: int = 0, **metrics: float) -> TrainingResult:
    """A small, real scikit-learn model with the seed's metrics."""
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(40, 3))
    y = X @ np.array([0.5, -0.2, 0.1]) + rng.normal(scale=0.01, size=40)
    model = Ridge(alpha=1.0).fit(X, y)
    return TrainingResult(
        model=model,
        metrics=metrics or {"rmse": 0.01 + seed / 1000, "direction_accuracy": 0.5 + seed / 100},
        features=["ema_20", "rsi_14", "vol_20"],
        hyperparameters={"alpha": 1.0},
    )


def registered(registry: ModelRegistry, clock: Clock, count: int = 3) -> list[str]:
    """`count` versions registered a minute apart (seeds 0, 1, ...), oldest first."""
    names = []
    for seed in range(count):
        names.append(registry.register(make_result(seed)))
        clock.tick(60)
    return names


def registered_at(seconds: int = 0) -> datetime:
    """A registration moment `seconds` after START (primitive tests build metadata with it)."""
    return START + timedelta(seconds=seconds)


class _Acting:
    """A registry whose every call runs as `person` (the audit log's "who", as a server's token
    name would be): for backends that take the caller's identity from the process."""

    def __init__(self, registry: ModelRegistry, person: str) -> None:
        self._registry, self._person = registry, person

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._registry, name)
        if not callable(found):
            return found

        @functools.wraps(found)
        def call(*args: Any, **kwargs: Any) -> Any:
            from ..metadata import ACTING_USER

            token = ACTING_USER.set(self._person)
            try:
                return found(*args, **kwargs)
            finally:
                ACTING_USER.reset(token)

        return call


def acting_as(registry: ModelRegistry, person: str) -> ModelRegistry:
    """`registry`, with every call made as `person`."""
    return _Acting(registry, person)  # type: ignore[return-value]
