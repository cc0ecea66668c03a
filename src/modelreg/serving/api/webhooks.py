"""`GET /api/hooks`: each webhook's delivery status, for write tokens; never a secret.

Hooks are configured in the server's hooks file (`modelreg server --hooks-file`), not over
REST: no token can add a URL for the server to call. This route only shows how delivery goes.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Request

from ...hooks.dispatcher import Dispatcher
from .dependencies import Writer

__all__ = ["router"]

router = APIRouter()


@router.get("/api/hooks", tags=["write"])
async def hooks(request: Request, who: Writer) -> dict[str, Any]:
    """Per hook: its URL (without query or credentials), kinds, channels, pending events,
    last success and last error, consecutive failures and the next retry."""
    dispatcher: Dispatcher | None = request.app.state.hooks
    if dispatcher is None:
        return {"hooks": [], "delivering": False}
    found = await anyio.to_thread.run_sync(dispatcher.status)
    return {"hooks": found, "delivering": dispatcher.delivering}
