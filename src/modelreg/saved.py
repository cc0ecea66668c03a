"""Registering what is already on disk: a folder `TrainingResult.save` wrote, or model files.

The library half of `modelreg register SOURCE`, so a script gets what the CLI does: a saved
folder's metadata.json supplies metrics, features, hyperparameters and the description of
its artifacts; explicit arguments override them. `model.pkl` (alone or in a folder) loads
back as a pickle; anything else is kept as it is and loads back as `ModelFiles`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._json_text import loads
from .errors import InvalidInputError
from .flavors import PICKLE_FILE, ModelFiles
from .metadata import METADATA_FILE
from .result import TrainingResult

if TYPE_CHECKING:
    from .registry import ModelRegistry

__all__ = ["copies_files", "register_saved", "saved_description"]

#: metadata.json keys of a `TrainingResult.save` folder that describe its artifacts
ARTIFACT_KEYS = ("model", "tables", "signature")


def saved_description(source: Path) -> dict[str, Any]:
    """What a folder written by `TrainingResult.save` says about itself ({} for a file)."""
    path = source / METADATA_FILE
    if not source.is_dir() or not path.is_file():
        return {}
    try:
        data = loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInputError(f"cannot read {path}: {exc}", path=str(path)) from exc
    if not isinstance(data, dict):
        raise InvalidInputError(f"{path} must hold a JSON object", path=str(path))
    return data


def copies_files(source: Path) -> bool:
    """Whether `source` is registered by copying its files (a saved run, or `model.pkl`).

    Otherwise it is wrapped as `ModelFiles` and written through the `files` flavor.
    """
    if saved_description(source):
        return True
    if source.is_file():
        return source.name == PICKLE_FILE
    return (source / PICKLE_FILE).is_file()


def register_saved(
    registry: ModelRegistry,
    source: Path,
    *,
    metrics: Mapping[str, float] | None = None,
    hyperparameters: Mapping[str, Any] | None = None,
    features: Sequence[str] = (),
    data_range: Mapping[str, Any] | None = None,
    metadata_extra: Mapping[str, Any] | None = None,
    progress: Callable[[int], None] | None = None,
) -> str:
    """Register `source` as a new version of `registry`; returns its name.

    Auto-cleanup runs after it as after any registration.
    """
    saved = saved_description(source)
    fields: dict[str, Any] = {
        "metrics": {**(saved.get("metrics") or {}), **dict(metrics or {})},
        "features": list(features) or saved.get("features") or [],
        "hyperparameters": {**(saved.get("hyperparameters") or {}), **dict(hyperparameters or {})},
    }
    if not copies_files(source):
        return registry.register(
            TrainingResult(model=ModelFiles(source, progress=progress), **fields),
            data_range=data_range,
            metadata_extra=metadata_extra,
        )
    return registry.register_files(
        source,
        **fields,
        config=saved.get("config"),
        training_date=saved.get("training_date"),
        data_range=data_range,
        metadata_extra=metadata_extra,
        artifacts=_artifacts(saved),
        progress=progress,
    )


def _artifacts(saved: Mapping[str, Any]) -> dict[str, Any]:
    record = {key: saved[key] for key in ARTIFACT_KEYS if saved.get(key) is not None}
    if isinstance(record.get("model"), dict):
        record["model"] = {k: v for k, v in record["model"].items() if k != "hashes"}
    return record
