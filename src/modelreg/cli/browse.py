"""`modelreg list` and `modelreg show`: find versions, and read one in full."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any

import click

from ..errors import InvalidInputError, VersionNotFoundError
from ..metadata import STATUSES
from ..versions import ModelVersion, version_fields, version_order
from ._common import (
    Output,
    complete_versions,
    emit_json,
    emit_json_rows,
    note,
    open_registry,
    output_options,
    wide_option,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from rich.table import Table

    from ..registry import ModelRegistry
from ._params import METRIC, TAG


def version_row(version: ModelVersion) -> dict[str, Any]:
    """One `list --json` row; the keys are documented in docs/reference/cli.md and kept stable."""
    row = version_fields(version)
    row["path"] = str(row["path"])
    return row


@click.command("list", short_help="List versions, filtered by metrics, dates, status.")
@click.option("--min", "floors", multiple=True, type=METRIC, help="Metric at least (repeat).")
@click.option("--max", "ceilings", multiple=True, type=METRIC, help="Metric at most (repeat).")
@click.option("--after", metavar="DATE", help="Trained at or after this ISO date/time.")
@click.option("--before", metavar="DATE", help="Trained at or before this ISO date/time.")
@click.option("--status", type=click.Choice(STATUSES))
@click.option("--limit", type=click.IntRange(min=0), help="At most this many, newest first.")
@click.option(
    "--strict", is_flag=True, help="Fail (exit 2) when a --min/--max metric is missing anywhere."
)
@wide_option
@click.option("--tag", "tags", multiple=True, type=TAG, help="Has tag KEY=VALUE (repeat: all).")
@output_options
@click.pass_context
def list_versions(
    ctx: click.Context,
    floors: tuple[tuple[str, float], ...],
    ceilings: tuple[tuple[str, float], ...],
    after: str | None,
    before: str | None,
    status: str | None,
    limit: int | None,
    strict: bool,
    wide: bool,
    tags: tuple[tuple[str, str], ...],
    out: Output,
) -> None:
    """List versions, newest first, filtered by metrics, training date, status and tags.

    --json prints a list of objects with the keys version, training_date, registered_at,
    deployment_status, channels, tags, metrics, features, data_range and path. A --min/--max
    metric no version has is an error naming the metrics there are (a typo); one that some
    versions lack is a warning on stderr, and an error with --strict.

    \b
    Example:
      modelreg list --min direction_accuracy=0.52 --max rmse=0.02 --limit 10
      modelreg list --after 2026-01-01 --status archived --json
      modelreg list --tag owner=alice --tag dataset=v3
    """
    registry = open_registry(ctx)
    if floors or ceilings:
        check_metric_names(registry, {n for n, _ in (*floors, *ceilings)}, strict=strict)
    filters: dict[str, Any] = {
        "min_metrics": dict(floors),
        "max_metrics": dict(ceilings),
        "trained_after": after,
        "trained_before": before,
        "status": status,
        "tags": dict(tags),
    }
    if out.json:
        emit_json_rows(version_row(v) for v in paged_versions(registry, limit, filters))
    elif out.quiet:
        for version in paged_versions(registry, limit, filters):
            click.echo(version.version)
    else:
        filtered = [name for name, _ in (*floors, *ceilings)]
        rows = [version_row(v) for v in registry.list_versions(limit=limit, **filters)]
        _print_table(rows, registry.location, first=filtered, wide=wide)


#: the first page of a streamed listing, and the largest (pages double in between)
_FIRST_PAGE, _LARGEST_PAGE = 1024, 4096
#: how far back each page starts, so that versions deleted meanwhile shift nothing past it
_OVERLAP = 64


def paged_versions(
    registry: ModelRegistry, limit: int | None, filters: dict[str, Any]
) -> Iterator[ModelVersion]:
    """`list_versions(limit=limit, **filters)`, newest first, a page at a time: what a listing
    of 100,000 versions holds at once is one page, not the whole list.

    Each page starts a little before where the last one ended and yields only versions older
    than the last one yielded, so a version registered or deleted meanwhile never makes one
    appear twice or go missing; if more than the overlap went, it steps back further. Pages
    double up to a bound: without an index (a read-only folder) each page reads the folder
    up to its end, so few pages keep that cost near a few listings.
    """
    yielded, end, size = 0, 0, _FIRST_PAGE
    last: tuple[str, int] | None = None
    while limit is None or yielded < limit:
        start = max(end - _OVERLAP, 0) if last is not None else 0
        page = registry.list_versions(offset=start, limit=size, **filters)
        while last is not None and start > 0 and not _reaches(page, last):
            start = max(start - size, 0)  # more than the overlap vanished before this page
            page = registry.list_versions(offset=start, limit=size, **filters)
        count = len(page)
        page.reverse()
        while page:  # each row let go once yielded: a page's rows are decoded one at a time
            version = page.pop()
            key = version_order(version.version)
            if last is None or key < last:
                yield version
                last, yielded = key, yielded + 1
                if limit is not None and yielded >= limit:
                    return
        if count < size:
            return
        end, size = start + count, min(size * 2, _LARGEST_PAGE)


def _reaches(page: list[ModelVersion], last: tuple[str, int]) -> bool:
    """Whether `page` starts at or before `last` (newer or the same): nothing was skipped."""
    return bool(page) and not version_order(page[0].version) < last


def check_metric_names(registry: ModelRegistry, names: set[str], *, strict: bool) -> None:
    """A filter on a metric no version has is a typo; one some versions lack, a warning."""
    counts = registry.metric_names()
    total = registry.count_versions()
    known = ", ".join(sorted(counts)) or "none"
    for name in sorted(names):
        have = counts.get(name, 0)
        if have == total:
            continue
        if have == 0:
            close = difflib.get_close_matches(name, list(counts), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InvalidInputError(
                f"no version in {registry.location} has a metric {name!r}{hint}; "
                f"the metrics are: {known}",
                metric=name,
            )
        message = (
            f"{total - have} of {total} versions have no metric {name!r} "
            f"and are left out; the metrics all versions have: "
            + (", ".join(sorted(m for m, c in counts.items() if c == total)) or "none")
        )
        if strict:
            raise InvalidInputError(message + " (--strict)", metric=name)
        note(f"Warning: {message}")


def _print_table(
    rows: list[dict[str, Any]], location: str, *, first: list[str], wide: bool
) -> None:
    """Version, status, trained, then as many metrics as fit (filtered ones first)."""
    from ._format import number, relative_time
    from ._render import console, fit_columns, header, left_out, new_table, status_text

    if not rows:
        click.echo(f"No versions match in {location}.")
        return
    every = sorted({name for row in rows for name in row["metrics"]})
    metrics = [
        *dict.fromkeys(m for m in first if m in every),
        *(m for m in every if m not in first),
    ]

    def build(shown: Sequence[str], limit: int | None) -> Table:
        table = new_table(f"{len(rows)} version(s) in {location}")
        table.add_column("version", no_wrap=True)
        table.add_column("status", no_wrap=True)
        table.add_column("trained", no_wrap=True)
        if wide:
            table.add_column("registered", no_wrap=True)
        for name in shown:
            table.add_column(name if wide else header(name), justify="right", no_wrap=True)
        for row in rows[:limit]:
            aliases = [f"@{c}" for c in row["channels"] if c != "production"]  # ★ says it
            table.add_row(  # as aliases: `[staging]` would be read as markup and vanish
                " ".join([row["version"], *aliases]),
                status_text(row["deployment_status"]),
                relative_time(row["training_date"]),
                *([relative_time(row["registered_at"])] if wide else []),
                *(number(row["metrics"].get(name)) for name in shown),
            )
        return table

    screen = console(wide=wide)
    table, dropped = fit_columns(screen, build, metrics)
    screen.print(table)
    if dropped:
        screen.print(left_out(dropped, "metrics"), style="dim")


@click.command(short_help="Show a version: metadata, files, hashes, status.")
@click.argument("version", shell_complete=complete_versions)
@wide_option
@output_options
@click.pass_context
def show(ctx: click.Context, version: str, wide: bool, out: Output) -> None:
    """Show VERSION (`latest`: production; `@staging`: what a channel holds) in full.

    --json prints the version's metadata.json content plus `channels` and `path`.

    \b
    Example:
      modelreg show 20260126_103000
      modelreg show latest --json
      modelreg show @staging
    """
    registry = open_registry(ctx)
    info = registry.get_version_info(version)
    if info is None:
        raise VersionNotFoundError(registry.describe_missing(version), version=version)
    if out.json:
        emit_json(info)
    elif out.quiet:
        click.echo(info["version"])
    else:
        _print_info(info, wide=wide)


def _print_info(info: dict[str, Any], *, wide: bool) -> None:
    """A summary, the metrics and the files; at 80 columns a hash shows its first 16 digits."""
    from rich.table import Table
    from rich.text import Text

    from ..descriptions import description_of
    from ..metadata import RESERVED_KEYS
    from ..tags import tags_of
    from ._format import human_bytes, number, relative_time
    from ._render import console, new_table, status_text

    screen = console(wide=wide)
    summary = Table.grid(padding=(0, 2))
    summary.add_column(style="bold")
    summary.add_column()
    summary.add_row("version", info["version"])
    summary.add_row("status", status_text(info["deployment_status"]))
    summary.add_row("channels", ", ".join(info.get("channels") or []) or "-")
    summary.add_row("tags", " ".join(f"{k}={v}" for k, v in sorted(tags_of(info).items())) or "-")
    for key in ("training_date", "registered_at", "promoted_at"):
        if info.get(key):
            summary.add_row(key, f"{info[key]} ({relative_time(info[key])})")
    if info.get("data_range"):
        summary.add_row(
            "data_range", f"{info['data_range']['start']} .. {info['data_range']['end']}"
        )
    summary.add_row("features", ", ".join(info.get("features") or []) or "-")
    if isinstance(info.get("model"), dict):
        summary.add_row("model", str(info["model"].get("flavor", "?")))
    summary.add_row("path", str(info.get("path", "")))
    if info.get("lineage"):
        summary.add_row("lineage", _lineage(info["lineage"]))
    for key in ("hyperparameters", "config"):
        if info.get(key):
            summary.add_row(key, ", ".join(f"{k}={v}" for k, v in info[key].items()))
    extra = {k: v for k, v in info.items() if k not in RESERVED_KEYS | {"path", "description"}}
    for key, value in sorted(extra.items()):
        summary.add_row(key, str(value))
    screen.print(summary)
    described = description_of(info)
    if described:  # as written, never as console markup: it is untrusted text
        screen.print(Text("description", style="bold"), Text(described), sep="\n")
    metrics = new_table("metrics")
    metrics.add_column("metric")
    metrics.add_column("value", justify="right")
    for name, value in sorted((info.get("metrics") or {}).items()):
        metrics.add_row(name, number(value))
    screen.print(metrics)
    files = new_table("files")
    files.add_column("file", overflow="fold")
    files.add_column("size", justify="right", no_wrap=True)
    files.add_column("sha256", no_wrap=True)
    for name, record in sorted((info.get("files") or {}).items()):
        digest = str(record.get("sha256"))
        files.add_row(name, human_bytes(record.get("bytes")), digest if wide else digest[:16] + "…")
    screen.print(files)


def _lineage(lineage: dict[str, Any]) -> str:
    """`ana@host, python 3.11.7, git 1a2b3c4d5e6f`: where a version was made."""
    text = f"{lineage.get('user', '?')}@{lineage.get('host', '?')}"
    text += f", python {lineage.get('python', '?')}"
    commit = lineage.get("git_commit")
    return text + (f", git {commit[:12]}" if commit else "")
