"""VersionQuery: what a listing asks for, checked once, matched once, encoded once for HTTP.

The facade builds it from `list_versions`' arguments (`VersionQuery.checked`), a backend
answers it (in Python with `matches`, or pushed down into SQL), and a remote client and the
server carry it over HTTP as URL parameters (`to_params` / `from_params`), so the rule for
each field lives here and nowhere else.

Order is part of the query: `sort` is `version` (registration order, `_9` before `_35`: the
order of `versions.parse_version`), `trained`, `status` (effective) or a metric's name, and
`descending` says which way. Versions without the sort value come last either way, and ties
go newest first. `offset` and `limit` then cut one page out of that order; `count_versions`
answers how many match in all, so a page knows its total.

The filters are declared once, in `FILTERS`: each names the query's field, the subject it
tests (a metric, the training date, the effective status, a tag), the comparison and its URL
parameter. Three compilers read that table: `matches` here (Python, the reference),
`backends/sql_query.py` (SQLAlchemy) and `backends/local_index_query.py` (the folder index's
SQLite), each knowing only how to read a subject and how to spell a comparison; `to_params`
encodes it.
A new filter on a known subject is one row of `FILTERS` and its field (plus its argument in
`checked`, `from_params` and the route); `tests/core/test_query_filters.py` fails until every
compiler and the HTTP encoding handle every row.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from .errors import InvalidInputError
from .metadata import STATUSES, iso_utc, parse_timestamp
from .metrics import validate_metrics
from .tags import parse_tag, tags_of, validate_tags
from .versions import parse_version

__all__ = [
    "COMPARISONS",
    "FILTERS",
    "NOT_FILTERS",
    "SORT_FIELDS",
    "SUBJECTS",
    "TOTAL_HEADER",
    "Condition",
    "Filter",
    "VersionQuery",
    "conditions",
    "matches",
    "ordered",
    "sort_value",
    "subject_value",
]

#: what `sort` may name besides a metric; a metric with one of these names cannot be sorted by
SORT_FIELDS = ("version", "trained", "status")
#: the header `GET /api/versions` answers the number of matches in (all pages together)
TOTAL_HEADER = "X-Total-Count"
#: the longest sort key accepted (a metric name; `validate_metrics` bounds them further)
_MAX_SORT = 128


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
    #: how many matching versions to skip, in the query's order, before the first returned
    offset: int = 0
    #: `version`, `trained`, `status` or a metric's name (see the module's docstring)
    sort: str = "version"
    descending: bool = True

    @property
    def newest_first(self) -> bool:
        """The natural order (a backend may then stream and stop early)."""
        return self.sort == "version" and self.descending

    @property
    def sort_metric(self) -> str | None:
        """The metric the query sorts by, or None when it sorts by a field."""
        return None if self.sort in SORT_FIELDS else self.sort

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
        offset: int = 0,
        sort: str = "version",
        descending: bool = True,
    ) -> VersionQuery:
        """A query from a caller's arguments, each checked (InvalidInputError naming it)."""
        _whole(limit, "limit")
        _whole(offset, "offset")
        if not isinstance(sort, str) or not sort or len(sort) > _MAX_SORT or not sort.isprintable():
            raise InvalidInputError(
                f"sort takes {', '.join(SORT_FIELDS)} or a metric's name, got {sort!r}"
            )
        if not isinstance(descending, bool):
            raise InvalidInputError(f"descending must be true or false, got {descending!r}")
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
            offset=offset,
            sort=sort,
            descending=descending,
        )

    def at(self, production: str | None) -> VersionQuery:
        """This query, with statuses made effective against `production`."""
        return replace(self, production=production)

    def to_params(self) -> dict[str, Any]:
        """URL parameters for `GET /api/versions` (the inverse of `from_params`)."""
        params: dict[str, Any] = {}
        for spec in FILTERS:
            wanted = getattr(self, spec.field)
            if spec.keyed:
                params[spec.param] = [_encoded(spec.subject, k, v) for k, v in wanted.items()]
            elif wanted is not None:
                params[spec.param] = _encoded(spec.subject, None, wanted)
        if self.limit is not None:
            params["limit"] = self.limit
        if self.offset:
            params["offset"] = self.offset
        if not self.newest_first:
            params["sort"] = self.sort
            params["descending"] = "true" if self.descending else "false"
        return params

    def total_of(self, found: int) -> int | None:
        """How many versions match in all, as a page of `found` of them shows it, or None when
        they must be counted: a page that is not full ends the matches, unless it is empty
        past the end or was asked empty (`limit=0`: only the count)."""
        limit = self.limit
        if limit is None or 0 < found < limit or (self.offset == 0 and not found and limit > 0):
            return self.offset + found
        return None

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
        offset: int = 0,
        sort: str = "version",
        descending: bool = True,
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
            offset=offset,
            sort=sort,
            descending=descending,
        )


