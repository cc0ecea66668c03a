"""`modelreg cleanup` and `modelreg delete`: remove versions, after showing them and asking."""

from __future__ import annotations

import click

from ..errors import VersionNotFoundError
from ._common import (
    Output,
    complete_versions,
    emit_json,
    note,
    open_registry,
    output_options,
    stdin_is_interactive,
)


@click.command(short_help="Delete old versions (shows them, asks first).")
@click.option("--keep", type=click.IntRange(min=1), help="Newest versions to keep (else config).")
@click.option("--dry-run", is_flag=True, help="Only show what would be deleted.")
@click.option("--yes", "-y", is_flag=True, help="Delete without asking (scripts, cron).")
@output_options
@click.pass_context
def cleanup(ctx: click.Context, keep: int | None, dry_run: bool, yes: bool, out: Output) -> None:
    """Delete all but the newest versions; never one a channel points to.

    Shows what would go and asks first. Without a terminal to ask at (cron, CI, a pipe)
    it deletes nothing unless --yes is given, and says so (exit 1).
    --json prints {"dry_run", "keep", "deleted"} (with --dry-run: what would be deleted).

    \b
    Example:
      modelreg cleanup --keep 5 --dry-run
      modelreg cleanup --keep 5 --yes
    """
    registry = open_registry(ctx)
    keep = registry.keep_versions if keep is None else keep
    doomed = registry.cleanup_old_versions(keep, dry_run=True)
    if dry_run or not doomed:
        _report(out, doomed, keep, dry_run=True, location=registry.location)
        return
    if not yes:
        if out.human:
            _list(doomed, keep, registry.location)
        _confirm(ctx, f"{len(doomed)} version(s)")
    deleted = registry.cleanup_old_versions(keep)
    unlisted = sorted(set(deleted) - set(doomed))
    if unlisted:  # versions registered while the question was open pushed these past --keep
        note(f"Also deleted {', '.join(unlisted)}: newer versions arrived meanwhile.")
    _report(out, deleted, keep, dry_run=False, location=registry.location)


def _list(names: list[str], keep: int, location: str) -> None:
    click.echo(f"Keeping the newest {keep} and every channel's version in {location}; deleting:")
    for name in names:
        click.echo(f"  {name}")


def _report(out: Output, names: list[str], keep: int, *, dry_run: bool, location: str) -> None:
    if out.json:
        emit_json({"dry_run": dry_run, "keep": keep, "deleted": names})
    elif out.quiet:
        for name in names:
            click.echo(name)
    elif not names:
        click.echo(f"Nothing to delete in {location} (keeping the newest {keep}).")
    elif dry_run:
        _list(names, keep, location)
        click.echo("Dry run: nothing was deleted.")
    else:
        click.echo(f"Deleted {len(names)} version(s): {', '.join(names)}")


def _confirm(ctx: click.Context, what: str) -> None:
    """Ask at a terminal; without one nobody can answer, so refuse (exit 1) and say so."""
    if not stdin_is_interactive():
        note(
            f"Not deleting {what}: stdin is not a terminal, so nobody can confirm; "
            "pass --yes to delete without asking."
        )
        ctx.exit(1)
    click.confirm(f"Delete {what}?", abort=True, err=True)


@click.command(short_help="Delete one version (asks first).")
@click.argument("version", shell_complete=complete_versions)
@click.option("--reason", help="Why, for the audit log.")
@click.option("--yes", "-y", is_flag=True, help="Delete without asking (scripts, cron).")
@output_options
@click.pass_context
def delete(ctx: click.Context, version: str, reason: str | None, yes: bool, out: Output) -> None:
    """Delete VERSION and its files; refused while a channel (production too) points to it.

    The deletion is logged with the user and --reason; `modelreg history --all` shows it.
    --json prints {"deleted": VERSION}.

    \b
    Example:
      modelreg delete 20260126_103000 --reason "trained on leaked data" --yes
    """
    registry = open_registry(ctx)
    missing = VersionNotFoundError(
        f"cannot delete: version {version} not found in {registry.location}", version=version
    )
    if registry.get_version_info(version) is None:
        raise missing
    if not yes:
        _confirm(ctx, f"version {version} from {registry.location}")
    if not registry.delete_version(version, reason=reason):  # gone meanwhile
        raise missing
    if out.json:
        emit_json({"deleted": version})
    elif out.quiet:
        click.echo(version)
    else:
        click.echo(f"Deleted {version} from {registry.location}")
