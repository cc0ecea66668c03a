"""A listing's statements, compiled once per shape and run on the driver's connection.

A listing's statement is built by `sql_query` (the filters from `query.FILTERS`, the order,
the pointers column) with every value a named parameter. Building it and running it through
SQLAlchemy cost more Python than PostgreSQL took to answer (about 1 ms of a 1.3 ms "latest
10"), so the statement is compiled once per *shape* (what changes its SQL: the sort, the
direction, which filters, the status asked for, deep or not, counted or not) into the driver's
SQL, kept in a bounded cache, and run like the hot reads (`sql_reads.run`: prepared on
PostgreSQL, sqlite3's statement cache on SQLite) with the values of this query. SQLAlchemy's
bind processing is carried over: each parameter's type's processor (SQLite's dates as text)
is taken at compile time and applied to this query's values.

The limit is written into the SQL (it is part of the shape), and a first page has no OFFSET: a
prepared statement with `LIMIT $1` gets a generic plan costed for an unknown number of rows,
which PostgreSQL rejects, re-planning the listing on every call (~0.3-0.5 ms of a 1 ms page at
1,000 versions). With the limit known, PostgreSQL settles on one generic plan for statements
whose values do not change the best plan, and keeps planning per call those whose values do
(a date range, a status): forcing generic plans everywhere (`plan_cache_mode`) was measured,
and made `status="registered"` with a date filter at 100,000 versions 3.7 -> 115 ms.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

from ..query import conditions
from ..versions import PRODUCTION, IndexedMetadata
from .base import VersionQuery, effective_status
from .sql_query import (
    filter_values,
    metric_counts_of,
    model_is,
    pointers_json,
    production_in_sql,
    version_filters,
    version_order,
)
from .sql_reads import decoded, json_object, run
from .sql_schema import versions

__all__ = [
    "SHAPES",
    "PageRow",
    "ShapeCache",
    "SqlListings",
    "count_matching",
    "lazy_metadata",
    "listed_metadata",
    "page_rows",
    "pointers_of",
]

_T = TypeVar("_T")
#: an offset past which a page may be read from the other end of its order
_FAR = 1000
#: sorts that name a column (any other sort is a metric's name, a parameter)
_COLUMN_SORTS = ("version", "trained", "status")
#: a listed version's metadata as JSON text, whatever the column's type (`json`, `jsonb`):
#: the driver hands it over as it came, and a listing decodes only the rows it shows
_META = sa.cast(versions.c.meta, sa.Text).label("meta")


class Compiled(NamedTuple):
    """One shape's statement in the driver's own SQL, and how to bind a query's values."""

    sql: str
    #: the parameters in placeholder order (positional drivers: sqlite3), else None
    order: tuple[str, ...] | None
    #: every parameter's value as compiled (the shape's constants: `SERVED`, ...)
    defaults: dict[str, Any]
    #: SQLAlchemy's bind processor of each parameter that has one (SQLite's datetimes)
    processors: dict[str, Callable[[Any], Any]]

    def params(self, values: dict[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        bound = {**self.defaults, **{k: v for k, v in values.items() if k in self.defaults}}
        for name, process in self.processors.items():
            bound[name] = process(bound[name])
        return bound if self.order is None else tuple(bound[name] for name in self.order)


class ShapeCache:
    """Compiled statements by shape, the least recently used dropped beyond `size`."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._found: OrderedDict[tuple[Any, ...], Compiled] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._found)

    def get(self, dialect: Dialect, shape: tuple[Any, ...], build: Callable[[], Any]) -> Compiled:
        key = (dialect.name, dialect.driver, dialect.server_version_info, *shape)
        with self._lock:
            found = self._found.get(key)
            if found is not None:
                self._found.move_to_end(key)
                return found
        found = _compiled(dialect, build())
        with self._lock:
            self._found[key] = found
            while len(self._found) > self.size:
                self._found.popitem(last=False)
        return found


#: the process's compiled listings (a few dozen shapes in practice: the UI's and the CLI's)
SHAPES = ShapeCache()


def _compiled(dialect: Dialect, statement: Any) -> Compiled:
    """`statement` in the driver's SQL; an IN list of constants (`SERVED`) rendered as one
    parameter per value (`status_1_1`, ...), each processed as its list's parameter is."""
    compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    defaults = dict(compiled.construct_params())
    processors = {}
    for name in defaults:
        bind = compiled.binds.get(name)
        if bind is None:
            bind = compiled.binds.get(name.rsplit("_", 1)[0])
        process = None if bind is None else bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            processors[name] = process
    order = tuple(compiled.positiontup) if compiled.positiontup is not None else None
    return Compiled(compiled.string, order, defaults, processors)


class PageRow(NamedTuple):
    """One listed version as the statement answers it."""

    id: int
    #: the metadata's JSON text (`_META`)
    meta: str
    name: str
    status: str | None
    pointers: Any = None
    total: int | None = None


def _query_shape(query: VersionQuery, with_pointers: bool) -> tuple[Any, ...]:
    """What of `query` changes its SQL (a status filter's value picks its SQL)."""
    tests = tuple(
        (test.subject, test.comparison, test.value if test.subject == "status" else None)
        for test in conditions(query)
    )
    sort = query.sort if query.sort in _COLUMN_SORTS else "metric"
    production = with_pointers or bool(query.production)
    return (with_pointers, production, sort, query.descending, tests)


def _values(model_id: int, query: VersionQuery, **more: Any) -> dict[str, Any]:
    return {
        "model_id": model_id,
        "sort": query.sort,
        "production": query.production,
        **filter_values(query),
        **more,
    }


def page_rows(
    conn: Connection,
    model_id: int,
    query: VersionQuery,
    *,
    with_pointers: bool = False,
    with_total: bool = False,
) -> list[PageRow]:
    """`query`'s page, in its order, in one statement when it can.

    `with_pointers`: production is read by the statement itself (not `query.production`), and
    each row carries every pointer of the model (`pointers`: {channel: version}), so a listing
    and the channels it labels its versions with are one round trip, as of one moment.
    `with_total`: each row also carries how many versions match in all (`total`), counted by
    the same statement, so a page and its total are one round trip. The count is a scalar
    subquery (run once, before the page), not `count(*) OVER ()`: a window would carry every
    matching row, metadata and all, to the end of the scan, where the page stops at its limit.

    A page past the middle is read from the other end (the reversed order's first rows), as a
    database sorts the first rows of an order cheaply and the rows after 99,950 others dearly;
    a page far from both ends has its ids sorted first and its rows read after, as sorting
    whole metadata rows to skip 50,000 of them takes seconds, and sorting ids milliseconds.
    """
    offset, limit, reverse = query.offset, query.limit, False
    total = None
    if limit is not None and offset > _FAR:
        total = count_matching(conn, model_id, query, with_pointers=with_pointers)
        if offset + limit > total // 2:
            offset, limit = max(0, total - offset - limit), max(0, min(limit, total - offset))
            reverse = True
    deep = offset > _FAR
    counted = with_total and total is None and not deep
    first = offset == 0
    shape = ("page", reverse, deep, counted, limit, first, *_query_shape(query, with_pointers))

    def build() -> Any:
        current = production_in_sql(model_id) if with_pointers else None
        ordered, joins = version_order(query, reverse=reverse, current=current)
        wanted = _wanted(conn, model_id, with_pointers)
        if counted:  # its own FROM: never correlated with the page's rows
            total = _count_select(model_id, query, with_pointers).scalar_subquery()
            wanted = (*wanted, total.correlate(None).label("total"))
        select = sa.select(*((versions.c.id,) if deep else wanted)).select_from(joins)
        select = select.where(model_is(model_id), *version_filters(query, current))
        select = select.order_by(*ordered)
        if not first:
            select = select.offset(sa.bindparam("offset", offset))
        if limit is not None:  # written in: a plan for "the first 10" is one for 10 rows
            select = select.limit(sa.literal_column(str(int(limit))))
        return select

    statement = SHAPES.get(conn.dialect, shape, build)
    values = _values(model_id, query, offset=offset, limit=limit)
    found = run(conn, statement.sql, statement.params(values))
    if deep:
        rows = _by_id(conn, model_id, [row[0] for row in found], with_pointers)
    elif counted and not with_pointers:  # (id, meta, name, status, total)
        rows = [PageRow(row[0], row[1], row[2], row[3], None, row[4]) for row in found]
    else:
        rows = [PageRow(*row) for row in found]
    if total is not None:
        rows = [row._replace(total=total) for row in rows]
    return rows[::-1] if reverse else rows


def _wanted(conn: Connection, model_id: int, with_pointers: bool) -> tuple[Any, ...]:
    wanted: tuple[Any, ...] = (versions.c.id, _META, versions.c.name, versions.c.status)
    if with_pointers:
        wanted = (*wanted, pointers_json(conn.dialect, model_id))
    return wanted


def _by_id(conn: Connection, model_id: int, ids: list[int], with_pointers: bool) -> list[PageRow]:
    """The rows of `ids`, in that order (a far page's second step; one deleted meanwhile is
    left out)."""
    wanted = _wanted(conn, model_id, with_pointers)
    found = {
        row.id: PageRow(*row)
        for start in range(0, len(ids), 500)
        for row in conn.execute(
            sa.select(*wanted).where(versions.c.id.in_(ids[start : start + 500]))
        )
    }
    return [found[i] for i in ids if i in found]


def count_matching(
    conn: Connection, model_id: int, query: VersionQuery, *, with_pointers: bool = False
) -> int:
    """How many of the model's versions pass `query`'s filters (`with_pointers`: production
    read by the statement, as `page_rows` does)."""
    shape = ("count", *_query_shape(query, with_pointers))
    statement = SHAPES.get(
        conn.dialect, shape, lambda: _count_select(model_id, query, with_pointers)
    )
    rows = run(conn, statement.sql, statement.params(_values(model_id, query)))
    return int(rows[0][0])


def _count_select(model_id: int, query: VersionQuery, with_pointers: bool) -> Any:
    current = production_in_sql(model_id) if with_pointers else None
    return sa.select(sa.func.count()).where(model_is(model_id), *version_filters(query, current))


def listed_metadata(row: PageRow, production: str | None) -> dict[str, Any]:
    """A listed row's metadata with its status made effective against `production`."""
    meta = decoded(row.meta, row.name)  # a dict of this row's own, as every read makes one
    meta["deployment_status"] = effective_status(row.status, row.name, production)
    return meta


def lazy_metadata(row: PageRow, production: str | None) -> IndexedMetadata:
    """`listed_metadata`, its text decoded when first read (by `decoded`, so a row that is not
    a JSON object raises the same `CorruptVersionError`): a listing's rows decode only what is
    shown, and a page of ten ~1 KB documents was most of a listing's Python."""
    status = effective_status(row.status, row.name, production)
    return IndexedMetadata(row.name, status, row.meta, decoded)


def pointers_of(row: PageRow) -> dict[str, str | None]:
    """The pointers a `with_pointers` row carries (SQLite answers them as JSON text)."""
    found = row.pointers
    if isinstance(found, str | bytes):
        found = json_object(found, "the model's pointers")
    return dict(found or {})


class SqlListings:
    """`SqlBackend`'s listings: filters, order and page, and the counts, run in the database."""

    def _fetch(self, read: Callable[[Connection, int], _T], absent: _T) -> _T:
        raise NotImplementedError  # `SqlBackend._fetch`: a reading connection and the model

    def query(self, query: VersionQuery) -> list[dict[str, Any]]:
        """Metric, date, status and tag filters, the order and the page run in the database.

        Compiled once per shape, how a far page stays cheap: `sql_listing.page_rows`.
        """
        none: list[Any] = []
        rows = self._fetch(lambda conn, model_id: page_rows(conn, model_id, query), none)
        return [listed_metadata(row, query.production) for row in rows]

    def query_with_pointers(
        self, query: VersionQuery
    ) -> tuple[list[IndexedMetadata], dict[str, str | None]]:
        """One statement: the page, production read in it, and every pointer on each row
        (an empty page answers no pointers: there is no version to label). Each version's
        metadata stays its JSON text until read (`lazy_metadata`)."""
        none: list[Any] = []
        rows = self._fetch(
            lambda conn, model_id: page_rows(conn, model_id, query, with_pointers=True), none
        )
        found = pointers_of(rows[0]) if rows else {}
        return [lazy_metadata(row, found.get(PRODUCTION)) for row in rows], found

    def query_with_total(
        self, query: VersionQuery
    ) -> tuple[Sequence[Mapping[str, Any]], dict[str, str | None], int]:
        """One statement: `query_with_pointers`' page, and the number of matches counted in
        it when the page has a limit (a second only for an empty page past the end, which
        carries no count); a page without one is every match."""

        def read(conn: Connection, model_id: int) -> tuple[list[PageRow], int]:
            if query.limit == 0:
                return [], count_matching(conn, model_id, query, with_pointers=True)
            limited = query.limit is not None
            rows = page_rows(conn, model_id, query, with_pointers=True, with_total=limited)
            total = rows[0].total if rows and limited else query.total_of(len(rows))
            if total is None:
                total = count_matching(conn, model_id, query, with_pointers=True)
            return rows, int(total)

        nothing: tuple[list[PageRow], int] = ([], 0)
        rows, total = self._fetch(read, nothing)
        found = pointers_of(rows[0]) if rows else {}
        return [lazy_metadata(row, found.get(PRODUCTION)) for row in rows], found, total

    def count(self, query: VersionQuery) -> int:
        return self._fetch(lambda conn, model_id: count_matching(conn, model_id, query), 0)

    def metric_counts(self) -> dict[str, int]:
        return self._fetch(metric_counts_of, {})
