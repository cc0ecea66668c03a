"""JSON text as modelreg writes and reads it: indented (`indent=2`), to the byte, at C speed
for flat containers; and read from storage with every failure a `ValueError` (`loads`).

The standard library's encoder falls back to its pure-Python form whenever `indent` is set,
and that form was over half of a cold `modelreg list --json` at 100,000 versions and a fifth
of a folder promote (two metadata.json rewrites). A listing row or a version's metadata is a
dict of strings and flat containers (metrics, features, tags, data_range...): a flat
container at a known depth is exactly the C encoder's compact output with an item separator
that holds the newline and the indentation. Anything else (a nested container, a key that is
not a string, a value only `default` can encode) takes the standard library's own path.

Two flavours: the CLI's (`json.dumps(value, indent=2, default=str)`) and, with `strict`,
metadata.json's (`json.dumps(value, indent=2, allow_nan=False)`: NaN and infinities raise
ValueError, a value JSON cannot hold raises TypeError).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any

__all__ = ["indented", "loads"]

_STEP = "  "
_DEEPEST = 8
_Encode = Callable[[Any, int], "tuple[str, ...] | list[str]"]


def _refuse(value: Any) -> Any:
    """`default` of the strict flavour: what `json.JSONEncoder.default` raises."""
    raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")


def _encoder(depth: int, *, strict: bool) -> _Encode | None:
    """The C encoder, compact but for items separated by a newline indented to `depth`."""
    if c_make_encoder is None:  # an interpreter without the accelerator: the stdlib's path
        return None
    separator = ",\n" + _STEP * depth
    default = _refuse if strict else str
    return c_make_encoder(
        None, default, encode_basestring_ascii, None, ": ", separator, False, False, not strict
    )


#: `_LEVELS[strict][d]` encodes a flat container whose items sit at depth `d`
_LEVELS = {
    strict: [_encoder(depth, strict=strict) for depth in range(_DEEPEST + 1)]
    for strict in (False, True)
}
_NESTED = (dict, list, tuple)
_SCALARS = frozenset({str, int, float, bool, type(None)})
_STRINGS = frozenset({str})


def indented(value: Any, depth: int = 0, *, strict: bool = False) -> str:
    """`json.dumps(value, indent=2, default=str)` (with `strict`: `allow_nan=False` and no
    `default`), each newline followed by `depth` more levels of indentation (the text of
    `value` where it sits inside an indented document)."""
    if type(value) is dict and depth + 2 <= _DEEPEST and _LEVELS[strict][0] is not None:
        return _dict(value, depth, strict)
    return _stdlib(value, depth, strict)


def _dict(row: dict[Any, Any], depth: int, strict: bool) -> str:
    if not row:
        return "{}"
    inner = "\n" + _STEP * (depth + 1)
    nested, scalar = _LEVELS[strict][depth + 2], _LEVELS[strict][0]
    assert nested is not None and scalar is not None
    parts = []
    for key, value in row.items():
        if type(key) is not str:
            return _stdlib(row, depth, strict)  # json's own key conversions
        kind = type(value)
        if kind is str:
            text = encode_basestring_ascii(value)
        elif (kind is dict or kind is list) and _flat(value):
            opener, closer = ("{", "}") if kind is dict else ("[", "]")
            body = "".join(nested(value, 0))[1:-1]
            text = f"{opener}{inner}{_STEP}{body}{inner}{closer}" if value else opener + closer
        elif not isinstance(value, _NESTED):  # a number, true, false, null, or `default`'s
            text = "".join(scalar(value, 0))
        else:
            text = indented(value, depth + 1, strict=strict)
        parts.append(f"{encode_basestring_ascii(key)}: {text}")
    return "{" + inner + ("," + inner).join(parts) + "\n" + _STEP * depth + "}"


def _flat(container: dict[Any, Any] | list[Any]) -> bool:
    """Whether every item of `container` is a plain scalar (and, for a dict, every key a
    string): types compared as a set, at C speed; a subclass or any other type says no."""
    if type(container) is dict:
        return _STRINGS.issuperset(map(type, container)) and _SCALARS.issuperset(
            map(type, container.values())
        )
    return _SCALARS.issuperset(map(type, container))


def _stdlib(value: Any, depth: int, strict: bool) -> str:
    if strict:
        text = json.dumps(value, indent=2, allow_nan=False)
    else:
        text = json.dumps(value, indent=2, default=str)
    return text.replace("\n", "\n" + _STEP * depth) if depth else text


def loads(text: str | bytes, **options: Any) -> Any:
    """`json.loads` for text that crossed a boundary (a stored file, a catalog row, a client):
    a document nested past the interpreter's recursion limit is a `ValueError`, as any other
    unreadable JSON is, instead of a `RecursionError` that escapes every reader's "corrupt"
    handling (the C decoder recurses once per level: a row of 200,000 brackets crashed a
    catalog listing and the server page that showed it). `options` go to `json.loads`."""
    try:
        return json.loads(text, **options)
    except RecursionError:
        raise ValueError("JSON nested too deeply to read") from None
