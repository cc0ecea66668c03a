"""A version ready to answer requests: loaded, checked that it can serve, and how it predicts.

`modelreg serve` swaps a new version in only after `ServedModel.check` has accepted it, so a
version that would fail every request (no `predict`, a signature no JSON or CSV input can
satisfy, a model that raises on a well-formed row) never replaces one that works.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInputError, ModelRegistryError
from ..signature import input_kinds, validate_signature
from .prediction import model_inputs

if TYPE_CHECKING:
    import pandas as pd

    from ..result import TrainingResult

__all__ = ["Answer", "ServedModel"]

#: signature kinds a JSON or CSV body can carry, and the value a probe row holds for each
_PROBE_VALUES: dict[str, Any] = {"float": 0.0, "integer": 0, "bool": False}
#: every kind a JSON or CSV body can carry
_READABLE = frozenset({*_PROBE_VALUES, "string", "object"})


@dataclass(frozen=True)
class Answer:
    """What one request got: the version that answered, the rows' index and the predictions."""

    version: str
    index: pd.Index
    values: Any


@dataclass(frozen=True)
class ServedModel:
    """One loaded version; immutable, so a request holds on to the model it started with."""

    version: str
    result: TrainingResult

    @classmethod
    def check(cls, version: str, result: TrainingResult) -> ServedModel:
        """Accept `result` for serving, or raise InvalidInputError saying why it cannot serve.

        One probe row (zeros, for all-numeric inputs) goes through the same path a request
        takes, so a model that cannot predict at all fails here, not on every request.
        """
        model = getattr(result, "model", None)
        if not callable(getattr(model, "predict", None)):
            raise InvalidInputError(
                f"version {version} cannot serve: its model ({type(model).__name__}) has no "
                "predict method",
                version=version,
            )
        kinds = _input_kinds(version, result)
        served = cls(version, result)
        probe = _probe_row(kinds)
        if probe is not None:
            try:
                answer = served.predict(probe)
            except ModelRegistryError as exc:
                raise InvalidInputError(
                    f"version {version} cannot serve: a probe row of zeros failed: {exc}",
                    version=version,
                ) from exc
            if len(answer.values) != 1:
                raise InvalidInputError(
                    f"version {version} cannot serve: one row in gave {len(answer.values)} "
                    "predictions out",
                    version=version,
                )
        return served

    def predict(self, frame: pd.DataFrame) -> Answer:
        """Predict for `frame` (feature rows, or OHLCV bars when the features come from them).

        Raises InvalidInputError for input the model cannot take (422), and a plain
        ModelRegistryError (500) when the model itself fails on input that passed every check.
        """
        X = model_inputs(self.result, frame, version=self.version)
        try:
            values = self.result.model.predict(X)
        except Exception as exc:  # the model's own failure, whatever library raised it
            raise ModelRegistryError(
                f"version {self.version} failed to predict {len(X)} row(s): "
                f"{type(exc).__name__}: {exc}",
                version=self.version,
            ) from exc
        return Answer(self.version, X.index, values)


def _input_kinds(version: str, result: TrainingResult) -> dict[str, str | None]:
    """Each input column and its kind; refuses inputs no JSON or CSV body could satisfy."""
    features = [str(f) for f in result.features]
    if not features:
        raise InvalidInputError(
            f"version {version} cannot serve: it records no features, so which columns to "
            "pass the model is unknown",
            version=version,
        )
    if not result.signature:
        return dict.fromkeys(features, "float")
    kinds = input_kinds(validate_signature(result.signature))
    if set(kinds) != set(features):
        raise InvalidInputError(
            f"version {version} cannot serve: its signature's columns {sorted(kinds)} are not "
            f"its features {sorted(features)}, so no input could pass the check",
            version=version,
        )
    unreadable = {n: k for n, k in kinds.items() if k is not None and k not in _READABLE}
    if unreadable:
        raise InvalidInputError(
            f"version {version} cannot serve: input column(s) "
            + ", ".join(f"{n} ({k})" for n, k in unreadable.items())
            + " have a type that JSON and CSV bodies cannot carry",
            version=version,
        )
    return kinds


def _probe_row(kinds: Mapping[str, str | None]) -> pd.DataFrame | None:
    """One row of zeros in the input columns; None when an input has no neutral value (text)."""
    if not all(kind in _PROBE_VALUES for kind in kinds.values()):
        return None
    import pandas as pd

    return pd.DataFrame({name: [_PROBE_VALUES[str(kind)]] for name, kind in kinds.items()})
