"""The edit routes of `modelreg server`: tags and descriptions, of a version or of the model.

Each is the server half of one `RemoteOperations` edit and needs a write token; the registry
checks what is sent by the same rules as a local call (the tag rule, the description rule), and
the edit is logged under the token's name. A read token gets 403 before anything is read.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ..requests import DescriptionRequest, TagsRequest
from .dependencies import ERRORS, Reader, Registry, Target, Writer, acting

__all__ = ["router"]

router = APIRouter()


@router.post("/api/versions/{version}/tags", tags=["write"], responses=ERRORS)
def edit_tags(version: str, request: TagsRequest, who: Writer, registry: Registry) -> dict:
    """Set and remove a version's tags in one audited edit; answers all its tags now."""
    with acting(who):
        tags = registry.edit_tags(
            version, set_tags=request.set, remove=request.remove, reason=request.reason
        )
    return {"tags": tags}


@router.post("/api/versions/{version}/description", tags=["write"], responses=ERRORS)
def describe_version(
    version: str, request: DescriptionRequest, who: Writer, registry: Registry
) -> dict[str, Any]:
    """Set (null: clear) a version's Markdown description, audited; answers it now."""
    with acting(who):
        text = registry.describe_version(version, request.description, reason=request.reason)
    return {"description": text}


@router.get("/api/model", tags=["read"], responses=ERRORS)
def model_info(who: Reader, registry: Registry) -> dict[str, Any]:
    """The model's own record: its name, Markdown description and tags."""
    return registry.model_info()


@router.post("/api/model/description", tags=["write"], responses=ERRORS)
def describe_model(request: DescriptionRequest, who: Writer, registry: Target) -> dict[str, Any]:
    """Set (null: clear) the model's Markdown description, audited; answers it now."""
    with acting(who):
        text = registry.describe_model(request.description, reason=request.reason)
    return {"description": text}


@router.post("/api/model/tags", tags=["write"], responses=ERRORS)
def edit_model_tags(request: TagsRequest, who: Writer, registry: Target) -> dict[str, Any]:
    """Set and remove the model's own tags in one audited edit; answers all of them now."""
    with acting(who):
        tags = registry.edit_model_tags(
            set_tags=request.set, remove=request.remove, reason=request.reason
        )
    return {"tags": tags}
