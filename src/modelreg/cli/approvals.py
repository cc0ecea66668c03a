"""`modelreg requests`, `approve` and `reject`: the second pair of eyes on a promote.

A channel with `require_approval` in config turns `modelreg promote` into a request; another
person (another OS user on a folder, another token on a server) approves or rejects it here.
"""

from __future__ import annotations

import click

from ..approvals import PromotionRequest
from ._common import Output, emit_json, open_registry, output_options

__all__ = ["approve", "reject", "requests"]


@click.command(short_help="List promotion requests waiting for approval.")
@output_options
@click.pass_context
def requests(ctx: click.Context, out: Output) -> None:
    """Promotion requests nobody has approved or rejected yet, oldest first.

    --json prints a list of {"id", "version", "channel", "expected_current", "requested_by",
    "requested_at", "reason", "gate", "stale"}; stale: the channel moved since it was filed
    (approving it would be a conflict: reject it).

    \b
    Example:
      modelreg requests
      modelreg approve 3f2a9c0d1e4b5a6c --reason "backtest checked"
    """
    registry = open_registry(ctx)
    pointers = registry.channels()
    pending = registry.promotion_requests()
    if out.json:
        emit_json([r.listed(pointers) for r in pending])
    elif out.quiet:
        for request in pending:
            click.echo(request.id)
    elif not pending:
        click.echo("No promotion requests are waiting.")
    else:
        for request in pending:
            click.echo(_line(request, request.stale(pointers)))


def _line(request: PromotionRequest, stale: bool) -> str:
    gate = request.gate or {}
    verdict = "gate passed" if gate.get("passed") else "gate FAILED, forced"
    against = request.expected_current or "nothing"
    why = f': "{request.reason}"' if request.reason else ""
    warning = "  [stale: the channel moved since]" if stale else ""
    return (
        f"{request.id}  {request.version} -> {request.channel} (replacing {against}), "
        f"{verdict}, by {request.requested_by} at {request.requested_at}{why}{warning}"
    )


def _decide(ctx: click.Context, request_id: str, reason: str, out: Output, *, yes: bool) -> None:
    decided = open_registry(ctx).decide_request(request_id, approve=yes, reason=reason)
    if out.json:
        emit_json(decided.to_dict())
    elif out.quiet:
        click.echo(decided.id)
    elif yes:
        click.echo(f"approved {decided.id}: {decided.channel} is now {decided.version}")
    else:
        click.echo(f"rejected {decided.id}: {decided.channel} stays as it was")


def _decision(name: str, *, yes: bool, short_help: str, help_text: str) -> click.Command:
    """`approve` or `reject`: the same arguments, one decision each."""

    @click.command(name, short_help=short_help, help=help_text)
    @click.argument("request_id", metavar="ID")
    @click.option("--reason", required=True, help="Why, for the audit log (required).")
    @output_options
    @click.pass_context
    def command(ctx: click.Context, request_id: str, reason: str, out: Output) -> None:
        _decide(ctx, request_id, reason, out, yes=yes)

    return command


approve = _decision(
    "approve",
    yes=True,
    short_help="Approve a promotion request (not your own).",
    help_text="""Approve request ID: the channel moves, if it still holds what it held when filed.

    The requester cannot approve their own request. --json prints the decided request.

    \b
    Example:
      modelreg approve 3f2a9c0d1e4b5a6c --reason "backtest checked"
    """,
)
reject = _decision(
    "reject",
    yes=False,
    short_help="Reject a promotion request (not your own).",
    help_text="""Reject request ID; nothing moves. --json prints the decided request.

    \b
    Example:
      modelreg reject 3f2a9c0d1e4b5a6c --reason "drawdown too deep"
    """,
)
