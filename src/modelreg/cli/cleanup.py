"""`modelreg cleanup`: delete old versions, after showing them and asking."""

from __future__ import annotations

import click

from ._common import Output, emit_json, note, open_registry, output_options, stdin_is_interactive


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
        if not stdin_is_interactive():
            note(
                f"Not deleting {len(doomed)} version(s): stdin is not a terminal, so nobody "
                "can confirm; pass --yes to delete without asking."
            )
            ctx.exit(1)
        click.confirm(f"Delete {len(doomed)} version(s)?", abort=True, err=True)
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
