"""What a server's answers may not show: where and how it stores the registry.

Errors and listings are written for the person running the registry, so they name paths,
URLs and hosts; the log keeps them whole. A client only needs what went wrong. One rule for
every answer that carries such text (`modelreg server`'s error bodies, `/api/debris` and
verify's report; `modelreg serve`'s errors and `/ready`): the registry's own folder or URL
becomes `<registry>`, any other absolute path keeps only its last part (a file keeps its
name), a storage URL (`s3://`, `postgresql://` ...) becomes `<url>` (web links stay), and the
database's host and user become `<hidden>`. Framework-free, so it is tested on its own.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = ["Redactor"]

_STORAGE_URL = re.compile(r"\b(?!https?://)[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>]+")
_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/<>~\-])/(?:[^\s/'\"<>]+/)+([^\s/'\"<>]+)")
_WINDOWS_PATH = re.compile(r"\b[A-Za-z]:\\(?:[^\s\\'\"<>]+\\)*([^\s\\'\"<>]+)")


class Redactor:
    """Removes a server's paths, storage URLs and database identity from its answers.

    Args:
        location: the registry's location as `ModelRegistry.location` gives it: a folder
            (relative ones are taken from the current directory) or a URL.
    """

    def __init__(self, location: str) -> None:
        known: list[tuple[str, str]] = []
        if "://" in location:
            known.append((re.escape(location), "<registry>"))
            parts = urlsplit(location)
            for word in (parts.hostname, parts.username):
                if word:
                    known.append((rf"(?<![\w.\-]){re.escape(word)}(?![\w.\-])", "<hidden>"))
            database = parts.path.strip("/")
            if database:  # as a driver quotes it: database "name"
                known.append((rf'"{re.escape(database)}"', '"<hidden>"'))
        else:  # absolute forms only: a relative folder's name is a word in prose too
            root = Path(location).absolute()
            for form in {str(root), str(root.resolve()), os.path.realpath(root)}:
                known.append((rf"{re.escape(form)}(?![^\s/'\"<>])", "<registry>"))
                known.append((rf"{re.escape(form)}/", "<registry>/"))
        known.sort(key=lambda pair: -len(pair[0]))  # longest first: a path before its host
        self._known = [(re.compile(pattern), placeholder) for pattern, placeholder in known]

    def text(self, text: str) -> str:
        for pattern, placeholder in self._known:
            text = pattern.sub(placeholder, text)
        text = _STORAGE_URL.sub("<url>", text)
        text = _WINDOWS_PATH.sub(r"\1", text)
        return _ABSOLUTE_PATH.sub(r"\1", text)

    def value(self, value: Any) -> Any:
        """`value` with every string in it redacted (dicts, lists and keys included)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(k)): self.value(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.value(v) for v in value]
        return value
