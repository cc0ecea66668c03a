"""A channel's pointer moves read newest first from an index, a page at a time.

An argument-free rollback needs the last few moves of one channel, not the model's audit log:
`ix_modelreg_events_channel` (model_id, channel, id) walks that channel's events backwards,
so a rollback costs the same at 1,000 versions as at 100,000. A recovered move (`verify
--repair`) takes effect where its `details.before` says, which only the whole log can place:
a channel that has one (the partial index `ix_modelreg_events_recovered` answers in the first
page's statement) is read as the base class does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from sqlalchemy.engine import Connection

from .._json_text import loads
from ..events import POINTER_ACTIONS, RECOVER, Event, pointer_history
from .sql_reads import fetch

__all__ = ["SqlHistory"]

_T = TypeVar("_T")

_ACTIONS = ", ".join(f"'{action}'" for action in sorted(POINTER_ACTIONS))
#: one page of the channel's moves older than an event id
_PAGE = (
    "SELECT id, body FROM modelreg_events WHERE model_id = %s AND channel = %s"
    f" AND action IN ({_ACTIONS}) AND id < %s ORDER BY id DESC LIMIT %s"
)
#: the first page, and a row of NULLs first when the channel has a recovered move
_FIRST_PAGE = (
    "SELECT NULL, NULL WHERE EXISTS (SELECT 1 FROM modelreg_events WHERE model_id = %s"
    f" AND channel = %s AND action = '{RECOVER}')"
    f" UNION ALL SELECT id, body FROM ({_PAGE}) AS page"
)
#: beyond every event id (a BIGINT on PostgreSQL, an INTEGER on SQLite)
_NEWEST = 2**63 - 1
#: rows of the first page (a rollback after promotions needs 2, one of a rollback 4), and how
#: much larger each next page is
_FIRST, _GROWTH = 16, 16


class SqlHistory:
    """`SqlBackend.pointer_moves`: the channel's index, read back until the caller stops."""

    def _fetch(self, read: Callable[[Connection, int], _T], absent: _T) -> _T:
        raise NotImplementedError  # `SqlBackend._fetch`: a reading connection and the model

    def read_events(self) -> list[Event]:
        raise NotImplementedError  # `SqlBackend.read_events`

    def pointer_moves(self, channel: str) -> Iterator[Event]:
        """Pages of 16, 256, 4,096 ... moves, each read when the one before is used up."""
        rows = self._page(channel, None, _FIRST)
        if any(event_id is None for event_id, _ in rows):
            yield from reversed(pointer_history(self.read_events(), channel))
            return
        size = _FIRST
        while rows:
            yield from (Event.from_dict(_body(body)) for _, body in rows)
            if len(rows) < size:
                return
            size *= _GROWTH
            rows = self._page(channel, int(rows[-1][0]), size)

    def _page(self, channel: str, older: int | None, size: int) -> list[tuple[Any, ...]]:
        """`size` moves older than event `older`, newest first; with `older` None, the newest
        and a row of NULLs when the channel has a recovered move."""

        def page(conn: Connection, model_id: int) -> list[tuple[Any, ...]]:
            if older is not None:
                return fetch(conn, _PAGE, model_id, channel, older, size)
            rows = fetch(conn, _FIRST_PAGE, model_id, channel, model_id, channel, _NEWEST, size)
            return sorted(rows, key=lambda row: (row[0] is not None, -(row[0] or 0)))

        none: list[tuple[Any, ...]] = []
        return self._fetch(page, none)


def _body(body: Any) -> Any:
    """An event's JSON column: psycopg decodes it itself, sqlite3 hands over the text."""
    return loads(body) if isinstance(body, str | bytes) else body