#: what a filter may test: `metric` (a named metric's value), `trained` (the training date,
#: else the registration time), `status` (effective: the pointer is the truth), `tag` (the
#: value of a key)
SUBJECTS = ("metric", "trained", "status", "tag")
#: each comparison a filter may make, as Python (which SQLAlchemy columns also answer)
COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "=": operator.eq,
}


@dataclass(frozen=True)
class Filter:
    """One filter of `VersionQuery`: its field, the subject it tests and how it compares.

    A `keyed` field maps a key (the metric's or tag's name) to the value compared with; the
    others hold the value itself, None meaning no filter. A version without the subject (the
    metric or tag absent) never passes.
    """

    field: str
    subject: str
    comparison: str
    keyed: bool
    #: its URL parameter (`GET /api/versions`), repeated for a keyed one
    param: str


#: every filter of a listing, the one statement of what each field means
FILTERS = (
    Filter("min_metrics", "metric", ">=", keyed=True, param="min"),
    Filter("max_metrics", "metric", "<=", keyed=True, param="max"),
    Filter("trained_after", "trained", ">=", keyed=False, param="trained_after"),
    Filter("trained_before", "trained", "<=", keyed=False, param="trained_before"),
    Filter("status", "status", "=", keyed=False, param="status"),
    Filter("tags", "tag", "=", keyed=True, param="tag"),
)
#: the fields of `VersionQuery` that are not filters (page, order, the effective-status context)
NOT_FILTERS = frozenset({"limit", "offset", "sort", "descending", "production"})


@dataclass(frozen=True)
class Condition:
    """One test a query makes: `subject` (at `key`, for a metric or tag) `comparison` `value`."""

    subject: str
    comparison: str
    key: str | None
    value: Any


def conditions(query: VersionQuery) -> Iterator[Condition]:
    """Every test `query` makes, in `FILTERS`' order; a version must pass them all."""
    for spec in FILTERS:
        wanted = getattr(query, spec.field)
        if spec.keyed:
            for key, value in wanted.items():
                yield Condition(spec.subject, spec.comparison, key, value)
        elif wanted is not None:
            yield Condition(spec.subject, spec.comparison, None, wanted)


def _encoded(subject: str, key: str | None, value: Any) -> str:
    """One filter term as its URL parameter's value (`from_params` reads it back)."""
    if subject == "metric":
        return f"{key}:{value!r}"
    if subject == "tag":
        return f"{key}={value}"
    if subject == "trained":
        return iso_utc(value)
    return str(value)


def subject_value(meta: Mapping[str, Any], subject: str, key: str | None) -> Any:
    """What one version's metadata holds for a subject (None: it holds none)."""
    if subject == "metric":
        return (meta.get("metrics") or {}).get(key)
    if subject == "trained":  # an undated version raises: reading it is the error to report
        return parse_timestamp(meta.get("training_date") or meta.get("registered_at"))
    if subject == "status":
        return meta.get("deployment_status")
    if subject == "tag":
        return None if key is None else tags_of(meta).get(key)
    raise ValueError(f"no filter subject {subject!r}; the subjects are {', '.join(SUBJECTS)}")


def matches(meta: Mapping[str, Any], query: VersionQuery) -> bool:
    """Whether one version's metadata (status already made effective) passes `query`."""
    for test in conditions(query):
        value = subject_value(meta, test.subject, test.key)
        if value is None or not COMPARISONS[test.comparison](value, test.value):
            return False
    return True


def sort_value(meta: Mapping[str, Any], query: VersionQuery) -> Any:
    """What `query` orders `meta` by (status already effective); None when it has none."""
    if query.sort == "version":
        return parse_version(meta["version"])
    if query.sort in ("status", "trained"):
        try:
            return subject_value(meta, query.sort, None)
        except InvalidInputError:
            return None
    value = subject_value(meta, "metric", query.sort)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def ordered(found: Sequence[Mapping[str, Any]], query: VersionQuery) -> list[Any]:
    """`found` (every match) in `query`'s order, then its page (`offset`, `limit`).

    The one Python statement of the order the SQL backends push down: missing values last,
    ties newest first.
    """
    newest = sorted(found, key=lambda m: parse_version(m["version"]), reverse=True)
    valued = [(sort_value(m, query), m) for m in newest]  # a stable sort keeps ties newest first
    present = sorted(
        (pair for pair in valued if pair[0] is not None),
        key=lambda pair: pair[0],
        reverse=query.descending,
    )
    result = [m for _, m in present] + [m for value, m in valued if value is None]
    end = None if query.limit is None else query.offset + query.limit
    return result[query.offset : end]


def _whole(value: object, what: str) -> None:
    if value is None and what == "limit":
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError(f"{what} must be a whole number, got {value!r}")
    if value < 0:
        raise InvalidInputError(f"{what} must be >= 0, got {value}")


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
