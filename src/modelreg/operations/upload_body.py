"""A registration's request body for a server: each file read once, hashed as it is sent.

`multipart/form-data`: the JSON `metadata` part first, with every file declared by its size
but not its sha256 (which is not known before the file has been read), then one `files` part
per artifact, streamed from the caller's file, then a last `checksums` part with the sha256 of
what was sent. The server hashes each file as it stores it and registers nothing unless every
digest matches; a body cut short before its `checksums` part registers nothing either.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ..errors import IntegrityError
from ..integrity import Digest
from ..lower_errors import translated

__all__ = ["CHECKSUMS", "RegistrationBody"]

#: the name of the last part: JSON `{"<file name>": "<sha256 hex>"}`
CHECKSUMS = "checksums"
#: how much of a file one read takes (and one write to the socket sends)
SEND_CHUNK = 1 << 20
_CRLF = b"\r\n"


class RegistrationBody:
    """The body, as an iterable of bytes of a known total `length` (for Content-Length)."""

    def __init__(
        self,
        declared: Mapping[str, Any],
        sources: Mapping[str, Path],
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.boundary = secrets.token_hex(16)
        self.content_type = f"multipart/form-data; boundary={self.boundary}"
        self._sources = dict(sources)
        self._progress = progress
        self._sizes: dict[str, int] = {}
        for name, path in sources.items():
            with translated("read an artifact at", str(path)):
                self._sizes[name] = os.stat(path).st_size
        files = {name: {"bytes": size} for name, size in self._sizes.items()}
        self._metadata = json.dumps({**declared, "files": files}, default=str).encode()
        #: the sha256 of each file as sent, filled in as the body is read
        self.digests: dict[str, str] = {}
        placeholder = self._checksums({name: "0" * 64 for name in sources})
        self.length = (
            len(self._head("metadata")) + len(self._metadata) + len(_CRLF)
            + sum(
                len(self._head("files", name)) + size + len(_CRLF)
                for name, size in self._sizes.items()
            )
            + len(self._head(CHECKSUMS)) + len(placeholder) + len(_CRLF)
            + len(self._end())
        )  # fmt: skip

    def __iter__(self) -> Iterator[bytes]:
        yield self._head("metadata") + self._metadata + _CRLF
        for name, path in self._sources.items():
            yield self._head("files", name)
            yield from self._file(name, path, self._sizes[name])
            yield _CRLF
        yield self._head(CHECKSUMS) + self._checksums(self.digests) + _CRLF + self._end()

    def _file(self, name: str, path: Path, size: int) -> Iterator[bytes]:
        """Exactly the `size` bytes declared, hashed as they go; a file that shrank since it
        was measured ends the upload (the server then registers nothing)."""
        digest = Digest()
        with translated("read an artifact at", str(path)), open(path, "rb", buffering=0) as handle:
            left = size
            while left:
                chunk = handle.read(min(SEND_CHUNK, left))
                if not chunk:
                    raise IntegrityError(
                        f"{path} shrank while it was uploaded ({size - left} of its {size} "
                        "bytes were read); nothing was registered",
                        path=str(path),
                    )
                digest.update(chunk)
                left -= len(chunk)
                if self._progress is not None:
                    self._progress(len(chunk))
                yield chunk
        self.digests[name] = digest.hexdigest()

    def _head(self, field: str, filename: str | None = None) -> bytes:
        disposition = f'form-data; name="{field}"'
        if filename is not None:
            # as httpx writes a file part's name (the artifact-name rule refuses `\` and controls)
            disposition += f'; filename="{filename.replace(chr(34), "%22")}"'
            disposition += "\r\nContent-Type: application/octet-stream"
        return f"--{self.boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()

    def _end(self) -> bytes:
        return f"--{self.boundary}--\r\n".encode()

    @staticmethod
    def _checksums(digests: Mapping[str, str]) -> bytes:
        return json.dumps(dict(digests), sort_keys=True).encode()
