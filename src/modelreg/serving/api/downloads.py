"""The download route of `modelreg server`: one registered artifact of a version.

A download resolves the version and the file in one read (a catalog: one statement; a folder:
its metadata.json) and opens the bytes, in one trip to the worker threads. A file of up to
`WHOLE` bytes is read there and answered in one piece, with its length; a larger one streams,
a chunk per thread trip. Only names the version registered are reachable: the name is a key
looked up in its record, and a name the artifact-name rule refuses is "not found".

Integrity: the server sends the bytes as stored, and their registered sha256 in
`X-Checksum-Sha256`; it does not hash them (as before). The client hashes every byte it
receives against its own record (`RemoteOperations`) or that header, so a damaged blob is
refused by the client, which has to check what crossed the network anyway.
"""

from __future__ import annotations

import itertools
from pathlib import PurePosixPath
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from ...backends.base import OpenedArtifact
from ..uploads import CHUNK, chunks
from .answers import Answer
from .dependencies import ERRORS, Reader, Registry, kept_answer

__all__ = ["WHOLE", "artifact_answer", "router"]

router = APIRouter()
#: files up to this size are read in one go and answered with a Content-Length
WHOLE = CHUNK
_OCTETS = "application/octet-stream"


@router.get("/api/versions/{version}/files/{filename:path}", tags=["read"], responses=ERRORS)
async def download(
    request: Request, version: str, filename: str, who: Reader, registry: Registry
) -> Response:
    """One artifact; `X-Checksum-Sha256` is its registered hash.

    A large file streams, without a Content-Length from the record: a damaged file must
    arrive whole, so that the client's hash check (not a broken connection) says what is wrong.
    A small one is kept (`AnswerCache`) and sent again while the model is unchanged: a delete
    of the version, or a move of the channel `latest` names, changes the model's revision.
    """
    make = lambda: artifact_answer(registry.open_registered(version, filename))  # noqa: E731
    return await kept_answer(request, registry, make)


def artifact_answer(opened: OpenedArtifact) -> Answer | Response:
    """The answer for an opened artifact: whole when small (read here, in the worker thread),
    else streamed from what is already read on."""
    headers = {
        "X-Checksum-Sha256": opened.sha256,
        "Content-Disposition": "attachment; filename*=UTF-8''"
        + quote(PurePosixPath(opened.name).name),
    }
    handle = opened.handle
    try:
        first = handle.read(WHOLE)
        more = handle.read(WHOLE) if len(first) == WHOLE else b""
    except BaseException:
        handle.close()
        raise
    if not more:
        handle.close()
        return Answer(first, _OCTETS, headers)
    return StreamingResponse(
        itertools.chain((first, more), chunks(handle)), media_type=_OCTETS, headers=headers
    )
