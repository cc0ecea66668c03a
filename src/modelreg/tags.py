"""Tags: key=value pairs on a version, set and removed after registration (the only tag rule).

They are stored beside what registration recorded, under the metadata key `tags` (a version's
first tags may come with it, `metadata_extra={"tags": {...}}`, checked by the same rule); edits
rewrite only that key, and each is an event in the audit log (`tag`), so the log versions them.
A version from an older modelreg has no `tags` key and so no tags; a `tags` value of another
shape is read as none, never as an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import InvalidInputError

__all__ = ["MAX_TAGS", "TAGS_KEY", "parse_tag", "tags_of", "validate_tag_keys", "validate_tags"]

#: the metadata key tags live under
TAGS_KEY = "tags"
#: most tags one version may hold
MAX_TAGS = 64
_KEY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
_MAX_VALUE = 256


def validate_tag_keys(keys: Iterable[object]) -> list[str]:
    """Each key checked: a letter, then letters, digits, `_`, `.` or `-`, at most 64 in all."""
    checked = []
    for key in keys:
        if not isinstance(key, str) or not _KEY_RE.fullmatch(key):
            raise InvalidInputError(
                f"invalid tag key {str(key)[:80]!r}: use a letter, then letters, digits, '_', "
                "'.' or '-' (at most 64 characters), e.g. 'owner' or 'dataset.version'"
            )
        checked.append(key)
    return checked


def validate_tags(tags: Mapping[Any, Any] | None) -> dict[str, str]:
    """`tags` as {key: value} strings, each checked; InvalidInputError says which and why."""
    if tags is None:
        return {}
    if not isinstance(tags, Mapping):
        raise InvalidInputError(
            f"tags must be a mapping of key to value, got {type(tags).__name__}"
        )
    keys = validate_tag_keys(tags)
    for key in keys:
        value = tags[key]
        if not isinstance(value, str) or not 0 < len(value) <= _MAX_VALUE:
            raise InvalidInputError(
                f"tag {key}: its value must be text of 1 to {_MAX_VALUE} characters, "
                f"got {str(value)[:80]!r}"
            )
        if any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise InvalidInputError(f"tag {key}: its value holds a control character")
    if len(keys) > MAX_TAGS:
        raise InvalidInputError(f"at most {MAX_TAGS} tags a version, got {len(keys)}")
    return {key: tags[key] for key in keys}


def tags_of(meta: Mapping[str, Any]) -> dict[str, str]:
    """A version's tags as stored; none when absent or not {text: text} (stored data is input)."""
    stored = meta.get(TAGS_KEY)
    if not isinstance(stored, Mapping):
        return {}
    return {k: v for k, v in stored.items() if isinstance(k, str) and isinstance(v, str)}


def parse_tag(text: str) -> tuple[str, str]:
    """`owner=alice` -> ("owner", "alice"), both checked (the CLI's and the REST filter's form)."""
    key, sep, value = text.partition("=")
    if not sep:
        raise InvalidInputError(f"a tag is KEY=VALUE, e.g. owner=alice; got {text[:80]!r}")
    return next(iter(validate_tags({key.strip(): value.strip()}).items()))
