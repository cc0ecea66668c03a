"""metadata.json: what a version says about itself, built, checked, encoded and decoded here.

The seed's fields (`version`, `training_date`, `data_range`, `metrics`, `features`,
`hyperparameters`, `config`, `deployment_status`, `promoted_at`) plus `registered_at`,
`format_version`, `files` (sha256 and size of every artifact), `lineage`, and the caller's
`metadata_extra`, which may add keys but never overwrite one of these.

Three kinds of keys, one owner each. What a person registers (metrics, features, ...) is
validated by `version_fields`. How the artifacts read back (`model`, `tables`, `signature`) is
described by whoever wrote them and checked by `validate_description` against the files really
stored. What the registry records itself (`SERVER_KEYS`: the name, the files and their hashes,
the status, lineage, timestamps) is written by `build_metadata` last, from its own arguments
only: no caller, client or archive can set it.
"""

from __future__ import annotations

import functools
import getpass
import math
import os
import platform
import socket
import subprocess
import sys
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from ._json_text import indented, loads
from .descriptions import DESCRIPTION_KEY, validate_description_text
from .errors import CorruptVersionError, InvalidInputError, ReservedKeyError
from .tags import TAGS_KEY, validate_tags

__all__ = [
    "ACTING_USER",
    "DESCRIPTION_KEYS",
    "FORMAT_VERSION",
    "LOCAL_STATE",
    "MAX_JSON_DEPTH",
    "METADATA_FILE",
    "RESERVED_KEYS",
    "SERVED",
    "SERVER_KEYS",
    "STATUSES",
    "Status",
    "VersionFields",
    "build_metadata",
    "current_user",
    "decode_metadata",
    "encode_metadata",
    "iso_utc",
    "lineage",
    "normalize_data_range",
    "parse_data_range",
    "parse_json",
    "parse_timestamp",
    "same_version",
    "utc_now",
    "validate_description",
    "validate_extra",
    "validate_features",
    "version_fields",
]

FORMAT_VERSION = 1
METADATA_FILE = "metadata.json"


class Status(StrEnum):
    """A version's `deployment_status`: the production pointer is the truth, this its echo.

    `registered` never served; `production` is what production points to; `archived` served
    once and no longer does (`effective_status` derives it from the pointer).
    """

    REGISTERED = "registered"
    PRODUCTION = "production"
    ARCHIVED = "archived"


#: every status, in order of a version's life
STATUSES = tuple(s.value for s in Status)
#: the statuses of a version that has served (and so is archived once it does no more)
SERVED = (Status.PRODUCTION.value, Status.ARCHIVED.value)
#: what one registry records about its copy of a version: not part of the version itself
LOCAL_STATE = ("deployment_status", "promoted_at")
#: what the registry records about a version itself; never taken from a caller
SERVER_KEYS = frozenset(
    {
        "version",
        "deployment_status",
        "promoted_at",
        "registered_at",
        "format_version",
        "files",
        "lineage",
    }
)
#: how a version's artifacts are read back, described by whoever wrote them
DESCRIPTION_KEYS = frozenset({"model", "tables", "signature"})
RESERVED_KEYS = (
    SERVER_KEYS
    | DESCRIPTION_KEYS
    | {
        "training_date",
        "data_range",
        "metrics",
        "features",
        "hyperparameters",
        "config",
        "channels",
    }
)
#: nesting any stored JSON value may have: deep enough for any config, shallow enough that no
#: reader (ours, the UI's, a database's JSON functions) runs out of stack
MAX_JSON_DEPTH = 32
#: a model record's own file list names artifacts; `hashes` is the registry's, under `files`
_MODEL_OWNED = frozenset({"hashes"})


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


def parse_json(text: str | bytes, *, what: str) -> Any:
    """JSON from a client or a file; InvalidInputError (never a RecursionError) when it is not.

    The values it holds are bounded later, where they are checked (`MAX_JSON_DEPTH`).
    """
    try:
        return loads(text)
    except ValueError as exc:
        raise InvalidInputError(f"{what} is not valid JSON: {exc}") from None


