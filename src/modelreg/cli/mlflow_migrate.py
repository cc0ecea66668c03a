"""`modelreg migrate --from mlflow:URI`: the MLflow import, rendered for people and scripts."""

from __future__ import annotations

import textwrap

import click

from ._common import Output, emit_json, note
from ._format import human_bytes

__all__ = ["MLFLOW_PREFIX", "migrate_from_mlflow"]

MLFLOW_PREFIX = "mlflow:"
_WIDTH = 80


def migrate_from_mlflow(
    source: str,
    dest: str,
    *,
    models: tuple[str, ...],
    model_format: str,
    dry_run: bool,
    dest_options: dict[str, str] | None,
    out: Output,
) -> None:
    """Run the import and print what it did (or, with `dry_run`, would do)."""
    from ..importers import import_from_mlflow

    reports = import_from_mlflow(
        source.removeprefix(MLFLOW_PREFIX),
        dest,
        models=list(models) or None,
        model_format=model_format,
        dry_run=dry_run,
        dest_options=dest_options,
    )
    if out.json:
        emit_json([report.to_dict() for report in reports])
        return
    if not reports:
        note("MLflow holds no registered models; nothing to import")
    if out.quiet:
        return
    verb = "would copy" if dry_run else "copied"
    for report in reports:
        renamed = "" if report.model == report.mlflow_model else f" (MLflow: {report.mlflow_model})"
        _echo(
            f"{report.model}{renamed}: {verb} {len(report.copied)} version(s), "
            f"{human_bytes(report.bytes)}; {len(report.present)} already here",
            indent="",
        )
        lines = [f"v{c.mlflow_version} -> {c.version}" for c in report.copied]
        lines += [f"v{s.mlflow_version} skipped: {s.reason}" for s in report.skipped]
        lines += [f"channel {name} -> {version}" for name, version in report.channels.items()]
        lines += [f"note: {text}" for text in report.notes]
        for line in lines:
            _echo(line, indent="  ")
    copied = sum(len(r.copied) for r in reports)
    moved = sum(len(r.channels) for r in reports)
    skipped = sum(len(r.skipped) for r in reports)
    _echo(
        f"{'Would copy' if dry_run else 'Copied'} {copied} version(s), "
        f"{human_bytes(sum(r.bytes for r in reports))}, {'would move' if dry_run else 'moved'} "
        f"{moved} channel(s), skipped {skipped}"
        + (" (dry run: nothing was written)" if dry_run else ""),
        indent="",
    )


def _echo(line: str, *, indent: str) -> None:
    """One line for people, wrapped at 80 columns, continued two spaces deeper."""
    click.echo(textwrap.fill(line, _WIDTH, initial_indent=indent, subsequent_indent=indent + "  "))
