"""TrainingResult: what a training run produced, and its folder form.

`save(path)` writes the model (through its flavor; `model.pkl` by default), `metadata.json`
and whichever of `feature_importance.csv`, `validation_predictions.csv` and
`test_predictions.csv` the result has; `load(path)` reads them back equal.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._json_text import loads
from .errors import CorruptVersionError, InvalidInputError
from .flavors import PICKLE_FILE, load_model, save_model
from .metadata import METADATA_FILE, iso_utc, parse_timestamp
from .signature import validate_signature

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["TABLES", "TrainingResult", "write_artifacts"]

TABLES = ("feature_importance", "validation_predictions", "test_predictions")


@dataclass
class TrainingResult:
    """A trained model with the metrics, features and predictions that describe it."""

    model: Any
    metrics: dict[str, float]
    features: list[str]
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    feature_importance: pd.DataFrame | None = None
    validation_predictions: pd.DataFrame | None = None
    test_predictions: pd.DataFrame | None = None
    training_date: datetime | None = None
    signature: dict[str, Any] | None = None

    def save(self, path: str | os.PathLike[str], *, model_format: str = "pickle") -> None:
        """Write the result into the folder `path` (created if needed)."""
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        record = write_artifacts(self, folder, model_format=model_format)
        record["model"].pop("hashes", None)  # a registry needs them (under `files`), a folder not
        meta = {
            "metrics": self.metrics,
            "features": list(self.features),
            "hyperparameters": self.hyperparameters,
            "config": self.config,
            "training_date": iso_utc(self.training_date) if self.training_date else None,
            **record,
        }
        (folder / METADATA_FILE).write_text(json.dumps(meta, indent=2, default=str) + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, trust_pickle: bool = True) -> TrainingResult:
        """Read a folder written by `save` (or a registry version) back into a result."""
        folder = Path(path)
        meta_path = folder / METADATA_FILE
        try:
            meta = loads(meta_path.read_text())
        except FileNotFoundError:
            meta = {}
        except (ValueError, UnicodeDecodeError) as exc:
            raise CorruptVersionError(f"{meta_path} is not valid JSON: {exc}") from exc
        readable = _registered_files(meta, meta_path)
        model = load_model(folder, meta.get("model"), trust_pickle=trust_pickle)
        options = meta.get("tables") if isinstance(meta.get("tables"), dict) else {}
        tables = {
            name: _read_table(folder, name, options)
            if readable is None or f"{name}.csv" in readable
            else None
            for name in TABLES
        }
        trained = meta.get("training_date")
        return cls(
            model=model,
            metrics=dict(meta.get("metrics") or {}),
            features=list(meta.get("features") or []),
            hyperparameters=dict(meta.get("hyperparameters") or {}),
            config=dict(meta.get("config") or {}),
            training_date=parse_timestamp(trained) if trained else None,
            signature=meta.get("signature"),
            **tables,
        )


def _registered_files(meta: dict[str, Any], where: Path) -> set[str] | None:
    """A registry version's checked files (None for a plain `save` folder): the model must be
    read from those alone, never from a file its record names but nobody checked."""
    recorded = meta.get("files")
    if not isinstance(recorded, dict):
        return None
    record = meta.get("model")
    named = record.get("files") if isinstance(record, dict) else [PICKLE_FILE]
    unchecked = sorted(set(named if isinstance(named, list) else []) - set(recorded))
    if unchecked:
        raise CorruptVersionError(
            f"{where}: the model reads {unchecked[:5]}, which the version's files do not record "
            "(nor their hashes); nothing was loaded",
            path=str(where),
        )
    return set(recorded)


def write_artifacts(
    result: TrainingResult, folder: Path, *, model_format: str = "pickle"
) -> dict[str, Any]:
    """Write the model and tables into `folder`; returns the metadata keys describing them."""
    for attr in ("model", "metrics", "features"):
        if not hasattr(result, attr):
            raise InvalidInputError(
                f"expected a TrainingResult (with model, metrics, features), got "
                f"{type(result).__name__} without {attr!r}"
            )
    signature = getattr(result, "signature", None)
    signature = validate_signature(signature) if signature else None
    record: dict[str, Any] = {"model": save_model(result.model, folder, model_format=model_format)}
    tables = {}
    for name in TABLES:
        frame = getattr(result, name, None)
        if frame is not None:
            tables[name] = _write_table(frame, folder / f"{name}.csv", name)
    if tables:
        record["tables"] = tables
    if signature:
        record["signature"] = signature
    return record


def _write_table(frame: Any, path: Path, name: str) -> dict[str, Any]:
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise InvalidInputError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    index: list[str] | None = None
    if not isinstance(frame.index, pd.RangeIndex):
        index = [str(n) if n is not None else "index" for n in frame.index.names]
        frame = frame.rename_axis(index).reset_index()
    dates = [str(c) for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
    frame.to_csv(path, index=False)
    return {"index": index, "parse_dates": dates}


def _read_table(folder: Path, name: str, tables: dict[str, Any]) -> pd.DataFrame | None:
    path = folder / f"{name}.csv"
    if not path.exists():
        return None
    import pandas as pd

    info = tables.get(name) or {}
    frame = pd.read_csv(path, parse_dates=info.get("parse_dates") or False)
    if info.get("index"):
        frame = frame.set_index(info["index"])
    return frame
