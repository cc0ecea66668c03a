"""What a client sends the server: a registration's JSON part and its artifacts.

Framework-free, so it is read and tested on its own. Artifacts are written below a fresh
folder under names that cannot leave it, and each is hashed on arrival: a file whose sha256
differs from the one the client declared is refused before anything is registered.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any, Protocol

from ..errors import InvalidInputError

__all__ = ["Upload", "archive_suffix", "chunks", "receive", "upload_fields"]

CHUNK = 1 << 20
_SAFE_PART = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


class Upload(Protocol):
    """One uploaded file, as the web framework hands it over."""

    @property
    def filename(self) -> str | None: ...

    @property
    def file(self) -> IO[bytes]: ...


def upload_fields(text: str) -> dict[str, Any]:
    """The registration's JSON part: the `register_files` keywords plus declared `files`."""
    allowed = {
        "metrics",
        "features",
        "hyperparameters",
        "data_range",
        "metadata_extra",
        "training_date",
        "artifacts",
        "config",
        "files",
    }
    try:
        fields = json.loads(text)
    except ValueError as exc:
        raise InvalidInputError(f"metadata is not valid JSON: {exc}") from None
    if not isinstance(fields, dict):
        raise InvalidInputError("metadata must be a JSON object")
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise InvalidInputError(f"unknown metadata field(s) {unknown}; allowed: {sorted(allowed)}")
    if "metrics" not in fields:
        raise InvalidInputError("metadata needs metrics")
    declared = fields.get("files")
    if not isinstance(declared, dict) or not all(
        isinstance(v, dict) and isinstance(v.get("sha256"), str) for v in declared.values()
    ):
        raise InvalidInputError('metadata needs files: {"<name>": {"sha256": "<hex>"}, ...}')
    return fields


def safe_name(name: str) -> str:
    """An artifact's relative name, kept inside the version's folder."""
    parts = name.split("/")
    if (
        not name
        or len(name) > 255
        or any(not p or p.startswith(".") or not set(p) <= _SAFE_PART for p in parts)
        or name == "metadata.json"
    ):
        raise InvalidInputError(
            f"artifact name {name[:80]!r} is not allowed (letters, digits, . _ - and /; no "
            "leading dot, no metadata.json)",
            filename=name[:80],
        )
    return name


def receive(
    files: Sequence[Upload], folder: Path, declared: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Write each upload below `folder`, hashing it on the way; any mismatch is refused."""
    received: dict[str, dict[str, Any]] = {}
    for upload in files:
        name = safe_name(upload.filename or "")
        if name in received:
            raise InvalidInputError(f"artifact {name} was uploaded twice", filename=name)
        expected = declared.get(name)
        if expected is None:
            raise InvalidInputError(f"artifact {name} is not declared in files", filename=name)
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        with open(target, "wb") as out:
            for chunk in chunks(upload.file):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        if digest.hexdigest() != expected["sha256"].lower():
            raise InvalidInputError(
                f"artifact {name} arrived with sha256 {digest.hexdigest()}, not the declared "
                f"{expected['sha256']}: upload it again",
                filename=name,
                expected_sha256=expected["sha256"],
                actual_sha256=digest.hexdigest(),
            )
        received[name] = {"sha256": digest.hexdigest(), "bytes": size}
    missing = sorted(set(declared) - set(received))
    if missing:
        raise InvalidInputError(f"declared artifact(s) {missing} were not uploaded")
    return received


def archive_suffix(filename: str) -> str:
    for suffix in (".tar.gz", ".tgz", ".zip"):
        if filename.lower().endswith(suffix):
            return suffix
    raise InvalidInputError("the archive must be a .tar.gz, .tgz or .zip file")


def chunks(handle: Any) -> Iterator[bytes]:
    try:
        while chunk := handle.read(CHUNK):
            yield chunk
    finally:
        handle.close()
