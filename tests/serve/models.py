"""Models that misbehave on purpose, importable by pickle from the serving tests' processes."""

from __future__ import annotations

import sys
import threading
from typing import Any

import numpy as np

#: set by a test to let `GatedModel.predict` return
GATE = threading.Event()
#: how many predictions are waiting at the gate
WAITING = threading.Semaphore(0)


class ConstantModel:
    """Predicts `value` for every row: each version's answers are told apart by their value."""

    def __init__(self, value: float) -> None:
        self.value = value

    def predict(self, X: Any) -> np.ndarray:
        return np.full(len(X), self.value)


class GatedModel(ConstantModel):
    """Like ConstantModel, but rows other than the probe's zeros wait for GATE first."""

    def predict(self, X: Any) -> np.ndarray:
        if np.asarray(X).any():
            WAITING.release()
            GATE.wait(30)
        return super().predict(X)


class FailingModel:
    """Loads fine, fails on every row: the check at load must refuse it."""

    def predict(self, X: Any) -> np.ndarray:
        raise RuntimeError("this model is broken")


class ExitOnLoad:
    """Unpickling it calls sys.exit: a version that would kill a careless serving process."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (sys.exit, ("loaded a model that exits",))


class NoPredict:
    """A pickled object that is not a model at all."""


#: set by a test to let a `SlowToLoad` version finish loading
LOAD_GATE = threading.Event()


def _built_after_the_gate(value: float) -> ConstantModel:
    LOAD_GATE.wait(30)
    return ConstantModel(value)


class SlowToLoad:
    """Unpickles into a ConstantModel only once LOAD_GATE is set: a load that takes its time."""

    def __init__(self, value: float) -> None:
        self.value = value

    def __reduce__(self) -> tuple[Any, ...]:
        return (_built_after_the_gate, (self.value,))
