"""What a client sends the server: a request body, read once, as it arrives, within its limits.

Framework-free, so it is read and tested on its own. The server authenticates a request before
handing its body here, chunk by chunk. A registration is `multipart/form-data` with the JSON
`metadata` part first (checked whole before any file is stored), then one `files` part per
artifact, each streamed straight into the registry's staging folder under a name the one
artifact-name rule allows, hashed on the way and refused unless it matches the sha256 the
client declared. A client that hashes as it sends (one read of each file) declares a file
without its sha256 and sends the digests last, in a `checksums` part: nothing is registered
until every file is confirmed. An import's archive is streamed the same way. No byte past the
upload limit is read: the request is refused with 413 and what was staged is removed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from .._fsutil import HashingWriter, make_dirs
from ..errors import InvalidInputError, PayloadTooLargeError
from ..integrity import artifact_path
from ..lower_errors import translated
from ..metadata import parse_json, validate_description, version_fields
from ..operations.upload_body import CHECKSUMS

__all__ = [
    "CHECKSUMS",
    "DEFAULT_MAX_UPLOAD",
    "MAX_METADATA",
    "Body",
    "archive_suffix",
    "chunks",
    "parse_size",
    "receive_archive",
    "receive_registration",
    "upload_fields",
]

CHUNK = 1 << 20
#: the largest body the server stores unless `--max-upload-size` says otherwise
DEFAULT_MAX_UPLOAD = 4 << 30
#: the largest JSON `metadata` part of a registration
MAX_METADATA = 8 << 20
_MAX_PARTS = 10_000
_FIELDS = frozenset(
    {
        "metrics",
        "features",
        "hyperparameters",
        "data_range",
        "metadata_extra",
        "training_date",
        "artifacts",
        "config",
        "files",
    }
)
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_size(text: str) -> int:
    """`4G`, `500M`, `1024` (bytes; K, M, G, T are powers of 1024) as a number of bytes."""
    raw = text.strip().upper().removesuffix("B").removesuffix("I")
    number, unit = (raw[:-1], raw[-1]) if raw[-1:] in _UNITS else (raw, "")
    try:
        size = int(float(number) * _UNITS[unit])
    except (ValueError, KeyError):
        raise InvalidInputError(f"not a size: {text!r} (e.g. 500M, 4G)") from None
    if size <= 0:
        raise InvalidInputError(f"a size must be positive, got {text!r}")
    return size


class Body:
    """A request body as it arrives, refused with PayloadTooLargeError past `limit` bytes."""

    def __init__(self, chunks: Iterable[bytes], *, limit: int, declared: str | None) -> None:
        self.limit = limit
        self.received = 0
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise self._too_large(int(declared))
        self._chunks = iter(chunks)

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._chunks:
            self.received += len(chunk)
            if self.received > self.limit:
                raise self._too_large(self.received)
            yield chunk

    def _too_large(self, size: int) -> PayloadTooLargeError:
        return PayloadTooLargeError(
            f"the upload is larger than this server accepts ({size} > {self.limit} bytes; "
            "`modelreg server --max-upload-size` sets the limit); nothing was stored",
            limit=self.limit,
        )


@dataclass
class _Part:
    """One part of a multipart body: its form name, file name, and data as it arrives."""

    name: str
    filename: str | None
    data: Iterator[bytes]


def _parts(body: Body, content_type: str | None) -> Iterator[_Part]:
    """The parts of a `multipart/form-data` body, in order, each read as it streams in."""
    kind, options = parse_options_header(content_type or "")
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise InvalidInputError("send the upload as multipart/form-data")
    events: list[tuple[str, Any]] = []
    header: dict[str, bytearray] = {"field": bytearray(), "value": bytearray()}
    headers: dict[bytes, bytes] = {}

    def header_end() -> None:
        headers[bytes(header["field"]).strip().lower()] = bytes(header["value"]).strip()
        header["field"].clear()
        header["value"].clear()

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": lambda: headers.clear(),
            "on_header_field": lambda d, s, e: header["field"].extend(d[s:e]),
            "on_header_value": lambda d, s, e: header["value"].extend(d[s:e]),
            "on_header_end": header_end,
            "on_headers_finished": lambda: events.append(("begin", dict(headers))),
            "on_part_data": lambda d, s, e: events.append(("data", bytes(d[s:e]))),
            "on_part_end": lambda: events.append(("end", None)),
        },
    )
    stream = _events(body, parser, events)
    for count, (kind_, value) in enumerate(stream, 1):
        if kind_ != "begin":
            raise InvalidInputError("the multipart body is malformed")
        if count > _MAX_PARTS:
            raise InvalidInputError(f"an upload may have at most {_MAX_PARTS} parts")
        _, disposition = parse_options_header(value.get(b"content-disposition"))
        name = disposition.get(b"name", b"").decode("utf-8", "replace")
        filename = disposition.get(b"filename")
        text = None if filename is None else filename.decode("utf-8", "replace")
        part = _Part(name, text, _data(stream))
        yield part
        for _ in part.data:  # whatever the consumer left unread
            pass


def _events(
    body: Body, parser: MultipartParser, events: list[tuple[str, Any]]
) -> Iterator[tuple[str, Any]]:
    try:
        for chunk in body:
            parser.write(chunk)
            yield from events
            events.clear()
        parser.finalize()
    except MultipartParseError as exc:
        raise InvalidInputError(f"the multipart body is malformed: {exc}") from None
    yield from events
    events.clear()


def _data(stream: Iterator[tuple[str, Any]]) -> Iterator[bytes]:
    for kind, value in stream:
        if kind == "end":
            return
        yield value


def upload_fields(text: str | bytes) -> dict[str, Any]:
    """The registration's JSON part, checked whole: the `register_files` keywords plus `files`.

    Everything is validated here, before a byte of any artifact is stored; a key the registry
    records itself (in the part or in its `artifacts`) is a ReservedKeyError naming it.
    """
    fields = parse_json(text, what="metadata")
    if not isinstance(fields, dict):
        raise InvalidInputError("metadata must be a JSON object")
    unknown = sorted(set(fields) - _FIELDS)
    if unknown:
        raise InvalidInputError(f"unknown metadata field(s) {unknown}; allowed: {sorted(_FIELDS)}")
    if "metrics" not in fields:
        raise InvalidInputError("metadata needs metrics")
    declared = fields.get("files")
    if not isinstance(declared, dict) or not all(
        isinstance(v, dict)
        and isinstance(v.get("sha256", ""), str)
        and _size_or_none(v.get("bytes"))
        for v in declared.values()
    ):
        raise InvalidInputError(
            'metadata needs files: {"<name>": {"sha256": "<hex>"}, ...} (a file declared '
            f"without its sha256 is confirmed by the last part, {CHECKSUMS!r})"
        )
    version_fields(**{k: v for k, v in fields.items() if k not in ("artifacts", "files")})
    validate_description(fields.get("artifacts"), declared)
    return fields


def _size_or_none(value: object) -> bool:
    return value is None or (type(value) is int and value >= 0)


def receive_registration(body: Body, content_type: str | None, register: Callable[..., str]) -> str:
    """Read a registration upload and register it; returns the new version's name.

    `register` is `ModelRegistry.register_files`: it gets a function that streams the file
    parts into its staging folder, so each artifact is stored once, where it will live.
    """
    parts = _parts(body, content_type)
    first = next(parts, None)
    if first is None or first.name != "metadata" or first.filename is not None:
        raise InvalidInputError("the metadata part must come first, before any file")
    fields = upload_fields(_small(first.data, MAX_METADATA, "the metadata part"))
    declared = fields.pop("files")
    return register(lambda folder: _receive_files(parts, folder, declared), **fields)


def _small(data: Iterable[bytes], limit: int, what: str) -> bytes:
    held = bytearray()
    for chunk in data:
        held.extend(chunk)
        if len(held) > limit:
            raise PayloadTooLargeError(f"{what} is larger than {limit} bytes", limit=limit)
    return bytes(held)


def _receive_files(
    parts: Iterator[_Part], folder: Path, declared: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Stream each file part into `folder`, hashing it; any mismatch is refused.

    A file declared without its sha256 is checked against the `checksums` part, which must
    then come last: a body cut short before it registers nothing.
    """
    received: dict[str, dict[str, Any]] = {}
    confirmed: dict[str, Any] | None = None
    for part in parts:
        if confirmed is not None:
            raise InvalidInputError(f"the {CHECKSUMS!r} part must be the last")
        if part.name == CHECKSUMS and part.filename is None:
            confirmed = _checksums(_small(part.data, MAX_METADATA, f"the {CHECKSUMS!r} part"))
            continue
        if part.name != "files" or part.filename is None:
            raise InvalidInputError(f"unexpected part {part.name!r}: only files follow metadata")
        name = part.filename
        target = artifact_path(folder, name)
        if name in received:
            raise InvalidInputError(f"artifact {name} was uploaded twice", filename=name)
        expected = declared.get(name)
        if expected is None:
            raise InvalidInputError(f"artifact {name} is not declared in files", filename=name)
        make_dirs(target.parent)
        with HashingWriter(target) as out:
            for chunk in part.data:
                out.write(chunk)
        received[name] = {"sha256": out.sha256.hexdigest(), "bytes": out.bytes}
        _check_arrived(name, received[name], expected, expected.get("sha256"))
    missing = sorted(set(declared) - set(received))
    if missing:
        raise InvalidInputError(f"declared artifact(s) {missing} were not uploaded")
    for name, record in received.items():
        claim = (confirmed or {}).get(name)
        if claim is None and "sha256" not in declared[name]:
            raise InvalidInputError(
                f"artifact {name} was declared without a sha256 and the body ended before the "
                f"{CHECKSUMS!r} part confirmed it: upload it again",
                filename=name,
            )
        _check_arrived(name, record, declared[name], claim)
    return received


