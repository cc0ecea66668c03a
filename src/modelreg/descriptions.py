"""Descriptions: Markdown text on a version or a model, editable after registration (the one rule).

A version's lives under the metadata key `description`, beside what registration recorded
(which may set the first one, as MLflow's import does); an edit rewrites only that key, and each
edit is a `describe` event in the audit log holding the new text and the one it replaced, so the
log versions every description. The text is stored as written and is untrusted everywhere it is
shown: the web UI escapes it before formatting it, the CLI prints it without markup.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .errors import InvalidInputError, TextTooLongError

__all__ = ["DESCRIPTION_KEY", "MAX_DESCRIPTION", "description_of", "validate_description_text"]

#: the metadata key a description lives under
DESCRIPTION_KEY = "description"
#: the longest description kept, in characters (a long README, not a dataset)
MAX_DESCRIPTION = 20_000
#: control characters other than tab and newline, and the bidirectional overrides that make
#: text read differently from what it holds ("trojan source")
_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def validate_description_text(text: object, *, what: str = "description") -> str | None:
    """`text` checked and normalised (CRLF to LF, outer blank lines gone); None clears it.

    Raises TextTooLongError past MAX_DESCRIPTION characters, InvalidInputError for anything
    that is not text or holds a control character (named by its code point).
    """
    if text is None:
        return None
    if not isinstance(text, str):
        raise InvalidInputError(f"a {what} is text (Markdown), got {type(text).__name__}")
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    if len(text) > MAX_DESCRIPTION:
        raise TextTooLongError(
            f"a {what} holds at most {MAX_DESCRIPTION} characters, got {len(text)}; "
            "link to a longer document instead",
            length=len(text),
            limit=MAX_DESCRIPTION,
        )
    bad = _FORBIDDEN.search(text)
    if bad is not None:
        raise InvalidInputError(
            f"a {what} may not hold the control character U+{ord(bad.group()):04X} "
            f"(at character {bad.start() + 1})",
            position=bad.start(),
        )
    return text if text.strip() else None


def description_of(meta: Mapping[str, Any]) -> str | None:
    """The description as stored; None when absent or not text (stored data is input)."""
    stored = meta.get(DESCRIPTION_KEY)
    return stored if isinstance(stored, str) and stored else None
