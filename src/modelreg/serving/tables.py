"""A version's CSV table as JSON columns for the web UI's charts, in bounded memory.

However large the table, at most `MAX_TABLE_ROWS` rows, evenly sampled, and at most
`MAX_TABLE_BYTES` of it read.
"""

from __future__ import annotations

import csv
import io
from typing import IO, Any

from ..errors import CorruptVersionError

__all__ = ["read_table"]

MAX_TABLE_ROWS = 5000
#: a table is sampled from at most this many of its bytes (the charts need no more)
MAX_TABLE_BYTES = 256 << 20


def read_table(handle: IO[bytes]) -> dict[str, Any]:
    """Columns and at most `MAX_TABLE_ROWS` rows, evenly sampled as the file streams by.

    Memory stays bounded whatever the table's size: every `step`-th row is kept, and when
    twice the limit is held, every other one is dropped and the step doubled.
    """
    bounded = io.BufferedReader(_Bounded(handle, MAX_TABLE_BYTES))
    text = io.TextIOWrapper(bounded, encoding="utf-8", newline="")
    reader = csv.reader(text)
    try:
        columns = next(reader, [])
        kept: list[list[str]] = []
        step = 1
        for index, row in enumerate(reader):
            if index % step == 0:
                kept.append(row)
                if len(kept) > 2 * MAX_TABLE_ROWS:
                    kept, step = kept[::2], step * 2
        while len(kept) > MAX_TABLE_ROWS:
            kept, step = kept[::2], step * 2
    except (csv.Error, UnicodeDecodeError) as exc:
        raise CorruptVersionError(f"the table is not a readable CSV file: {exc}") from None
    truncated = step > 1 or handle.read(1) != b""
    rows = [[_number(cell) for cell in row] for row in kept]
    return {"columns": columns, "rows": rows, "truncated": truncated}


class _Bounded(io.RawIOBase):
    """At most `limit` bytes of a stream."""

    def __init__(self, raw: IO[bytes], limit: int) -> None:
        self._raw, self._left = raw, limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._left <= 0:
            return 0
        data = self._raw.read(min(len(buffer), self._left))
        buffer[: len(data)] = data
        self._left -= len(data)
        return len(data)


def _number(cell: str) -> Any:
    try:
        value = float(cell)
    except ValueError:
        return cell
    return value if value == value and abs(value) != float("inf") else None
