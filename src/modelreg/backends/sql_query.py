"""`list_versions` filters as SQL, so metric, date, status and tag filters run in the database.

The filters are not written here: `version_filters` compiles `query.FILTERS` (the table the
Python matcher and the folder index read too), knowing only how each subject reads from the
catalog (`_SUBJECTS`); the comparison is `query.COMPARISONS`' own operator, which SQLAlchemy
columns answer as SQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..metadata import SERVED, Status
from ..query import COMPARISONS, Condition, conditions
from ..versions import PRODUCTION
from .base import VersionQuery, effective_status
from .sql_schema import pointers, version_metrics, version_tags, versions

__all__ = [
    "count_matching",
    "listed_metadata",
    "metric_counts_of",
    "naive_utc",
    "page_rows",
    "production_in_sql",
    "version_filters",
    "version_order",
]

#: an offset past which a page may be read from the other end of its order
_FAR = 1000


def version_filters(query: VersionQuery, current: Any = None) -> list[Any]:
    """WHERE clauses over `versions` for everything in `query` but the limit and order.

    `current` is the condition "this row is the production version" (`production_in_sql`);
    without one, `query.production` names it.
    """
    return [_SUBJECTS[test.subject](test, query, current) for test in conditions(query)]


def _metric(test: Condition, query: VersionQuery, current: Any) -> Any:
    """The version has metric `key`, and its value compares (a missing one fails)."""
    value = version_metrics.c.value
    return sa.exists().where(
        version_metrics.c.version_id == versions.c.id,
        version_metrics.c.name == test.key,
        COMPARISONS[test.comparison](value, float(test.value)),
    )


def _trained(test: Condition, query: VersionQuery, current: Any) -> Any:
    return COMPARISONS[test.comparison](versions.c.training_date, naive_utc(test.value))


def _tag(test: Condition, query: VersionQuery, current: Any) -> Any:
    return sa.exists().where(
        version_tags.c.version_id == versions.c.id,
        version_tags.c.key == test.key,
        COMPARISONS[test.comparison](version_tags.c.value, test.value),
    )


def _status(test: Condition, query: VersionQuery, current: Any) -> Any:
    """`effective_status` as SQL: the production pointer overrides the stored status."""
    if test.comparison != "=":
        raise ValueError(f"a status is only compared with '=', not {test.comparison!r}")
    current = _current(query, current)
    was_live = versions.c.status.in_(SERVED)
    if test.value == Status.PRODUCTION:
        return current
    if test.value == Status.ARCHIVED:
        return sa.and_(sa.not_(current), was_live)
    return sa.and_(sa.not_(current), sa.not_(was_live))


#: how each filter subject reads from the catalog (`query.SUBJECTS`)
_SUBJECTS = {"metric": _metric, "trained": _trained, "status": _status, "tag": _tag}


def page_rows(
    conn: Connection, model_id: int, query: VersionQuery, *, with_pointers: bool = False
) -> list[Any]:
    """(id, meta, name, status) of `query`'s page, in its order, in one statement when it can.

    `with_pointers`: production is read by the statement itself (not `query.production`), and
    each row carries every pointer of the model (`pointers`: {channel: version}), so a listing
    and the channels it labels its versions with are one round trip, as of one moment.

    A page past the middle is read from the other end (the reversed order's first rows), as a
    database sorts the first rows of an order cheaply and the rows after 99,950 others dearly;
    a page far from both ends has its ids sorted first and its rows read after, as sorting
    whole metadata rows to skip 50,000 of them takes seconds, and sorting ids milliseconds.
    """
    offset, limit, reverse = query.offset, query.limit, False
    current = production_in_sql(model_id) if with_pointers else None
    if limit is not None and offset > _FAR:
        total = count_matching(conn, model_id, query, current)
        if offset + limit > total // 2:
            offset, limit = max(0, total - offset - limit), max(0, min(limit, total - offset))
            reverse = True
    ordered, joins = version_order(query, reverse=reverse, current=current)
    wanted: tuple[Any, ...] = (versions.c.id, versions.c.meta, versions.c.name, versions.c.status)
    if with_pointers:
        wanted = (*wanted, _pointers_json(conn, model_id))
    deep = offset > _FAR
    select = sa.select(*((versions.c.id,) if deep else wanted)).select_from(joins)
    select = select.where(versions.c.model_id == model_id, *version_filters(query, current))
    select = select.order_by(*ordered).offset(offset)
    if limit is not None:
        select = select.limit(limit)
    rows = list(conn.execute(select))
    if deep:
        ids = [row.id for row in rows]
        found = {
            row.id: row
            for start in range(0, len(ids), 500)
            for row in conn.execute(
                sa.select(*wanted).where(versions.c.id.in_(ids[start : start + 500]))
            )
        }
        rows = [found[i] for i in ids if i in found]  # one deleted meanwhile is left out
    return rows[::-1] if reverse else rows


def count_matching(
    conn: Connection, model_id: int, query: VersionQuery, current: Any = None
) -> int:
    """How many of the model's versions pass `query`'s filters (`current`: `version_filters`)."""
    select = sa.select(sa.func.count()).where(
        versions.c.model_id == model_id, *version_filters(query, current)
    )
    return int(conn.execute(select).scalar_one())


def metric_counts_of(conn: Connection, model_id: int) -> dict[str, int]:
    """{metric: how many of the model's versions record it}."""
    name = version_metrics.c.name
    select = (
        sa.select(name, sa.func.count())
        .join(versions, versions.c.id == version_metrics.c.version_id)
        .where(versions.c.model_id == model_id)
        .group_by(name)
        .order_by(name)
    )
    return {row[0]: int(row[1]) for row in conn.execute(select)}


def version_order(
    query: VersionQuery, *, reverse: bool = False, current: Any = None
) -> tuple[list[Any], Any]:
    """ORDER BY clauses for `query.ordered`'s order (missing values last, ties newest first),
    and the FROM they need: `versions`, outer-joined to the sorted metric's rows.

    `reverse` turns the whole order around (every key is reversed, and (stamp, counter) is
    unique), so the last page of an order is the first page of its reverse, read backwards.
    """
    source: Any = versions
    if query.sort == "version":
        return _directed(
            [versions.c.stamp, versions.c.counter], query.descending != reverse
        ), source
    if query.sort == "trained":
        value: Any = versions.c.training_date
    elif query.sort == "status":
        value = sa.case(
            (_current(query, current), "production"),
            (versions.c.status.in_(SERVED), "archived"),
            else_="registered",
        )
    else:
        sorted_by = version_metrics.alias("sorted_by")
        source = versions.outerjoin(
            sorted_by,
            sa.and_(sorted_by.c.version_id == versions.c.id, sorted_by.c.name == query.sort),
        )
        value = sorted_by.c.value
    keys = [value.is_(None), *_directed([value], query.descending), versions.c.stamp.desc()]
    keys.append(versions.c.counter.desc())
    if not reverse:
        return keys, source
    flipped = [value.is_(None).desc(), *_directed([value], not query.descending)]
    return [*flipped, versions.c.stamp.asc(), versions.c.counter.asc()], source


def _directed(columns: list[Any], descending: bool) -> list[Any]:
    return [c.desc() if descending else c.asc() for c in columns]


def production_in_sql(model_id: int) -> Any:
    """The condition "this row is the version production points to", read in the statement."""
    named = (
        sa.select(pointers.c.version)
        .where(pointers.c.model_id == model_id, pointers.c.channel == PRODUCTION)
        .scalar_subquery()
    )
    return sa.func.coalesce(versions.c.name == named, sa.false())


def _current(query: VersionQuery, current: Any) -> Any:
    if current is not None:
        return current
    return versions.c.name == query.production if query.production else sa.false()


def _pointers_json(conn: Connection, model_id: int) -> Any:
    """Every pointer of the model as one JSON object, a column (evaluated once per statement)."""
    build = (
        sa.func.json_object_agg if conn.dialect.name == "postgresql" else sa.func.json_group_object
    )
    agg = sa.select(build(pointers.c.channel, pointers.c.version)).where(
        pointers.c.model_id == model_id
    )
    return sa.type_coerce(agg.scalar_subquery(), sa.JSON).label("pointers")


def naive_utc(moment: datetime) -> datetime:
    """Columns hold naive UTC (SQLite has no time zones); compare like with like."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def listed_metadata(row: Any, production: str | None) -> dict[str, Any]:
    """A listed row's metadata with its status made effective against `production`."""
    meta = dict(row.meta)
    meta["deployment_status"] = effective_status(row.status, row.name, production)
    return meta
