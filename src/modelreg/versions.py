"""Names: the only place versions, channels, models and artifacts are named and checked.

A version is named after its registration time in UTC, ``YYYYMMDD_HHMMSS``; when that name is
taken, ``_2``, ``_3`` ... follow. Names order by (timestamp, counter), never as strings, so
``20260101_000000_10`` sorts after ``20260101_000000_9``. Every name that enters the registry
passes :func:`validate_version`, which is what keeps ``../x`` and friends out of the folder.
An artifact's name (a relative path inside its version) passes :func:`validate_artifact_name`
wherever it comes from: a client, an archive, a stored metadata.json, a catalog row or a server.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeGuard

from ._json_text import loads
from .errors import CorruptVersionError, InvalidInputError, InvalidVersionError
from .tags import tags_of

__all__ = [
    "ALIAS_PREFIX",
    "LATEST",
    "MAX_ARTIFACT_NAME",
    "PRODUCTION",
    "IndexedMetadata",
    "ModelVersion",
    "VersionName",
    "alias_channel",
    "format_version_name",
    "is_lower_word",
    "is_model_name",
    "is_version_name",
    "next_candidates",
    "parse_version",
    "sort_newest_first",
    "validate_artifact_name",
    "validate_channel",
    "validate_model_name",
    "validate_version",
    "version_fields",
    "version_order",
]

LATEST = "latest"
#: `@staging` names the version the channel `staging` points to: never a version name
ALIAS_PREFIX = "@"
#: the channel `latest` names, and the one promotion and rollback move unless told
PRODUCTION = "production"
# the clash counter starts at _2: `X_1` would be a second spelling of `X`, sorting equal to it
_VERSION_RE = re.compile(r"^(\d{8})_(\d{6})(?:_([2-9]|[1-9]\d{1,8}))?$")
_CHANNEL_RE = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_MODEL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,127}$")
_RESERVED_CHANNELS = frozenset({"latest", "models", "trash", "staging-area"})
_MAX_SHOWN = 80
#: longest artifact name (the whole relative path) and longest part of it, as filesystems allow
MAX_ARTIFACT_NAME = 1024
_MAX_ARTIFACT_PART = 255
#: names a version's folder or archive keeps for itself, and the prefix of its temporary files
_RESERVED_ARTIFACTS = frozenset({"metadata.json", "modelreg-archive.json"})
_DRIVE_RE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True, order=True)
class VersionName:
    """A parsed version name; sorts by registration time, then by the clash counter."""

    timestamp: datetime
    counter: int = 1
    name: str = field(default="", compare=False)

    def __str__(self) -> str:
        return self.name


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN] + "..."


def parse_version(name: object) -> VersionName:
    """Parse a version name, or raise InvalidVersionError saying what is wrong with it."""
    if not isinstance(name, str):
        raise InvalidVersionError(
            f"version must be a string like '20260126_103000', got {type(name).__name__}",
            version=_shown(name),
        )
    match = _VERSION_RE.fullmatch(name)
    if match is None:
        raise InvalidVersionError(
            f"invalid version name {_shown(name)}: expected YYYYMMDD_HHMMSS (UTC), "
            "optionally followed by _N, '@<channel>' (e.g. '@staging') for the version a "
            "channel points to, or 'latest' for production",
            version=_shown(name),
        )
    day, clock, counter = match.groups()
    try:
        # the digits are fixed-width, so the constructor validates as strptime would, ~10x faster
        year, month, mday = int(day[:4]), int(day[4:6]), int(day[6:])
        hour, minute, second = int(clock[:2]), int(clock[2:4]), int(clock[4:])
        stamp = datetime(year, month, mday, hour, minute, second, tzinfo=UTC)
    except ValueError as exc:
        raise InvalidVersionError(
            f"invalid version name {name!r}: {day}_{clock} is not a real date and time",
            version=name,
        ) from exc
    return VersionName(stamp, int(counter) if counter else 1, name)


def is_version_name(name: object) -> bool:
    """True when `name` is a well-formed version name (not the `latest` alias)."""
    return _passes(parse_version, name)


def is_model_name(name: object) -> bool:
    """True when `name` is a well-formed model name (`validate_model_name` would take it)."""
    return _passes(validate_model_name, name)


def _passes(check: Callable[[Any], object], name: object) -> bool:
    try:
        check(name)
    except InvalidVersionError:
        return False
    return True


def validate_version(name: object, *, allow_latest: bool = True) -> str:
    """Return `name` when it is a version name or an alias, else raise InvalidVersionError.

    Aliases are `latest` (production, as the original API says) and `@<channel>` (the
    version that channel points to). Where they are not allowed (what to roll back to, what
    to delete), they are refused by name: `latest` is easily taken for "the newest version".
    """
    if name == LATEST or (isinstance(name, str) and name.startswith(ALIAS_PREFIX)):
        if allow_latest:
            alias_channel(name)  # checks the channel's form
            return name
        what = (
            "'latest' is the production version itself"
            if name == LATEST
            else (f"{_shown(name)} is whatever that channel points to")
        )
        raise InvalidVersionError(
            f"{what}: name the version to use here "
            "(e.g. 20260126_103000, as list_versions() or `modelreg list` show)",
            version=_shown(name),
        )
    return parse_version(name).name


def alias_channel(name: str) -> str | None:
    """The channel an alias names (`latest` -> production, `@staging` -> staging), else None.

    A version name is no alias; an `@` followed by no valid channel is an InvalidVersionError.
    """
    if name == LATEST:
        return PRODUCTION
    if not name.startswith(ALIAS_PREFIX):
        return None
    try:
        return validate_channel(name[len(ALIAS_PREFIX) :])
    except InvalidVersionError as exc:
        raise InvalidVersionError(
            f"invalid alias {_shown(name)}: after '@' comes a channel name ({exc})",
            version=_shown(name),
        ) from exc


def is_lower_word(name: object) -> TypeGuard[str]:
    """A lower-case word of at most 63 characters: a channel's name, and the name of anything
    else the registry keeps in a file named after it (a webhook and its cursor)."""
    return isinstance(name, str) and _CHANNEL_RE.fullmatch(name) is not None


def validate_channel(channel: object) -> str:
    """Channels are lower-case words (`production`, `staging`); they name folders too."""
    if not is_lower_word(channel):
        raise InvalidVersionError(
            f"invalid channel name {_shown(channel)}: use lower-case letters, digits, '_' "
            "or '-', starting with a letter (e.g. 'production', 'staging')",
            channel=_shown(channel),
        )
    if channel in _RESERVED_CHANNELS:
        raise InvalidVersionError(f"channel name {channel!r} is reserved", channel=channel)
    return channel


def validate_model_name(model: object) -> str:
    """Model names (several models in one catalog) are short identifiers, never paths."""
    if not isinstance(model, str) or not _MODEL_RE.fullmatch(model) or ".." in model:
        raise InvalidVersionError(
            f"invalid model name {_shown(model)}: use letters, digits, '_', '-' or '.', "
            "starting with a letter",
            model=_shown(model),
        )
    return model


def validate_artifact_name(name: object) -> str:
    """Return `name` when it is a safe artifact name, else raise InvalidInputError.

    Safe means a relative POSIX path that stays inside its version's folder on every platform:
    no absolute or drive path, no empty, `.` or `..` part, no backslash, NUL or control
    character, at most MAX_ARTIFACT_NAME characters (255 a part), and not a name the registry
    keeps for itself (metadata.json, the archive manifest, or a first part starting with a dot,
    which is where its temporary files live).
    """
    problem = _str_name_problem(name) if type(name) is str else _artifact_name_problem(name)
    if problem is not None:
        raise InvalidInputError(
            f"artifact name {_shown(name)} is not allowed: {problem}", filename=_shown(name)
        )
    assert isinstance(name, str)
    return name


@functools.lru_cache(maxsize=1024)
def _str_name_problem(name: str) -> str | None:
    """`_artifact_name_problem`, remembered: verify checks `model.pkl` 100,000 times."""
    return _artifact_name_problem(name)


def _artifact_name_problem(name: object) -> str | None:
    if not isinstance(name, str) or not name:
        return "it must be a non-empty string"
    if len(name) > MAX_ARTIFACT_NAME:
        return f"it is longer than {MAX_ARTIFACT_NAME} characters"
    if any(ord(c) < 32 or ord(c) == 127 for c in name) or "\\" in name:
        return "it holds a backslash, NUL or control character"
    if name.startswith("/") or _DRIVE_RE.match(name):
        return "it must be a relative path"
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "it must not hold an empty, '.' or '..' part"
    if any(len(part) > _MAX_ARTIFACT_PART for part in parts):
        return f"a part of it is longer than {_MAX_ARTIFACT_PART} characters"
    if name in _RESERVED_ARTIFACTS or parts[0].startswith("."):
        return "the registry keeps that name for itself (metadata.json, or a leading dot)"
    return None


def format_version_name(when: datetime, counter: int = 1) -> str:
    """The name for a registration at `when` (converted to UTC), with `_N` for N >= 2."""
    base = when.astimezone(UTC).strftime("%Y%m%d_%H%M%S")
    return base if counter <= 1 else f"{base}_{counter}"


def next_candidates(when: datetime, taken: set[str]) -> Iterator[str]:
    """Yield names for a registration at `when`, skipping those already known to be taken."""
    counter = 1
    while True:
        name = format_version_name(when, counter)
        if name not in taken:
            yield name
        counter += 1


def sort_newest_first(names: list[str]) -> list[str]:
    """Order version names newest first by (timestamp, counter)."""
    return sorted(names, key=version_order, reverse=True)


def version_order(name: str) -> tuple[str, int]:
    """(timestamp digits, counter): orders like `parse_version`, without building a datetime
    (cleanup sorts every name of the registry, `list --json` compares each row's)."""
    match = _VERSION_RE.fullmatch(name) if isinstance(name, str) else None
    if match is None:
        parse_version(name)  # raises the usual InvalidVersionError
        raise AssertionError("unreachable")  # pragma: no cover
    day, clock, counter = match.groups()
    return day + clock, int(counter) if counter else 1


class _Deferred:
    """A version's location not yet computed: `where(version)`, on first read of `path`. One
    is shared by every row of a listing (the row's own `version` names it)."""

    __slots__ = ("where",)

    def __init__(self, where: Callable[[str], Path | str]) -> None:
        self.where = where


class _PathField:
    """`ModelVersion.path` as a data descriptor: stored as given, or (from a listing) deferred
    and computed on first read. Building 100,000 `Path`s was 40% of listing them all, and
    most listings never read a path. The field stays required, typed and compared as before.
    """

    def __get__(self, obj: object, owner: type | None = None) -> Path | str:
        if obj is None:  # the dataclass machinery asks for a default: there is none
            raise AttributeError("path")
        state = obj.__dict__
        value = state["path"]
        if isinstance(value, _Deferred):
            value = value.where(state["version"])
            state["path"] = value
        return value

    def __set__(self, obj: object, value: Path | str) -> None:
        obj.__dict__["path"] = value


@dataclass(frozen=True)
class ModelVersion:
    """One registered version, as `list_versions` returns it."""

    version: str
    training_date: str
    metrics: dict[str, float]
    features: list[str]
    path: Path | str = _PathField()  # type: ignore[assignment]
    deployment_status: str = "registered"
    registered_at: str = ""
    data_range: dict[str, str] | None = None
    #: every channel pointing here, sorted: each is an alias of this version (`@staging`)
    channels: list[str] = field(default_factory=list)
    #: key=value tags set after registration (`set_tags`)
    tags: dict[str, str] = field(default_factory=dict)
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    #: the model's class as recorded (`module:Class`; "" when not recorded)
    model_class: str = ""
    #: how the model is stored: `pickle`, `files` (kept as uploaded), `onnx`...
    model_flavor: str = ""

    def __getstate__(self) -> dict[str, Any]:
        """Pickled with its path computed (a deferred one holds the registry's method) and
        its stored fields decoded."""
        _decode(self.__dict__)
        return {**self.__dict__, "path": self.path}

    @classmethod
    def from_metadata(
        cls,
        meta: Mapping[str, Any],
        path: Path | str,
        pointers: Mapping[str, str | None] | None = None,
    ) -> ModelVersion:
        """The listing's view of one version's metadata (status already made effective).

        `pointers` ({channel: version}) gives the channels that hold it.
        """
        held = sorted(c for c, target in (pointers or {}).items() if target == meta["version"])
        return cls._listed(meta, path, held)

    @classmethod
    def _listed(
        cls, meta: Mapping[str, Any], path: Path | str | _Deferred, channels: list[str]
    ) -> ModelVersion:
        """One row, its fields set in one step: a listing builds 100,000 of them, and a frozen
        dataclass's `__init__` sets each of its 13 fields through `object.__setattr__`."""
        row = object.__new__(cls)
        row.__dict__.update(
            version=meta["version"],
            path=path,
            deployment_status=meta.get("deployment_status", "registered"),
            channels=channels,
            **_stored_fields(meta),
        )
        return row


def _stored_fields(meta: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a row taken from its metadata as they are (`_DECODED`)."""
    recorded = meta.get("model")
    model: Mapping[str, Any] = recorded if isinstance(recorded, Mapping) else {}
    return {
        "training_date": meta.get("training_date") or "",
        "metrics": dict(meta.get("metrics") or {}),
        "features": list(meta.get("features") or []),
        "registered_at": meta.get("registered_at") or "",
        "data_range": meta.get("data_range"),
        "tags": tags_of(meta),
        "hyperparameters": dict(meta.get("hyperparameters") or {}),
        "model_class": str(model.get("class") or ""),
        "model_flavor": str(model.get("flavor") or ""),
    }


#: where a row from an index keeps its `IndexedMetadata` until one of its other fields is read
_UNDECODED = "_undecoded"
#: the fields `_stored_fields` sets; the rest (version, path, status, channels) a listing does
_DECODED = frozenset(_stored_fields({}))


def _decode(state: dict[str, Any]) -> None:
    """Fill a row's stored fields from the metadata it kept (a no-op once done, or for other
    rows); a text that cannot be read raises its index's error (`IndexedMetadata.parse`).

    Two threads may both decode; each fills the same values, and the text goes last."""
    meta = state.get(_UNDECODED)
    if meta is not None:
        state.update(_stored_fields(meta._decoded()))
        state.pop(_UNDECODED, None)


def _parsed(text: str, name: str) -> dict[str, Any]:
    """The folder index's copy of a version's metadata (`IndexedMetadata`'s default parse)."""
    try:
        meta = loads(text)
        if not isinstance(meta, dict):
            raise ValueError("not a JSON object")
    except ValueError as exc:
        raise CorruptVersionError(
            f"the registry index's copy of version {name}'s metadata cannot be read ({exc}); "
            "delete the registry's .index folder (it is rebuilt from the metadata files)",
            version=name,
        ) from None
    return meta


class _Stored:
    """A field a row from the index decodes on first read (with all the others, in one parse).

    A non-data descriptor: once a row holds the value, the value is read as any attribute,
    and a row built any other way holds it from the start. On the class it is the field's
    default, as before; `dataclasses.fields` and `__init__` are unchanged.
    """

    __slots__ = ("default", "name")

    def __init__(self, name: str, default: Any) -> None:
        self.name = name
        self.default = default

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        if obj is None:
            if self.default is MISSING:
                raise AttributeError(self.name)
            return self.default
        state = obj.__dict__
        _decode(state)
        try:
            return state[self.name]
        except KeyError:
            raise AttributeError(self.name) from None


for _field in fields(ModelVersion):
    if _field.name in _DECODED:
        setattr(ModelVersion, _field.name, _Stored(_field.name, _field.default))
del _field

#: `ModelVersion`'s fields, in order (asking `dataclasses.fields` per row cost 5 us)
_FIELDS = tuple(f.name for f in fields(ModelVersion))


def version_fields(version: ModelVersion) -> dict[str, Any]:
    """A row's fields by name, as `dataclasses.asdict` gives them but not copied: its deep copy
    was a third of a cold `list --json` at 1,000 versions, and of a server's page of ten."""
    return {name: getattr(version, name) for name in _FIELDS}


class IndexedMetadata(Mapping[str, Any]):
    """A version's listed metadata as an index stored it (JSON text: the folder's index, a SQL
    catalog's row), with its status made effective: a read-only mapping, decoded when first
    read. `listed_versions` builds its row without decoding it at all, which was most of
    listing 100,000 versions from a folder, and of a page of ten from PostgreSQL.

    `parse(text, name)` decodes the text, or raises `CorruptVersionError` saying what that
    index is and what to do: stored data is input, and a damaged copy is corrupt, never empty.
    """

    __slots__ = ("_meta", "name", "parse", "status", "text")

    def __init__(
        self,
        name: str,
        status: str,
        text: str,
        parse: Callable[[str, str], dict[str, Any]] = _parsed,
    ) -> None:
        self.name = name
        self.status = status
        self.text = text
        self.parse = parse
        self._meta: dict[str, Any] | None = None

    def _decoded(self) -> dict[str, Any]:
        """The metadata as a dict (parsed once; kept, so it is this mapping's own)."""
        if self._meta is None:
            meta = self.parse(self.text, self.name)
            meta["deployment_status"] = self.status
            self._meta = meta
        return self._meta

    def __getitem__(self, key: str) -> Any:
        return self._decoded()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._decoded())

    def __len__(self) -> int:
        return len(self._decoded())

    def __repr__(self) -> str:
        return f"IndexedMetadata({self._decoded()!r})"


def listed_versions(
    metas: Sequence[Mapping[str, Any]],
    where: Callable[[str], Path | str],
    pointers: Mapping[str, str | None],
) -> list[ModelVersion]:
    """`ModelVersion`s of a listing's metadata, each path computed by `where` when first read.

    A list of `metas` is consumed: each item is let go once its row is built, so a listing
    holds about one copy of its rows at a time, not two. An `IndexedMetadata` becomes a row
    that decodes its text when a field other than its name, status or channels is first read.
    """
    holders: dict[str, list[str]] = {}
    for channel, target in sorted(pointers.items()):
        if target is not None:
            holders.setdefault(target, []).append(channel)
    listed, new, path = ModelVersion._listed, object.__new__, _Deferred(where)
    rows: list[ModelVersion] = []
    append = rows.append
    pending = metas if isinstance(metas, list) else list(metas)
    pending.reverse()
    pop = pending.pop
    while pending:
        meta = pop()
        if type(meta) is IndexedMetadata:  # its other fields stay JSON text until one is read
            name = meta.name
            row = new(ModelVersion)
            row.__dict__.update(
                version=name,
                path=path,
                deployment_status=meta.status,
                channels=holders[name].copy() if name in holders else [],
                _undecoded=meta,
            )
            append(row)
        else:
            name = meta["version"]
            append(listed(meta, path, holders[name].copy() if name in holders else []))
    return rows
