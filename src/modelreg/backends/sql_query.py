"""`list_versions` filters as SQL, so metric, date, status and tag filters run in the database.

The filters are not written here: `version_filters` compiles `query.FILTERS` (the table the
Python matcher and the folder index read too), knowing only how each subject reads from the
catalog (`_SUBJECTS`); the comparison is `query.COMPARISONS`' own operator, which SQLAlchemy
columns answer as SQL. Every value is a named parameter (`filter_values` gives them for a
query), so `sql_listing` compiles a statement once per query shape and runs it with any values.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..metadata import SERVED, Status
from ..query import COMPARISONS, Condition, conditions
from ..versions import PRODUCTION
from .base import VersionQuery
from .sql_schema import pointers, version_metrics, version_tags, versions

__all__ = [
    "filter_values",
    "metric_counts_of",
    "model_is",
    "naive_utc",
    "pointers_json",
    "production_in_sql",
    "version_filters",
    "version_order",
]


def version_filters(query: VersionQuery, current: Any = None) -> list[Any]:
    """WHERE clauses over `versions` for everything in `query` but the limit and order.

    `current` is the condition "this row is the production version" (`production_in_sql`);
    without one, `query.production` names it.
    """
    return [
        _SUBJECTS[test.subject](test, f"f{i}", query, current)
        for i, test in enumerate(conditions(query))
    ]


def filter_values(query: VersionQuery) -> dict[str, Any]:
    """The values of `version_filters`' named parameters for `query`: what a statement
    compiled once for `query`'s shape (`sql_listing`) is run with."""
    values: dict[str, Any] = {}
    for i, test in enumerate(conditions(query)):
        if test.subject in _BOUND:
            values[f"f{i}_key"] = test.key
            values[f"f{i}_value"] = _BOUND[test.subject](test.value)
    return values


def _key(test: Condition, name: str) -> Any:
    return sa.bindparam(f"{name}_key", test.key)


def _value(test: Condition, name: str) -> Any:
    return sa.bindparam(f"{name}_value", _BOUND[test.subject](test.value))


def _metric(test: Condition, name: str, query: VersionQuery, current: Any) -> Any:
    """The version has metric `key`, and its value compares (a missing one fails)."""
    value = version_metrics.c.value
    return sa.exists().where(
        version_metrics.c.version_id == versions.c.id,
        version_metrics.c.name == _key(test, name),
        COMPARISONS[test.comparison](value, _value(test, name)),
    )


def _trained(test: Condition, name: str, query: VersionQuery, current: Any) -> Any:
    return COMPARISONS[test.comparison](versions.c.training_date, _value(test, name))


def _tag(test: Condition, name: str, query: VersionQuery, current: Any) -> Any:
    return sa.exists().where(
        version_tags.c.version_id == versions.c.id,
        version_tags.c.key == _key(test, name),
        COMPARISONS[test.comparison](version_tags.c.value, _value(test, name)),
    )


def _status(test: Condition, name: str, query: VersionQuery, current: Any) -> Any:
    """`effective_status` as SQL: the production pointer overrides the stored status (the
    value picks the SQL, so it is part of a compiled statement's shape, not a parameter)."""
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
#: subjects whose key and value are parameters, and the value as bound ("status" has none)
_BOUND: dict[str, Any] = {"metric": float, "trained": lambda v: naive_utc(v), "tag": str}


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
            sa.and_(
                sorted_by.c.version_id == versions.c.id,
                sorted_by.c.name == sa.bindparam("sort", query.sort),
            ),
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
        .where(pointers.c.model_id == _model(model_id), pointers.c.channel == PRODUCTION)
        .scalar_subquery()
    )
    return sa.func.coalesce(versions.c.name == named, sa.false())


def _current(query: VersionQuery, current: Any) -> Any:
    if current is not None:
        return current
    if not query.production:
        return sa.false()
    return versions.c.name == sa.bindparam("production", query.production)


def model_is(model_id: int) -> Any:
    """The condition "this row is a version of the model", its id a named parameter."""
    return versions.c.model_id == _model(model_id)


def _model(model_id: int) -> Any:
    """The model's id, one named parameter however often a statement names it."""
    return sa.bindparam("model_id", model_id)


def pointers_json(dialect: Any, model_id: int) -> Any:
    """Every pointer of the model as one JSON object's text, a column (evaluated once per
    statement; as text, so that only the first row's copy is decoded, `sql_listing.pointers_of`)."""
    build = sa.func.json_object_agg if dialect.name == "postgresql" else sa.func.json_group_object
    agg = sa.select(build(pointers.c.channel, pointers.c.version)).where(
        pointers.c.model_id == _model(model_id)
    )
    return sa.cast(agg.scalar_subquery(), sa.Text).label("pointers")


def naive_utc(moment: datetime) -> datetime:
    """Columns hold naive UTC (SQLite has no time zones); compare like with like."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment
