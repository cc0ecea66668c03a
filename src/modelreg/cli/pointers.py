"""`modelreg promote` and `modelreg rollback`: move a channel's pointer, with a reason.

Each is one call that answers what moved (`PointerMove`), so "was" is the pointer the move
replaced, not a read made before it that another writer may have overtaken.
"""

from __future__ import annotations

import click

from ..registry import PRODUCTION
from ..versions import ALIAS_PREFIX
from ._common import Output, complete_versions, emit_json, open_registry, output_options


def _report(out: Output, action: str, version: str, channel: str, previous: str | None) -> None:
    if out.json:
        emit_json({"action": action, "version": version, "channel": channel, "previous": previous})
    elif out.quiet:
        click.echo(version)
    elif previous == version:
        click.echo(f"{version} already is {channel}; nothing changed")
    else:
        click.echo(f"{channel} is now {version} (was {previous or 'empty'})")


@click.command(short_help="Point production (or a channel) at a version.")
@click.argument("version", required=False, shell_complete=complete_versions)
@click.option("--channel", "-c", default=PRODUCTION, show_default=True, help="Channel to move.")
@click.option(
    "--from", "source", metavar="CHANNEL", help="Promote the version CHANNEL holds (= @CHANNEL)."
)
@click.option("--expect", metavar="VERSION", help="Only if the channel holds VERSION now.")
@click.option("--reason", help="Why, for the audit log.")
@output_options
@click.pass_context
def promote(
    ctx: click.Context,
    version: str | None,
    channel: str,
    source: str | None,
    expect: str | None,
    reason: str | None,
    out: Output,
) -> None:
    """Point a channel (default production) at VERSION; the user and reason are logged.

    VERSION may be an alias, `@staging`: the version that channel holds. With --expect, the
    move happens only if the channel still holds that version (`none`: holds nothing).
    --json prints {"action", "version", "channel", "previous"}.

    \b
    Example:
      modelreg promote 20260127_140000 --reason "beats prod on rmse"
      modelreg promote 20260127_140000 --channel staging
      modelreg promote --from staging --expect 20260126_103000
    """
    if (version is None) == (source is None):
        raise click.UsageError("give either VERSION or --from CHANNEL")
    target = f"{ALIAS_PREFIX}{source}" if version is None else version
    options = {} if expect is None else {"expected_current": None if expect == "none" else expect}
    move = open_registry(ctx).move_pointer(target, channel, reason=reason, **options)
    _report(out, "promote", move.version, move.channel, move.previous)


@click.command(short_help="Put production (or a channel) back on an earlier version.")
@click.argument("version", required=False, shell_complete=complete_versions)
@click.option("--channel", "-c", default=PRODUCTION, show_default=True, help="Channel to move.")
@click.option("--reason", help="Why, for the audit log.")
@output_options
@click.pass_context
def rollback(
    ctx: click.Context, version: str | None, channel: str, reason: str | None, out: Output
) -> None:
    """Put a channel (default production) back on VERSION, or on the one it held before.

    --json prints {"action", "version", "channel", "previous"}.

    \b
    Example:
      modelreg rollback --reason "latency regression"
      modelreg rollback 20260126_103000
      modelreg rollback --channel staging --reason "bad canary"
    """
    move = open_registry(ctx).rollback(version, reason=reason, channel=channel)
    _report(out, "rollback", move.version, move.channel, move.previous)
