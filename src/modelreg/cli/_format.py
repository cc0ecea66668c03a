"""Numbers, sizes and times as people read them ("3 hours ago", "4.2 MB")."""

from __future__ import annotations

from datetime import datetime

from ..metadata import parse_timestamp, utc_now

__all__ = ["human_bytes", "number", "relative_time"]

_UNITS = (("year", 365 * 86400), ("month", 30 * 86400), ("day", 86400), ("hour", 3600))
_SMALL = (("minute", 60), ("second", 1))


def relative_time(stamp: str | None, now: datetime | None = None) -> str:
    """`3 hours ago`, `in 2 days`, `just now`; an empty or unreadable stamp gives ``-``."""
    if not stamp:
        return "-"
    try:
        moment = parse_timestamp(stamp)
    except ValueError:
        return str(stamp)
    seconds = ((now or utc_now()) - moment).total_seconds()
    ago, seconds = seconds >= 0, abs(seconds)
    if seconds < 10:
        return "just now"
    for unit, size in (*_UNITS, *_SMALL):
        if seconds >= size:
            count = int(seconds // size)
            text = f"{count} {unit}{'' if count == 1 else 's'}"
            return f"{text} ago" if ago else f"in {text}"
    return "just now"  # pragma: no cover - seconds >= 10 always matches a unit


def human_bytes(size: int | None) -> str:
    """1536 -> `1.5 KB` (powers of 1024, as file managers show them)."""
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover


def number(value: float | None) -> str:
    """A metric value, short but exact enough to tell versions apart."""
    return "-" if value is None else f"{value:.6g}"
