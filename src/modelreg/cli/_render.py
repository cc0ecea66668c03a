"""The rich side of human output; imported only when a person reads the answer.

Tables are designed for 80 columns first: a column that does not fit is left out (and the
table says which, and that `--wide` shows everything) rather than cut to `stat…`. The width
is the terminal's, else `$COLUMNS`, else 80; `--wide` lifts the limit (for a wide pager).
"""

from __future__ import annotations

import errno
import re
from collections.abc import Callable, Sequence

from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from ..metadata import Status

__all__ = [
    "STATUS_STYLES",
    "console",
    "fit_columns",
    "header",
    "left_out",
    "new_table",
    "status_text",
]

_WIDE = 4096
#: rows measured to decide which columns fit (the rest are not wider, as a rule)
_SAMPLE_ROWS = 200
STATUS_STYLES: dict[str, str] = {
    Status.PRODUCTION: "bold green",
    Status.ARCHIVED: "dim",
    Status.REGISTERED: "",
}


class _Console(Console):
    """rich exits 1 on a closed pipe; the CLI's one handler makes that a quiet exit 0."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")


def console(*, wide: bool = False) -> Console:
    """stdout at the terminal's width (or $COLUMNS, else 80); `wide`: no limit at all."""
    return _Console(highlight=False, width=_WIDE if wide else None)


def new_table(title: str | None = None) -> Table:
    """The house style: a header rule and no vertical lines (3 columns of text saved each)."""
    return Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )


def header(name: str, width: int = 10) -> str:
    """A long metric name over lines at its underscores: `direction_` / `accuracy`."""
    lines: list[str] = []
    for part in re.findall(r"[^_]+_*|_+", name):
        if lines and len(lines[-1]) + len(part) <= max(width, len(part)):
            lines[-1] += part
        else:
            lines.append(part)
    return "\n".join(lines)


def fit_columns(
    screen: Console, build: Callable[[Sequence[str], int | None], Table], optional: Sequence[str]
) -> tuple[Table, list[str]]:
    """The table with as many `optional` columns (in order) as fit the screen, and the rest.

    `build(columns, rows)` makes the table with those optional columns and at most `rows`
    rows (None: all); the fitting is measured on a sample so a long list stays quick.
    """
    shown = len(optional)
    while shown > 0:
        sample = build(optional[:shown], _SAMPLE_ROWS)
        natural = Measurement.get(screen, screen.options.update_width(_WIDE), sample)
        if natural.maximum <= screen.width:
            break
        shown -= 1
    return build(optional[:shown], None), list(optional[shown:])


def left_out(names: Sequence[str], what: str) -> str:
    """The line under a table saying what did not fit, and how to see it."""
    listed = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
    return f"Not shown for width: {what} {listed}. --wide shows all, --json everything."


def status_text(status: str) -> Text:
    """`production` stands out (with a star, so it shows without colour too)."""
    label = f"★ {status}" if status == Status.PRODUCTION else status
    return Text(label, style=STATUS_STYLES.get(status, ""))
