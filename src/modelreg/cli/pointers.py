"""`modelreg promote` and `modelreg rollback`: move a channel's pointer, with a reason.

Each is one call that answers what moved (`PointerMove`), so "was" is the pointer the move
replaced, not a read made before it that another writer may have overtaken. A promote shows
the gate's table first (`_gate.py`) and is judged again, under the lock, as it moves.
"""

from __future__ import annotations

from typing import Any

import click

from ..operations import Promotion
from ..registry import PRODUCTION
from ..versions import ALIAS_PREFIX
from ._common import (
    Output,
    complete_versions,
    emit_json,
    open_registry,
    output_options,
    stdin_is_interactive,
)
from ._gate import show_gate


def _report(out: Output, action: str, version: str, channel: str, previous: str | None) -> None:
    if out.json:
        emit_json({"action": action, "version": version, "channel": channel, "previous": previous})
    elif out.quiet:
        click.echo(version)
    elif previous == version:
        click.echo(f"{version} already is {channel}; nothing changed")
    else:
        click.echo(f"{channel} is now {version} (was {previous or 'empty'})")


@click.command(short_help="Point production (or a channel) at a version, through the gate.")
@click.argument("version", required=False, shell_complete=complete_versions)
@click.option("--channel", "-c", default=PRODUCTION, show_default=True, help="Channel to move.")
@click.option(
    "--from", "source", metavar="CHANNEL", help="Promote the version CHANNEL holds (= @CHANNEL)."
)
@click.option("--expect", metavar="VERSION", help="Only if the channel holds VERSION now.")
@click.option("--reason", help="Why, for the audit log.")
@click.option(
    "--force", is_flag=True, help="Promote even if the gate says it loses (recorded in the log)."
)
@output_options
@click.pass_context
def promote(
    ctx: click.Context,
    version: str | None,
    channel: str,
    source: str | None,
    expect: str | None,
    reason: str | None,
    force: bool,
    out: Output,
) -> None:
    """Point a channel (default production) at VERSION; the user and reason are logged.

    The gate first compares VERSION with what the channel holds (the metrics and thresholds
    of `registry.gate` in config, as `promote_if_better` uses) and prints the table. If
    VERSION loses, or a gated metric is missing, it asks at a terminal; without a terminal
    (a script, CI) it refuses with exit code 1 unless --force. A forced promote is recorded
    as such. On a channel with `require_approval`, the promote is filed as a request that
    another person approves (`modelreg requests`, `modelreg approve ID`).

    VERSION may be an alias, `@staging`: the version that channel holds. With --expect, the
    move happens only if the channel still holds that version (`none`: holds nothing).
    --json prints {"action", "version", "channel", "previous", "gate", "request"}.

    \b
    Example:
      modelreg promote 20260127_140000 --reason "beats prod on rmse"
      modelreg promote 20260127_140000 --channel staging
      modelreg promote --from staging --expect 20260126_103000
      modelreg promote 20260127_140000 --force --reason "hotfix: the old one crashes"
    """
    if (version is None) == (source is None):
        raise click.UsageError("give either VERSION or --from CHANNEL")
    target = f"{ALIAS_PREFIX}{source}" if version is None else version
    options: dict[str, Any] = {}
    if expect is not None:
        options["expected_current"] = None if expect == "none" else expect
    registry = open_registry(ctx)
    report = registry.check_promotion(target, channel)
    if out.human:
        show_gate(report)
    force = force or (not report.passed and _confirmed(report.candidate, out))
    done = registry.promote_checked(target, channel, reason=reason, force=force, **options)
    _report_promotion(out, done)


def _confirmed(candidate: str, out: Output) -> bool:
    """At a terminal, ask; elsewhere nobody can answer: False, and the gate refuses."""
    if out.json or not stdin_is_interactive():
        return False
    if not click.confirm(f"Promote {candidate} anyway?", default=False, err=True):
        raise click.ClickException("not promoted: the gate said no and you declined")
    return True


def _report_promotion(out: Output, done: Promotion) -> None:
    move, request = done.move, done.request
    if move is not None and not out.json:
        _report(out, "promote", move.version, move.channel, move.previous)
        return
    if out.json:
        emit_json(
            {
                "action": "promote" if move is not None else "request",
                "version": done.gate.candidate,
                "channel": done.gate.channel,
                "previous": done.gate.holder if move is None else move.previous,
                "gate": done.gate.to_dict(),
                "request": None if request is None else request.to_dict(),
            }
        )
    elif request is not None:
        click.echo(request.id if out.quiet else _filed(request.id, request.channel))


def _filed(rid: str, channel: str) -> str:
    return (
        f"{channel} needs a second person's approval: filed request {rid}\n"
        f'another person approves it with: modelreg approve {rid} --reason "..."'
    )


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
