"""PredictionService: predict with whatever model a channel points to right now.

A serving process keeps one model in memory and, before each prediction, reads the channel's
pointer: one `readlink` on a local registry, never the model itself. When another process
promotes or rolls back, the pointer names a new version; the first call to notice loads it
while the other threads keep answering with the old model, and then the reference is swapped
in one step. No request fails or waits during the swap, and each answer names the version
that produced it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInputError, ModelRegistryError, VersionNotFoundError
from ..registry import PRODUCTION, ModelRegistry
from ..result import TrainingResult
from ..training.data import PRICE_COLUMNS
from ..versions import validate_channel

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Prediction", "PredictionService", "model_inputs"]

log = logging.getLogger("modelreg.serving")


@dataclass(frozen=True)
class Prediction:
    """Predicted next-period returns, by timestamp, and the version that predicted them."""

    version: str
    values: pd.Series

    @property
    def latest(self) -> float:
        """The forecast for the period after the last bar: usually the one that matters."""
        return float(self.values.iloc[-1])


@dataclass(frozen=True)
class _Loaded:
    version: str
    result: TrainingResult


class PredictionService:
    """Serve a channel's model (production by default), following its pointer.

    Args:
        registry_or_path: a ModelRegistry, or the path (or URL) to open one at.
        channel: the channel to follow.
        refresh_interval: seconds between pointer checks; 0 checks before every prediction
            (cheap on a local folder; raise it for a remote registry).
        trust_pickle: passed to `load_version`.

    Raises VersionNotFoundError when the channel has no version yet.
    """

    def __init__(
        self,
        registry_or_path: ModelRegistry | str | os.PathLike[str],
        *,
        channel: str = PRODUCTION,
        refresh_interval: float = 0.0,
        trust_pickle: bool | None = None,
    ) -> None:
        if isinstance(registry_or_path, ModelRegistry):
            self.registry = registry_or_path
        else:
            self.registry = ModelRegistry(registry_or_path)
        if isinstance(refresh_interval, bool) or not refresh_interval >= 0:
            raise InvalidInputError(f"refresh_interval must be >= 0, got {refresh_interval!r}")
        self.channel = validate_channel(channel)
        self.refresh_interval = float(refresh_interval)
        self._trust_pickle = trust_pickle
        self._swap = threading.Lock()
        self._loaded: _Loaded | None = None
        self._checked_at = 0.0
        self._failed: str | None = None
        self._current()

    def __repr__(self) -> str:
        return f"PredictionService({self.registry.location!r}, channel={self.channel!r})"

    @property
    def version(self) -> str:
        """The version that answers the next prediction (after following the pointer)."""
        return self._current().version

    @property
    def features(self) -> list[str]:
        """The features the current model was trained on."""
        return list(self._current().result.features)

    def predict(self, data: pd.DataFrame) -> Prediction:
        """Predict from OHLCV bars (features are computed) or from a frame of the features.

        Raises InvalidInputError when the input lacks a feature the model was trained on,
        has too little history, or does not match the model's recorded signature.
        """
        import pandas as pd

        loaded = self._current()
        X = model_inputs(loaded.result, data, version=loaded.version)
        values = loaded.result.model.predict(X)
        series = pd.Series(values, index=X.index, name="predicted_return", dtype="float64")
        return Prediction(loaded.version, series)

    # --- following the pointer ------------------------------------------------------------

    def _current(self) -> _Loaded:
        """The model to answer with, swapped first if the pointer moved since the last look."""
        loaded = self._loaded
        now = time.monotonic()
        if loaded is not None and now - self._checked_at < self.refresh_interval:
            return loaded
        self._checked_at = now
        target = self.registry.current_version(self.channel)
        if loaded is not None and target in (loaded.version, None, self._failed):
            return loaded
        # Only one thread loads; the others keep answering with the old model meanwhile.
        if not self._swap.acquire(blocking=loaded is None):
            assert loaded is not None
            return loaded
        try:
            latest = self._loaded
            if latest is not None and latest.version == target:
                return latest
            self._loaded = self._load(target, fallback=latest)
            return self._loaded
        finally:
            self._swap.release()

    def _load(self, target: str | None, *, fallback: _Loaded | None) -> _Loaded:
        """Load `target`; if that fails and a model is already serving, keep serving it.

        A version that failed is not retried until the pointer moves again: versions are
        immutable, so the same load would fail the same way on every request.
        """
        try:
            if target is None:
                raise VersionNotFoundError(
                    f"no {self.channel} version in {self.registry.location}; promote one first",
                    channel=self.channel,
                )
            result = self.registry.load_version(target, trust_pickle=self._trust_pickle)
            if result is None:
                raise VersionNotFoundError(
                    f"{self.channel} points to {target}, which is gone from "
                    f"{self.registry.location}",
                    version=target,
                )
        except ModelRegistryError as exc:
            if fallback is None:
                raise
            self._failed = target
            log.error("still serving %s: could not load %s: %s", fallback.version, target, exc)
            return fallback
        self._failed = None
        if fallback is not None:
            log.info("%s moved: now serving %s (was %s)", self.channel, target, fallback.version)
        return _Loaded(target, result)


def model_inputs(result: TrainingResult, data: Any, *, version: str) -> pd.DataFrame:
    """The model's feature columns from `data`: computed from bars, or taken as given.

    The one rule for what a model of `version` is fed, shared by `PredictionService` and
    `modelreg serve`: OHLCV bars go through the feature recipe (`compute_features`) when the
    frame lacks the model's features; then the features are selected in training order, and
    checked against the recorded signature when there is one.
    """
    import pandas as pd

    if not isinstance(data, pd.DataFrame):
        raise InvalidInputError(
            f"predict needs a pandas DataFrame of bars or features, got {type(data).__name__}"
        )
    features = list(result.features)
    frame, from_bars = data, False
    if not set(features) <= set(map(str, data.columns)) and _has_prices(data):
        from ..training.features import compute_features

        frame, from_bars = compute_features(data), True
    missing = [f for f in features if f not in frame.columns]
    if missing:
        remedy = (
            "the feature recipe does not compute them from bars: pass a frame with those columns"
            if from_bars
            else f"pass OHLCV bars (timestamp, {', '.join(PRICE_COLUMNS)}) or a frame with "
            "those columns"
        )
        raise InvalidInputError(
            f"the input lacks feature(s) {', '.join(missing)} that version {version} "
            f"was trained on; {remedy}",
            missing=missing,
            version=version,
        )
    X = frame[features]
    if from_bars:
        X = X.dropna()
        if X.empty:
            from ..training.features import WARMUP_BARS

            raise InvalidInputError(
                f"{len(data)} bar(s) are too few to compute every feature; "
                f"pass {WARMUP_BARS} bars of history at least",
                rows=len(data),
            )
    elif X.isna().to_numpy().any():
        column = X.columns[X.isna().any()][0]
        raise InvalidInputError(f"feature {column} has NaN values", column=column)
    if result.signature:
        from ..signature import check_input

        X = check_input(result.signature, X)
    return X


def _has_prices(data: pd.DataFrame) -> bool:
    return set(PRICE_COLUMNS) <= {str(c).strip().lower() for c in data.columns}
