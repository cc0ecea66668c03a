"""Issue 18, finding 3: a client registers files through the server reading each once.

The client sends each file straight from disk, hashing it as it goes, and its sha256 after it
(the `checksums` part); the server hashes what it stores and registers nothing unless every
digest, and every declared size, matches. No local staging copy is made.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from modelreg import ModelRegistry
from modelreg.errors import IntegrityError, InvalidInputError, PayloadTooLargeError
from modelreg.operations.remote import RemoteOperations
from modelreg.operations.upload_body import CHECKSUMS, RegistrationBody
from modelreg.serving.uploads import Body, receive_registration

from .support import remote, running_server

MB = 1 << 20


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[tuple[ModelRegistry, str]]:
    """A folder registry and the address of a server in front of it."""
    served = ModelRegistry(tmp_path / "models", lock_timeout=5)
    with running_server(served) as address:
        yield served, address


@pytest.fixture
def source(tmp_path: Path) -> Path:
    folder = tmp_path / "source"
    (folder / "tables").mkdir(parents=True)
    (folder / "model.bin").write_bytes(os.urandom(3 * MB + 17))
    (folder / "tables" / "train.csv").write_bytes(b"a,b\n1,2\n")
    (folder / "empty.txt").write_bytes(b"")
    return folder


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_register_files_sends_each_file_from_where_it_is(
    serving: tuple[ModelRegistry, str], source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served, url = serving

    def no_staging(self: RemoteOperations) -> Any:
        raise AssertionError("a local staging copy was made")

    monkeypatch.setattr(RemoteOperations, "staging", no_staging)
    sent: list[int] = []
    name = remote(url).register_files(source, metrics={"rmse": 0.1}, progress=sent.append)
    info = served.get_version_info(name)
    assert info is not None
    for rel in ("model.bin", "tables/train.csv", "empty.txt"):
        stored = Path(served.path) / name / rel
        assert stored.read_bytes() == (source / rel).read_bytes()
        assert info["files"][rel] == {"sha256": _sha(source / rel), "bytes": stored.stat().st_size}
    assert sum(sent) == 3 * MB + 17 + 8  # every byte read once, counted once


def _receive(raw: bytes, content_type: str, tmp_path: Path) -> dict[str, Any]:
    """What the server's registration reader hands `register_files`, from a raw body."""
    got: dict[str, Any] = {}

    def register(write: Any, **fields: Any) -> str:
        folder = tmp_path / "staged"
        folder.mkdir()
        got["files"] = write(folder)
        got["fields"] = fields
        return "20260101_000000"

    chunks = [raw[i : i + 65536] for i in range(0, len(raw), 65536)]
    receive_registration(Body(chunks, limit=1 << 30, declared=None), content_type, register)
    return got


def _body(source: Path) -> RegistrationBody:
    files = {p.relative_to(source).as_posix(): p for p in sorted(source.rglob("*")) if p.is_file()}
    return RegistrationBody({"metrics": {"rmse": 0.1}}, files)


@pytest.fixture
def sent(source: Path) -> tuple[RegistrationBody, bytes]:
    """The body of a registration of `source`, and its bytes as sent."""
    body = _body(source)
    return body, b"".join(body)


def test_the_body_is_as_long_as_it_says_and_read_back_whole(
    source: Path, sent: tuple[RegistrationBody, bytes], tmp_path: Path
) -> None:
    body, raw = sent
    assert len(raw) == body.length
    got = _receive(raw, body.content_type, tmp_path)
    assert got["files"]["model.bin"] == {"sha256": _sha(source / "model.bin"), "bytes": 3 * MB + 17}
    assert body.digests["tables/train.csv"] == _sha(source / "tables" / "train.csv")
    assert got["fields"]["metrics"] == {"rmse": 0.1}


def _lying_checksum(body: RegistrationBody, raw: bytes) -> bytes:
    lie = json.dumps({**body.digests, "model.bin": "0" * 64})
    head, _, _ = raw.rpartition(f'name="{CHECKSUMS}"'.encode())
    return head + f'name="{CHECKSUMS}"\r\n\r\n{lie}\r\n--{body.boundary}--\r\n'.encode()


def _cut_before_checksums(body: RegistrationBody, raw: bytes) -> bytes:
    last_part = raw.rindex(f"--{body.boundary}\r\n".encode())
    return raw[:last_part] + f"--{body.boundary}--\r\n".encode()


def _lying_size(body: RegistrationBody, raw: bytes) -> bytes:
    declared = f'"model.bin": {{"bytes": {3 * MB + 17}}}'.encode()
    assert declared in raw
    return raw.replace(declared, f'"model.bin": {{"bytes": {3 * MB + 18}}}'.encode())


def _part_after_checksums(body: RegistrationBody, raw: bytes) -> bytes:
    end = f"--{body.boundary}--\r\n".encode()
    extra = (
        f'--{body.boundary}\r\nContent-Disposition: form-data; name="files"; '
        'filename="late.bin"\r\n\r\nlate\r\n'
    ).encode()
    return raw.removesuffix(end) + extra + end


@pytest.mark.parametrize(
    ("tamper", "refusal"),
    [
        (_lying_checksum, r"model\.bin arrived with sha256 [0-9a-f]{64}, not the declared 0{64}"),
        (_cut_before_checksums, "before the 'checksums' part confirmed it"),
        (_lying_size, "arrived with 3145745 bytes, not the declared 3145746"),
        (_part_after_checksums, "'checksums' part must be the last"),
    ],
)
def test_a_body_changed_on_its_way_registers_nothing(
    sent: tuple[RegistrationBody, bytes], tmp_path: Path, tamper: Any, refusal: str
) -> None:
    body, raw = sent
    with pytest.raises(InvalidInputError, match=refusal):
        _receive(tamper(body, raw), body.content_type, tmp_path)


def test_a_file_that_shrinks_while_it_is_sent_stops_the_upload(tmp_path: Path) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(os.urandom(3 * MB))
    body = RegistrationBody({"metrics": {}}, {"model.bin": path})
    stream = iter(body)
    next(stream)  # the metadata part: the size was declared
    next(stream)  # the file part's head
    next(stream)  # its first MiB
    path.write_bytes(b"short")
    with pytest.raises(IntegrityError, match="shrank while it was uploaded"):
        list(stream)


def _checksums_replaced(body: RegistrationBody, raw: bytes, text: str) -> bytes:
    head, _, _ = raw.rpartition(f'name="{CHECKSUMS}"'.encode())
    return head + f'name="{CHECKSUMS}"\r\n\r\n{text}\r\n--{body.boundary}--\r\n'.encode()


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        ('["model.bin"]', "must be"),
        ('{"model.bin": 0}', "must be"),
        ('{"../../etc/passwd": "' + "0" * 64 + '"}', "before the 'checksums' part confirmed it"),
        ("{" + " " * (9 << 20) + "}", "larger than"),
    ],
    ids=["a-list", "a-number", "only-a-hostile-name", "nine-mib"],
)
def test_a_hostile_checksums_part_registers_nothing(
    sent: tuple[RegistrationBody, bytes], tmp_path: Path, text: str, refusal: str
) -> None:
    """A token holder's own `checksums` part: the wrong shape, a name it never sent (which
    leaves the files it did send unconfirmed) or one too large to hold is refused."""
    body, raw = sent
    with pytest.raises((InvalidInputError, PayloadTooLargeError), match=refusal):
        _receive(_checksums_replaced(body, raw, text), body.content_type, tmp_path)
