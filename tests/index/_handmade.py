"""Versions written by hand, as a user copying folders would: the same files the registry writes."""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from modelreg.metadata import build_metadata, encode_metadata, version_fields
from modelreg.versions import parse_version


def write_version(
    root: Path,
    name: str,
    *,
    metrics: Mapping[str, float],
    training_date: datetime | None = None,
    status: str = "registered",
) -> Path:
    """Create `root/name/` with a model.pkl and its metadata.json, without the registry."""
    folder = root / name
    folder.mkdir(parents=True)
    model = pickle.dumps({"weights": [1, 2, 3]})
    (folder / "model.pkl").write_bytes(model)
    fields = version_fields(metrics=dict(metrics), features=["x"], training_date=training_date)
    meta = build_metadata(
        fields,
        version=name,
        registered_at=parse_version(name).timestamp,
        files={"model.pkl": {"sha256": hashlib.sha256(model).hexdigest(), "bytes": len(model)}},
        artifacts={"model": {"flavor": "pickle", "files": ["model.pkl"]}},
    )
    meta["deployment_status"] = status
    (folder / "metadata.json").write_bytes(encode_metadata(meta))
    return folder


def point(root: Path, channel: str, name: str | None) -> None:
    """Set a channel's pointer by hand (a relative symlink, as the registry writes it)."""
    link = root / channel / "latest"
    link.parent.mkdir(exist_ok=True)
    if link.is_symlink():
        link.unlink()
    if name is not None:
        os.symlink(f"../{name}", link)
