"""VersionQuery: what a listing asks for, checked once, matched once, encoded once for HTTP.

The facade builds it from `list_versions`' arguments (`VersionQuery.checked`), a backend
answers it (in Python with `matches`, or pushed down into SQL), and a remote client and the
server carry it over HTTP as URL parameters (`to_params` / `from_params`), so the rule for
each field lives here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from .errors import InvalidInputError
from .metadata import STATUSES, iso_utc, parse_timestamp
from .metrics import validate_metrics
from .tags import parse_tag, tags_of, validate_tags

__all__ = ["VersionQuery", "matches"]


@dataclass(frozen=True)
class VersionQuery:
    """What `list_versions` asks of a backend; every field optional.

    `production` is not a filter: it is the version production points to, which makes each
    matched version's status effective (the pointer is the truth, see `effective_status`).
    """

    min_metrics: Mapping[str, float] = field(default_factory=dict)
    max_metrics: Mapping[str, float] = field(default_factory=dict)
    trained_after: datetime | None = None
    trained_before: datetime | None = None
    status: str | None = None
    limit: int | None = None
    production: str | None = None
    #: every one of these key=value tags (a version may hold others too)
    tags: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def checked(
        cls,
        *,
        min_metrics: Mapping[str, Any] | None = None,
        max_metrics: Mapping[str, Any] | None = None,
        trained_after: datetime | str | None = None,
        trained_before: datetime | str | None = None,
        status: str | None = None,
        limit: int | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> VersionQuery:
        """A query from a caller's arguments, each checked (InvalidInputError naming it)."""
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
            raise InvalidInputError(f"limit must be a whole number, got {limit!r}")
        if limit is not None and limit < 0:
            raise InvalidInputError(f"limit must be >= 0, got {limit}")
        if status is not None and status not in STATUSES:
            raise InvalidInputError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
        return cls(
            min_metrics=validate_metrics(min_metrics or {}, where="min_metrics"),
            max_metrics=validate_metrics(max_metrics or {}, where="max_metrics"),
            trained_after=_when(trained_after, "trained_after"),
            trained_before=_when(trained_before, "trained_before"),
            status=status,
            limit=limit,
            tags=validate_tags(tags),
        )

    def at(self, production: str | None) -> VersionQuery:
        """This query, with statuses made effective against `production`."""
        return replace(self, production=production)

    def to_params(self) -> dict[str, Any]:
        """URL parameters for `GET /api/versions` (the inverse of `from_params`)."""
        params: dict[str, Any] = {
            "min": [f"{k}:{v!r}" for k, v in self.min_metrics.items()],
            "max": [f"{k}:{v!r}" for k, v in self.max_metrics.items()],
        }
        for key in ("trained_after", "trained_before"):
            when = getattr(self, key)
            if when is not None:
                params[key] = iso_utc(when)
        if self.status is not None:
            params["status"] = self.status
        if self.limit is not None:
            params["limit"] = self.limit
        if self.tags:
            params["tag"] = [f"{k}={v}" for k, v in self.tags.items()]
        return params

    @classmethod
    def from_params(
        cls,
        *,
        floors: Sequence[str] = (),
        ceilings: Sequence[str] = (),
        trained_after: str | None = None,
        trained_before: str | None = None,
        status: str | None = None,
        limit: int | None = None,
        tags: Sequence[str] = (),
    ) -> VersionQuery:
        """A query from `GET /api/versions` parameters (`min`/`max` METRIC:NUMBER, `tag` K=V)."""
        return cls.checked(
            min_metrics=_bounds(floors, "min"),
            max_metrics=_bounds(ceilings, "max"),
            trained_after=trained_after,
            trained_before=trained_before,
            status=status,
            limit=limit,
            tags=dict(parse_tag(t) for t in tags),
        )


def matches(meta: Mapping[str, Any], query: VersionQuery) -> bool:
    """Whether one version's metadata (status already made effective) passes `query`."""
    if query.tags and not query.tags.items() <= tags_of(meta).items():
        return False
    metrics = meta.get("metrics") or {}
    for name, floor in query.min_metrics.items():
        value = metrics.get(name)
        if value is None or value < floor:
            return False
    for name, ceiling in query.max_metrics.items():
        value = metrics.get(name)
        if value is None or value > ceiling:
            return False
    if query.trained_after is not None or query.trained_before is not None:
        trained = parse_timestamp(meta.get("training_date") or meta.get("registered_at"))
        if query.trained_after is not None and trained < query.trained_after:
            return False
        if query.trained_before is not None and trained > query.trained_before:
            return False
    return query.status is None or meta.get("deployment_status") == query.status


def _bounds(items: Sequence[str], where: str) -> dict[str, float]:
    bounds: dict[str, float] = {}
    for item in items:
        name, sep, value = item.rpartition(":")
        try:
            if not sep or not name:
                raise ValueError(item)
            bounds[name] = float(value)
        except ValueError:
            raise InvalidInputError(
                f"{where} takes METRIC:NUMBER, e.g. rmse:0.1; got {item!r}"
            ) from None
    return bounds


def _when(value: datetime | str | None, what: str) -> datetime | None:
    return None if value is None else parse_timestamp(value, what=what)
