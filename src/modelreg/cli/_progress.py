"""Progress bars for copying and hashing artifacts: on stderr, only for people at a terminal."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["MIN_BYTES", "counting_bar", "progress_bar"]

#: below this many bytes a copy is over before a bar would be worth drawing
MIN_BYTES = 4 * 1024 * 1024


@contextlib.contextmanager
def progress_bar(
    description: str, total: int, *, enabled: bool = True
) -> Iterator[Callable[[int], None] | None]:
    """A callback advancing a rich bar on stderr, or None (no bar: small, quiet, or no TTY)."""
    if not enabled or total < MIN_BYTES or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import DownloadColumn, TransferSpeedColumn

    with _bar(DownloadColumn(), TransferSpeedColumn()) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)


@contextlib.contextmanager
def counting_bar(
    description: str, *, enabled: bool = True
) -> Iterator[Callable[[int, int], None] | None]:
    """A `(done, total)` callback for work counted in items (versions verified), or None."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import MofNCompleteColumn

    with _bar(MofNCompleteColumn()) as bar:
        task = bar.add_task(description, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


@contextlib.contextmanager
def _bar(*middle: Any) -> Iterator[Any]:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("{task.description}"), BarColumn(), *middle, TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        yield bar