def _check_jsonable(value: Any, where: str, depth: int = 0) -> Any:
    """Return a JSON-safe copy of `value` or raise naming the first offending path."""
    if depth > MAX_JSON_DEPTH:
        raise InvalidInputError(f"{where} is nested more than {MAX_JSON_DEPTH} levels deep")
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
            out[key] = _check_jsonable(item, f"{where}[{key!r}]", depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        return [_check_jsonable(item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value)]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        try:
            return _check_jsonable(value.item(), where, depth)
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
    extra = dict(_check_jsonable(dict(metadata_extra), "metadata_extra"))
    if TAGS_KEY in extra:  # the version's first tags: the tag rule holds from the start
        extra[TAGS_KEY] = validate_tags(extra[TAGS_KEY])
    if DESCRIPTION_KEY in extra:  # the version's first description, by the same rule as edits
        text = validate_description_text(extra.pop(DESCRIPTION_KEY))
        if text is not None:
            extra[DESCRIPTION_KEY] = text
    return extra


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

    def only(self, stored: Sequence[str]) -> VersionFields:
        """These fields with those not in `stored` (config `registry.metadata`) left empty."""
        empty: dict[str, Any] = {
            "training_date": None,
            "data_range": None,
            "metrics": {},
            "features": [],
            "hyperparameters": {},
        }
        return replace(self, **{k: v for k, v in empty.items() if k not in stored})


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


def validate_description(
    artifacts: object, files: Mapping[str, Any] | Sequence[str]
) -> dict[str, Any]:
    """Check how the artifacts are said to read back (`model`, `tables`, `signature`).

    `files` are the artifacts really stored. A key the registry records itself is a
    ReservedKeyError naming it; a model record may name only stored files. Returns a JSON-safe
    copy, so nothing of the caller's object is kept.
    """
    if artifacts is None:
        return {}
    if not isinstance(artifacts, Mapping):
        raise InvalidInputError(f"artifacts must be a mapping, got {type(artifacts).__name__}")
    keys = set(map(str, artifacts))
    _refuse_reserved(keys - DESCRIPTION_KEYS, "artifacts")
    described = dict(_check_jsonable(dict(artifacts), "artifacts"))
    model = described.get("model")
    if model is not None:
        _check_model_record(model, set(files))
    tables = described.get("tables")
    if tables is not None and not (
        isinstance(tables, dict) and all(isinstance(v, dict) for v in tables.values())
    ):
        raise InvalidInputError("artifacts.tables must map table names to their read options")
    if described.get("signature") is not None:
        from .signature import validate_signature

        described["signature"] = validate_signature(described["signature"])
    return described


def _refuse_reserved(keys: set[str], where: str) -> None:
    """Refuse keys a caller may not set: reserved ones by name, unknown ones as such."""
    reserved = sorted(keys & RESERVED_KEYS)
    if reserved:
        raise ReservedKeyError(
            f"{where} may not set {reserved}: the registry records them itself",
            keys=reserved,
        )
    if keys:
        raise InvalidInputError(
            f"{where} may only describe {sorted(DESCRIPTION_KEYS)}, not {sorted(keys)}; put "
            "your own keys in metadata_extra"
        )


def _check_model_record(model: object, stored: set[str]) -> None:
    if not isinstance(model, dict):
        raise InvalidInputError("artifacts.model must be a mapping (the model format's record)")
    owned = sorted(set(model) & _MODEL_OWNED)
    if owned:
        raise ReservedKeyError(
            f"artifacts.model may not set {owned}: the registry records hashes under files",
            keys=owned,
        )
    for key in ("flavor", "class"):
        if key in model and not isinstance(model[key], str):
            raise InvalidInputError(f"artifacts.model.{key} must be a string")
    named = model.get("files", [])
    if not isinstance(named, list) or not all(isinstance(n, str) for n in named):
        raise InvalidInputError("artifacts.model.files must be a list of artifact names")
    missing = sorted(set(named) - stored)
    if missing:
        raise InvalidInputError(
            f"artifacts.model names file(s) {missing[:5]} that are not among the stored artifacts"
        )


def build_metadata(
    fields: VersionFields,
    *,
    version: str,
    registered_at: datetime,
    files: Mapping[str, Mapping[str, Any]],
    artifacts: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Assemble a version's metadata.json content from validated fields.

    The registry's own record (`SERVER_KEYS`) comes from the arguments alone and is written
    last, so neither `artifacts` nor `metadata_extra` can stand in for any of it.
    """
    own: dict[str, Any] = {
        "version": version,
        "deployment_status": Status.REGISTERED.value,
        "promoted_at": None,
        "registered_at": iso_utc(registered_at),
        "format_version": FORMAT_VERSION,
        "files": {name: dict(record) for name, record in files.items()},
        "lineage": lineage(),
    }
    meta: dict[str, Any] = {
        "version": version,
        "training_date": iso_utc(fields.training_date or registered_at),
        "data_range": fields.data_range,
        "metrics": fields.metrics,
        "features": fields.features,
        "hyperparameters": fields.hyperparameters,
        "config": fields.config,
        **own,
    }
    meta.update(validate_description(artifacts, files))
    meta.update(fields.extra)
    meta.update(own)
    return meta


def encode_metadata(meta: Mapping[str, Any]) -> bytes:
    """metadata.json's bytes: `json.dumps(meta, indent=2, allow_nan=False)` and a newline,
    written by the C encoder where it can (a promote rewrites two of these)."""
    return (indented(meta, strict=True) + "\n").encode()


def decode_metadata(raw: bytes, *, where: str) -> dict[str, Any]:
    """Parse metadata.json; anything unreadable is corrupt, never "not found"."""
    try:
        meta = loads(raw)
    except ValueError as exc:  # a JSONDecodeError, a UnicodeDecodeError, nested too deeply
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
    """Who is acting: the server's signed-in user, else `getpass.getuser()`'s answer.

    That reads the environment, then the user database (NSS: files, LDAP...) when no variable
    names anyone, as under a service manager; the database's answer is kept per uid, so a
    long-lived process asks it once, not on every write.
    """
    acting = ACTING_USER.get()
    if acting:
        return acting
    env = os.environ  # what `getpass.getuser` reads, in its order
    named = env.get("LOGNAME") or env.get("USER") or env.get("LNAME") or env.get("USERNAME")
    return named or _account_name(os.getuid() if hasattr(os, "getuid") else -1)


@functools.lru_cache(maxsize=8)
def _account_name(uid: int) -> str:
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


def same_version(stored: Mapping[str, Any], imported: Mapping[str, Any]) -> bool:
    """Whether two registries' copies of a version are the same version (status aside)."""

    def content(meta: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in meta.items() if k not in LOCAL_STATE}

    return content(stored) == content(imported)
