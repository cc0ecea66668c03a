"""How another registry's names become modelreg names: models, channels, versions, locations.

Every rule here is a pure function, so an import run twice (or on another machine) names
everything the same way:

- A model or alias name our rules accept is kept (an alias lower-cased). Any other is spelled
  with the allowed characters (each run of others becomes `-`, a leading non-letter gets a
  `m-` or `a-` prefix) and suffixed with 8 hex digits of the original's sha256, so two names
  that differ only in refused characters never land on one model or channel.
- A version is named after its original registration time, like a version registered here,
  and the names follow the source's numbering: each new version takes the first free name at
  or after its time that sorts after every earlier version's name, so `_2`, `_3` ... appear
  when versions share a second, and a version that arrives in a later run (its artifact was
  unreadable before) still slots in where its number puts it.
- A location is recorded without its credentials: no `user:password@`, query or fragment.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from urllib.parse import urlsplit

from ..errors import InvalidVersionError
from ..versions import (
    VersionName,
    format_version_name,
    parse_version,
    validate_channel,
    validate_model_name,
)

__all__ = ["channel_name", "model_name", "out_of_order", "plan_version_names", "redact_uri"]

_REFUSED_IN_MODEL = re.compile(r"[^A-Za-z0-9_.-]+")
_REFUSED_IN_CHANNEL = re.compile(r"[^A-Za-z0-9_-]+")
_DOTS = re.compile(r"\.{2,}")
_MAX_MODEL, _MAX_CHANNEL = 128, 63
_DIGEST = 8


def model_name(source: str) -> str:
    """The modelreg model that MLflow's registered model `source` becomes."""
    try:
        return validate_model_name(source)
    except InvalidVersionError:
        return _spelled(source, _REFUSED_IN_MODEL, prefix="m-", limit=_MAX_MODEL)


def channel_name(alias: str) -> str:
    """The channel that an alias becomes (`Champion` -> `champion`)."""
    try:
        return validate_channel(alias.lower())
    except InvalidVersionError:
        return _spelled(alias, _REFUSED_IN_CHANNEL, prefix="a-", limit=_MAX_CHANNEL).lower()


def _spelled(name: str, refused: re.Pattern[str], *, prefix: str, limit: int) -> str:
    """`name` in allowed characters, made unique by a digest of the original."""
    base = _DOTS.sub(".", refused.sub("-", name)).strip("-.")
    if not base[:1].isascii() or not base[:1].isalpha():
        base = prefix + base
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:_DIGEST]
    return f"{base[: limit - _DIGEST - 1].rstrip('-.')}-{digest}"


def plan_version_names(
    created: Sequence[tuple[int, datetime]],
    known: Mapping[int, str],
    taken: set[str],
) -> dict[int, str]:
    """Names for the source's versions, in its numbering order.

    Args:
        created: (version number, registration time) of every live version at the source.
        known: the names of those already here (they keep them).
        taken: every name this registry has used, deleted versions' included; the new names
            are added to it.
    """
    planned: dict[int, str] = {}
    bound: VersionName | None = None
    for number, moment in sorted(created):
        name = known.get(number) or _first_free(moment, bound, taken)
        taken.add(name)
        planned[number] = name
        parsed = parse_version(name)
        bound = parsed if bound is None else max(bound, parsed)
    return planned


def _first_free(moment: datetime, bound: VersionName | None, taken: set[str]) -> str:
    """The first name at or after `moment`, after `bound`, that nobody has had."""
    start = moment if bound is None else max(moment, bound.timestamp)
    counter = 1
    while True:
        name = format_version_name(start, counter)
        if name not in taken and (bound is None or parse_version(name) > bound):
            return name
        counter += 1


def out_of_order(names: Mapping[int, str]) -> list[int]:
    """Version numbers whose name does not sort after every lower-numbered version's name."""
    late: list[int] = []
    highest: VersionName | None = None
    for number in sorted(names):
        parsed = parse_version(names[number])
        if highest is not None and parsed <= highest:
            late.append(number)
        else:
            highest = parsed
    return late


def redact_uri(uri: str) -> str:
    """`uri` without `user:password@`, query and fragment: safe to store and show."""
    parts = urlsplit(uri)
    if not parts.scheme or len(parts.scheme) == 1:  # a plain or Windows path
        return uri
    if "@" not in uri and not parts.query and not parts.fragment:
        return uri
    if "@" in uri and "@" not in parts.netloc:  # a password holding '/', '?' or '#' unescaped
        return f"{parts.scheme}://(credentials removed)"
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"
