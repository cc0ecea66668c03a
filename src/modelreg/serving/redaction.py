"""What a server's answers may not show: where and how it stores the registry.

Errors and listings are written for the person running the registry, so they name paths,
URLs and hosts; a server's clients only need what went wrong. One rule for every answer that
carries such text (error bodies, `/api/debris`, verify's report): the registry's own folder
becomes `<registry>`, any other absolute path `<path>`, any URL `<url>`, and the database's
host, user and name `<hidden>`. Framework-free, so it is tested on its own.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = ["Redactor"]

_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>]+")
_POSIX_PATH = re.compile(r"(?<![\w.\-~<>/])/(?!/)[^\s'\"<>(),;]+")
_WINDOWS_PATH = re.compile(r"\b[A-Za-z]:\\[^\s'\"<>(),;]*")


class Redactor:
    """Removes a server's paths, URLs and database identity from the text of its answers."""

    def __init__(self, root: Path | str, location: str) -> None:
        known: list[tuple[str, str]] = []
        if isinstance(root, Path):
            for form in {str(root), str(root.resolve()), os.path.realpath(root)}:
                known.append((re.escape(form), "<registry>"))
        if "://" in location:
            known.append((re.escape(location), "<registry>"))
            parts = urlsplit(location)
            for word in (parts.hostname, parts.username):
                if word:
                    known.append((rf"(?<![\w.\-]){re.escape(word)}(?![\w.\-])", "<hidden>"))
            database = parts.path.strip("/")
            if database:  # as a driver quotes it: database "name"
                known.append((rf'"{re.escape(database)}"', '"<hidden>"'))
        known.sort(key=lambda pair: -len(pair[0]))  # longest first: a path before its host
        self._known = [(re.compile(pattern), placeholder) for pattern, placeholder in known]

    def text(self, text: str) -> str:
        for pattern, placeholder in self._known:
            text = pattern.sub(placeholder, text)
        text = _URL.sub("<url>", text)
        text = _WINDOWS_PATH.sub("<path>", text)
        return _POSIX_PATH.sub("<path>", text)

    def value(self, value: Any) -> Any:
        """`value` with every string in it redacted (dicts, lists and keys included)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(k)): self.value(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.value(v) for v in value]
        return value