def _checksums(text: bytes) -> dict[str, Any]:
    found = parse_json(text, what=CHECKSUMS)
    if not isinstance(found, dict) or not all(isinstance(v, str) for v in found.values()):
        raise InvalidInputError(f'the {CHECKSUMS!r} part must be {{"<name>": "<sha256 hex>"}}')
    return found


def _check_arrived(
    name: str, record: dict[str, Any], declared: dict[str, Any], claim: str | None
) -> None:
    """The file's hash against the one the client claims (if any), and its declared size."""
    digest = record["sha256"]
    if claim is not None and digest != claim.lower():
        raise InvalidInputError(
            f"artifact {name} arrived with sha256 {digest}, not the declared {claim}: "
            "upload it again",
            filename=name,
            expected_sha256=claim,
            actual_sha256=digest,
        )
    size = declared.get("bytes")
    if size is not None and size != record["bytes"]:
        raise InvalidInputError(
            f"artifact {name} arrived with {record['bytes']} bytes, not the declared {size}: "
            "upload it again",
            filename=name,
        )


def receive_archive(body: Body, content_type: str | None, folder: Path) -> Path:
    """Stream an import's `archive` part into `folder`; returns the file's path."""
    parts = _parts(body, content_type)
    part = next(parts, None)
    if part is None or part.name != "archive" or part.filename is None:
        raise InvalidInputError("send the archive as the multipart file part 'archive'")
    path = folder / f"upload{archive_suffix(part.filename)}"
    with translated("receive the archive into", folder), HashingWriter(path) as out:
        for chunk in part.data:
            out.write(chunk)
    if next(parts, None) is not None:
        raise InvalidInputError("send only the archive")
    return path


def archive_suffix(filename: str) -> str:
    for suffix in (".tar.gz", ".tgz", ".zip"):
        if filename.lower().endswith(suffix):
            return suffix
    raise InvalidInputError("the archive must be a .tar.gz, .tgz or .zip file")


def chunks(handle: Any) -> Iterator[bytes]:
    try:
        while chunk := handle.read(CHUNK):
            yield chunk
    finally:
        handle.close()
