"""The SQL a folder registry's index answers listings with: one page, a count, the filters.

`local_index.VersionIndex` holds the connection and keeps the rows in step with the folder;
this module only reads: a page of `query` is its names chosen in order first (filters as SQL
over the `versions`, `metrics` and `tags` tables, statuses effective against the production
pointer), then their listed fields.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from ..metadata import SERVED, Status
from ..query import Condition, VersionQuery, conditions

__all__ = ["Listed", "count_sql", "micros", "page"]

#: (name, file stat, stored status, listed fields as JSON) of one version of a page
Listed = tuple[str, str | None, str | None, str]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_WAS_PRODUCTION = "(" + ", ".join(f"'{s}'" for s in SERVED) + ")"


def micros(moment: datetime) -> int:
    """A moment as the index stores it: microseconds since the epoch."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


def page(conn: sqlite3.Connection, query: VersionQuery) -> list[Listed]:
    """(name, stat, status, listed) of one page of `query`, in its order.

    The names are chosen first and their listed fields read after: sorting the whole rows to
    skip 99,950 of them cost seconds, sorting names costs milliseconds. A page past the middle
    is read from the other end (the reversed order's first rows, read backwards). Where there
    is nothing to sort, filter or skip (every version, newest first: `list all`), the rows are
    read in one statement along the order's index.
    """
    offset, limit, reverse = query.offset, query.limit, False
    if query.sort == "version" and offset == 0 and next(conditions(query), None) is None:
        sql, params = _select(query, 0, limit, reverse=False, columns=_ROW_COLUMNS)
        return conn.execute(sql, params).fetchall()
    if limit is not None and offset > _FAR:
        sql, params = count_sql(query)
        total = conn.execute(sql, params).fetchone()[0]
        if offset + limit > total // 2:
            offset, limit, reverse = (
                max(0, total - offset - limit),
                max(0, min(limit, total - offset)),
                True,
            )
    sql, params = _select(query, offset, limit, reverse=reverse)
    names = [row[0] for row in conn.execute(sql, params)]
    if reverse:
        names.reverse()
    found: dict[str, Listed] = {}
    for start in range(0, len(names), 500):
        chunk = names[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        rows = conn.execute(f"SELECT {_ROW_COLUMNS} FROM versions v WHERE name IN ({marks})", chunk)
        found.update((row[0], row) for row in rows)
    return [found[name] for name in names if name in found]


def _select(
    query: VersionQuery, offset: int, limit: int | None, *, reverse: bool, columns: str = "v.name"
) -> tuple[str, list[Any]]:
    """The names (or `columns`) of one page of `query`: its filters, then the order of
    `query.ordered`."""
    where, params = _where(query)
    join_params: list[Any] = []
    sql = f"SELECT {columns} FROM versions v"
    if query.sort_metric is not None:  # missing ones last
        sql += " LEFT JOIN metrics s ON s.name = v.name AND s.key = ?"
        join_params.append(query.sort)
    if where:
        sql += " WHERE " + " AND ".join(where)
    newest = "ASC" if reverse else "DESC"
    if query.sort == "version":
        way = "DESC" if query.descending != reverse else "ASC"
        sql += f" ORDER BY v.ts {way}, v.counter {way}"
        order_params: list[Any] = []
    else:
        value = _ORDER_VALUE.get(query.sort, "s.value")
        way = "DESC" if query.descending != reverse else "ASC"
        missing = "DESC" if reverse else "ASC"
        sql += (
            f" ORDER BY {value} IS NULL {missing}, {value} {way}, v.ts {newest}, v.counter {newest}"
        )
        order_params = [query.production] * 2 if query.sort == "status" else []
    sql += " LIMIT ? OFFSET ?"
    return sql, [*join_params, *params, *order_params, -1 if limit is None else limit, offset]


def count_sql(query: VersionQuery) -> tuple[str, list[Any]]:
    where, params = _where(query)
    sql = "SELECT count(*) FROM versions v"
    return (sql + " WHERE " + " AND ".join(where) if where else sql), params


#: the columns of a `Listed` row
_ROW_COLUMNS = "v.name, v.stat, v.status, v.listed"
#: an offset past which a page may be read from the other end of its order
_FAR = 1000
#: the SQL value each field sorts by (status: effective, the production name bound); a
#: metric's is `s.value`, from the outer join on the sorted metric
_ORDER_VALUE = {
    "trained": "v.trained",
    "status": (
        "(CASE WHEN v.name IS ? THEN 'production' "
        f"WHEN v.status IN {_WAS_PRODUCTION} THEN 'archived' ELSE 'registered' END)"
    ),
}


def _where(query: VersionQuery) -> tuple[list[str], list[Any]]:
    """WHERE conditions for `query`'s filters: `query.FILTERS` compiled, statuses effective."""
    where: list[str] = []
    params: list[Any] = []
    for test in conditions(query):
        sql, bound = _SUBJECTS[test.subject](test, query)
        where.append(sql)
        params += bound
    return where, params


#: each comparison of `query.COMPARISONS`, as SQLite spells it
_SQL_COMPARISONS = {">=": ">=", "<=": "<=", "=": "="}


def _metric(test: Condition, query: VersionQuery) -> tuple[str, list[Any]]:
    op = _SQL_COMPARISONS[test.comparison]
    sql = f"EXISTS (SELECT 1 FROM metrics m WHERE m.name = v.name AND m.key = ? AND m.value {op} ?)"
    return sql, [test.key, test.value]


def _tag(test: Condition, query: VersionQuery) -> tuple[str, list[Any]]:
    op = _SQL_COMPARISONS[test.comparison]
    sql = f"EXISTS (SELECT 1 FROM tags t WHERE t.name = v.name AND t.key = ? AND t.value {op} ?)"
    return sql, [test.key, test.value]


def _trained(test: Condition, query: VersionQuery) -> tuple[str, list[Any]]:
    return f"v.trained {_SQL_COMPARISONS[test.comparison]} ?", [micros(test.value)]


def _status(test: Condition, query: VersionQuery) -> tuple[str, list[Any]]:
    """The effective status: the production pointer overrides the stored one."""
    if test.comparison != "=":
        raise ValueError(f"a status is only compared with '=', not {test.comparison!r}")
    if test.value == Status.PRODUCTION:
        return "v.name = ?", [query.production]
    if test.value == Status.ARCHIVED:
        return f"v.name IS NOT ? AND v.status IN {_WAS_PRODUCTION}", [query.production]
    never_live = f"(v.status IS NULL OR v.status NOT IN {_WAS_PRODUCTION})"
    return f"v.name IS NOT ? AND {never_live}", [query.production]


#: how each filter subject reads from the index (`query.SUBJECTS`)
_SUBJECTS = {"metric": _metric, "trained": _trained, "status": _status, "tag": _tag}
