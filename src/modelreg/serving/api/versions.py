"""The routes a person browsing needs at 100,000 versions: one page of versions, and the
metrics that exist (for filters and column pickers), both answered by the backend's index or
database, never by reading every version.

A route here is as thin as in `server.py`, with the same dependencies (token, model).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from ...query import TOTAL_HEADER, VersionQuery
from ...versions import version_fields
from .answers import Answer
from .dependencies import ERRORS, Reader, Registry, json_answer, kept_answer, public

__all__ = ["browse"]

browse = APIRouter()
#: the largest page a caller may ask for (a page beyond is refused, not truncated)
MAX_LIMIT = 1_000_000


@browse.get("/api/versions", tags=["read"], responses=ERRORS, response_model=list[dict[str, Any]])
async def list_versions(
    request: Request,
    who: Reader,
    registry: Registry,
    floors: Annotated[list[str] | None, Query(alias="min", description="METRIC:FLOOR")] = None,
    ceilings: Annotated[list[str] | None, Query(alias="max", description="METRIC:CEIL")] = None,
    trained_after: Annotated[str | None, Query(max_length=64)] = None,
    trained_before: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int | None, Query(ge=0, le=MAX_LIMIT)] = None,
    tag: Annotated[list[str] | None, Query(description="KEY=VALUE, all must match")] = None,
    offset: Annotated[int, Query(ge=0, le=2**62, description="matches skipped first")] = 0,
    sort: Annotated[
        str, Query(max_length=128, description="version, trained, status or a metric")
    ] = "version",
    descending: bool = True,
) -> Response:
    """One page of versions matching the filters, in the order asked (newest first unless
    `sort`/`descending` say otherwise); `X-Total-Count` is the number of matches in all."""
    query = VersionQuery.from_params(
        floors=floors or (),
        ceilings=ceilings or (),
        trained_after=trained_after,
        trained_before=trained_before,
        status=status,
        limit=limit,
        tags=tag or (),
        offset=offset,
        sort=sort,
        descending=descending,
    )

    def make() -> Answer:
        # the page and its total in one read (`limit=0`: only the total, as the client's
        # `count_versions` asks)
        page, total = registry.find_page(query)
        found = [public(version_fields(v)) for v in page]
        return json_answer(found, headers={TOTAL_HEADER: str(total)})

    return await kept_answer(request, registry, make)


@browse.get("/api/metrics", tags=["read"], responses=ERRORS)
def metric_names(who: Reader, registry: Registry) -> dict[str, int]:
    """Each metric some version records, with how many versions record it."""
    return registry.metric_names()
