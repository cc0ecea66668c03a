"""The rich side of human output; imported only when a person reads the answer."""

from __future__ import annotations

import errno
import sys

from rich.console import Console
from rich.text import Text

from ..metadata import Status

__all__ = ["STATUS_STYLES", "console", "status_text"]

_PIPE_WIDTH = 4096
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


def console() -> Console:
    """stdout; into a pipe or a file nothing is cut short, since no one can widen those."""
    width = None if sys.stdout.isatty() else _PIPE_WIDTH
    return _Console(highlight=False, width=width)


def status_text(status: str) -> Text:
    """`production` stands out (with a star, so it shows without colour too)."""
    label = f"★ {status}" if status == Status.PRODUCTION else status
    return Text(label, style=STATUS_STYLES.get(status, ""))
