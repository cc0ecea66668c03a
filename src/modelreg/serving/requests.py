"""The JSON bodies the registry server's write routes take, and its upload routes' docs.

Strict pydantic models: an unknown field or a wrong type is a 422 naming it, before a route
runs. Each is the wire form of one `RemoteOperations` call's arguments.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..approvals import MAX_REASON
from ..descriptions import MAX_DESCRIPTION
from ..versions import PRODUCTION

__all__ = [
    "IMPORT_DOC",
    "UPLOAD_DOC",
    "CleanupRequest",
    "DecisionRequest",
    "DescriptionRequest",
    "HistoryRequest",
    "PromoteRequest",
    "RollbackRequest",
    "TagsRequest",
    "VerifyRequest",
]


class PromoteRequest(BaseModel):
    """Move a channel to a version; `expected_current` (even null) makes it conditional.

    The gate judges it first: a losing candidate is refused (409) unless `force`, which the
    audit event records. `request_approval` files a request even where none is required.
    """

    model_config = ConfigDict(extra="forbid", strict=True)
    version: str = Field(max_length=64)
    channel: str = Field(PRODUCTION, max_length=64)
    expected_current: str | None = Field(None, max_length=64)
    reason: str | None = Field(None, max_length=MAX_REASON)
    force: bool = False
    request_approval: bool = False


class DecisionRequest(BaseModel):
    """Approve or reject a promotion request: the reason is required."""

    model_config = ConfigDict(extra="forbid", strict=True)
    reason: str = Field(min_length=1, max_length=MAX_REASON)


class RollbackRequest(BaseModel):
    """Put a channel back on a version, or (no version) on the one it held before."""

    model_config = ConfigDict(extra="forbid", strict=True)
    version: str | None = Field(None, max_length=64)
    channel: str = Field(PRODUCTION, max_length=64)
    reason: str | None = Field(None, max_length=2000)


class TagsRequest(BaseModel):
    """Set `set` and remove the keys `remove` on a version's tags (checked by the registry)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    set: dict[str, str] = Field(default_factory=dict, max_length=64)
    remove: list[str] = Field(default_factory=list, max_length=64)
    reason: str | None = Field(None, max_length=2000)


class DescriptionRequest(BaseModel):
    """A new Markdown description (null or "" clears it), checked by the registry's rule.

    The field's own bound is loose on purpose: a text past the registry's limit gets the
    registry's typed error (text_too_long), which says the limit; the body limit bounds it.
    """

    model_config = ConfigDict(extra="forbid", strict=True)
    description: str | None = Field(max_length=4 * MAX_DESCRIPTION)
    reason: str | None = Field(None, max_length=2000)


class CleanupRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    keep_versions: int | None = Field(None, ge=1, le=1_000_000)
    dry_run: bool = False


class HistoryRequest(BaseModel):
    """A batch of another registry's history; the client keeps each batch under 1 MiB."""

    model_config = ConfigDict(extra="forbid", strict=True)
    events: list[dict[str, Any]] = Field(default_factory=list, max_length=10_000)
    pointers: dict[str, str] = Field(default_factory=dict, max_length=1000)
    statuses: dict[str, dict[str, Any]] = Field(default_factory=dict, max_length=100_000)


class VerifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    repair: bool = False


def _multipart(
    optional: dict[str, dict[str, Any]] | None = None, **parts: dict[str, Any]
) -> dict[str, Any]:
    """The OpenAPI request body of a multipart route that reads its own body (`parts`
    required, `optional` not)."""
    schema = {
        "type": "object",
        "required": list(parts),
        "properties": {**parts, **(optional or {})},
    }
    return {
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}
    }


UPLOAD_DOC = _multipart(
    metadata={
        "type": "string",
        "description": "JSON, sent first: metrics, files {name: {sha256, bytes}}, ... (a file's "
        "sha256 may be left out: it then comes in the checksums part)",
    },
    files={
        "type": "array",
        "items": {"type": "string", "format": "binary"},
        "description": "the artifacts; filename = artifact name",
    },
    optional={
        "checksums": {
            "type": "string",
            "description": "JSON, sent last: {name: sha256} of the files declared without one "
            "(a client that hashes as it sends); nothing is registered unless each matches",
        }
    },
)
IMPORT_DOC = _multipart(
    archive={
        "type": "string",
        "format": "binary",
        "description": "an `export` .tar.gz, .tgz or .zip",
    }
)
