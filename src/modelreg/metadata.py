"""metadata.json: what a version says about itself, built, checked, encoded and decoded here.

The seed's fields (`version`, `training_date`, `data_range`, `metrics`, `features`,
`hyperparameters`, `config`, `deployment_status`, `promoted_at`) plus `registered_at`,
`format_version`, `files` (sha256 and size of every artifact), `lineage`, and the caller's
`metadata_extra`, which may add keys but never overwrite one of these.
"""

from __future__ import annotations

import getpass
import json
import math
import os
import platform
import socket
import subprocess
import sys
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from .errors import CorruptVersionError, InvalidInputError, ReservedKeyError

__all__ = [
    "ACTING_USER",
    "FORMAT_VERSION",
    "METADATA_FILE",
    "RESERVED_KEYS",
    "STATUSES",
    "VersionFields",
    "build_metadata",
    "current_user",
    "decode_metadata",
    "encode_metadata",
    "iso_utc",
    "lineage",
    "normalize_data_range",
    "parse_data_range",
    "parse_timestamp",
    "utc_now",
    "validate_extra",
    "validate_features",
    "version_fields",
]

FORMAT_VERSION = 1
METADATA_FILE = "metadata.json"
STATUSES = ("registered", "production", "archived")
RESERVED_KEYS = frozenset(
    {
        "version",
        "training_date",
        "data_range",
        "metrics",
        "features",
        "hyperparameters",
        "config",
        "deployment_status",
        "promoted_at",
        "registered_at",
        "format_version",
        "files",
        "lineage",
        "model",
        "signature",
        "channels",
        "tables",
    }
)


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a `Z`, to the second (or microsecond when it has them)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    spec = "microseconds" if moment.microsecond else "seconds"
    return moment.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def parse_timestamp(value: object, *, what: str = "timestamp") -> datetime:
    """Accept a datetime, a date, or an ISO 8601 string; naive values are taken as UTC."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError as exc:
            raise InvalidInputError(
                f"{what} {value!r} is not an ISO 8601 date or time (e.g. 2026-01-26 or "
                "2026-01-26T10:30:00Z)"
            ) from exc
    elif hasattr(value, "to_pydatetime"):  # pandas.Timestamp, without importing pandas
        moment = value.to_pydatetime()
    else:
        raise InvalidInputError(f"{what} must be a date, datetime or ISO string, got {value!r}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def normalize_data_range(data_range: object) -> dict[str, str] | None:
    """`{"start", "end"}` as ISO UTC strings, start not after end; None stays None."""
    if data_range is None:
        return None
    if not isinstance(data_range, Mapping):
        raise InvalidInputError(
            f"data_range must be a mapping with 'start' and 'end', got {type(data_range).__name__}"
        )
    missing = {"start", "end"} - set(data_range)
    extra = set(data_range) - {"start", "end"}
    if missing or extra:
        raise InvalidInputError(
            "data_range needs exactly the keys 'start' and 'end'"
            + (f"; missing {sorted(missing)}" if missing else "")
            + (f"; unexpected {sorted(map(str, extra))}" if extra else "")
        )
    start = parse_timestamp(data_range["start"], what="data_range.start")
    end = parse_timestamp(data_range["end"], what="data_range.end")
    if start > end:
        raise InvalidInputError(
            f"data_range.start ({iso_utc(start)}) is after data_range.end ({iso_utc(end)})"
        )
    return {"start": iso_utc(start), "end": iso_utc(end)}


def parse_data_range(text: str) -> dict[str, str]:
    """`START:END` (ISO 8601; times may hold colons too) as a normalised data range.

    The one split that gives a valid range wins; none, or more than one, is an error.
    """
    found: list[dict[str, str]] = []
    problem = "no ':' between START and END"
    for i, char in enumerate(text):
        if char == ":":
            try:
                parsed = normalize_data_range({"start": text[:i], "end": text[i + 1 :]})
            except InvalidInputError as exc:
                problem = str(exc)
            else:
                found.append(parsed or {})
    if len(found) == 1:
        return found[0]
    if found:
        raise InvalidInputError(f"{text!r} splits into START:END in more than one way")
    raise InvalidInputError(f"{text!r} is not START:END ({problem})")


def _check_jsonable(value: Any, where: str) -> Any:
    """Return a JSON-safe copy of `value` or raise naming the first offending path."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInputError(f"{where} is {value}: JSON cannot store NaN or infinity")
        return value
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidInputError(f"{where} has a non-string key {key!r}")
            out[key] = _check_jsonable(item, f"{where}[{key!r}]")
        return out
    if isinstance(value, (list, tuple)):
        return [_check_jsonable(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        try:
            return _check_jsonable(value.item(), where)
        except (TypeError, ValueError):
            pass
    raise InvalidInputError(
        f"{where} holds a {type(value).__name__}, which cannot be stored as JSON "
        "(use str, int, float, bool, None, lists and dicts)"
    )


def validate_extra(metadata_extra: object) -> dict[str, Any]:
    if metadata_extra is None:
        return {}
    if not isinstance(metadata_extra, Mapping):
        raise InvalidInputError(
            f"metadata_extra must be a mapping, got {type(metadata_extra).__name__}"
        )
    clash = sorted(set(map(str, metadata_extra)) & RESERVED_KEYS)
    if clash:
        raise ReservedKeyError(
            f"metadata_extra may not set reserved key(s) {clash}: the registry owns them; "
            "choose another name",
            keys=clash,
        )
    return dict(_check_jsonable(dict(metadata_extra), "metadata_extra"))


def validate_features(features: object) -> list[str]:
    if features is None:
        return []
    if isinstance(features, str) or not isinstance(features, (list, tuple)):
        raise InvalidInputError(f"features must be a list of names, got {type(features).__name__}")
    bad = [f for f in features if not isinstance(f, str)]
    if bad:
        raise InvalidInputError(f"features must be strings; got {bad[:3]!r}")
    return list(features)


@dataclass(frozen=True)
class VersionFields:
    """The caller-supplied part of a version's metadata, validated and JSON-safe."""

    training_date: datetime | None
    data_range: dict[str, str] | None
    metrics: dict[str, float]
    features: list[str]
    hyperparameters: dict[str, Any]
    config: dict[str, Any]
    extra: dict[str, Any]


def version_fields(
    *,
    metrics: object,
    features: object = None,
    training_date: object = None,
    data_range: object = None,
    hyperparameters: object = None,
    config: object = None,
    metadata_extra: object = None,
) -> VersionFields:
    """Validate everything a registration stores, before anything is written."""
    from .metrics import validate_metrics

    return VersionFields(
        training_date=(
            None if training_date is None else parse_timestamp(training_date, what="training_date")
        ),
        data_range=normalize_data_range(data_range),
        metrics=validate_metrics(metrics),
        features=validate_features(features),
        hyperparameters=_check_mapping(hyperparameters, "hyperparameters"),
        config=_check_mapping(config, "config"),
        extra=validate_extra(metadata_extra),
    )


def _check_mapping(value: object, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidInputError(f"{where} must be a mapping, got {type(value).__name__}")
    return dict(_check_jsonable(dict(value), where))


def build_metadata(
    fields: VersionFields,
    *,
    version: str,
    registered_at: datetime,
    files: Mapping[str, Mapping[str, Any]],
    artifacts: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Assemble a version's metadata.json content from validated fields."""
    meta: dict[str, Any] = {
        "version": version,
        "training_date": iso_utc(fields.training_date or registered_at),
        "data_range": fields.data_range,
        "metrics": fields.metrics,
        "features": fields.features,
        "hyperparameters": fields.hyperparameters,
        "config": fields.config,
        "deployment_status": "registered",
        "promoted_at": None,
        "registered_at": iso_utc(registered_at),
        "format_version": FORMAT_VERSION,
        "files": {name: dict(record) for name, record in files.items()},
        "lineage": lineage(),
    }
    meta.update(artifacts or {})
    meta.update(fields.extra)
    return meta


def encode_metadata(meta: Mapping[str, Any]) -> bytes:
    return (json.dumps(meta, indent=2, sort_keys=False, allow_nan=False) + "\n").encode()


def decode_metadata(raw: bytes, *, where: str) -> dict[str, Any]:
    """Parse metadata.json; anything unreadable is corrupt, never "not found"."""
    try:
        meta = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptVersionError(
            f"{where} is not valid JSON ({exc}); run `modelreg verify` and restore it "
            "from a backup or delete the version",
            path=where,
        ) from exc
    if not isinstance(meta, dict) or "version" not in meta:
        raise CorruptVersionError(
            f"{where} is not a modelreg metadata file (no 'version' field)", path=where
        )
    if meta.get("format_version", 1) > FORMAT_VERSION:
        raise CorruptVersionError(
            f"{where} has format_version {meta['format_version']}, newer than this modelreg "
            f"understands ({FORMAT_VERSION}); upgrade modelreg",
            path=where,
        )
    return meta


#: who the registry acts for when that is not the process owner (a server request's token)
ACTING_USER: ContextVar[str | None] = ContextVar("modelreg_acting_user", default=None)


def current_user() -> str:
    acting = ACTING_USER.get()
    if acting:
        return acting
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return os.environ.get("USER", "unknown")


_LINEAGE_CACHE: dict[str, Any] = {}


def lineage() -> dict[str, Any]:
    """Where a version came from: git commit (if any), python, key libraries, host and user."""
    if not _LINEAGE_CACHE:
        libs = {}
        for name in ("numpy", "pandas", "sklearn", "lightgbm", "xgboost", "torch"):
            module = sys.modules.get(name)
            if module is not None:
                libs[name] = getattr(module, "__version__", "unknown")
        _LINEAGE_CACHE.update(
            git_commit=_git_commit(),
            python=platform.python_version(),
            libraries=libs,
            host=socket.gethostname(),
        )
    return {**_LINEAGE_CACHE, "user": current_user()}


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=2, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None
