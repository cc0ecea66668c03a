"""`modelreg history`: who moved a channel, when, from what, and why (the audit log)."""

from __future__ import annotations

import click

from ..events import Event
from ._common import Output, emit_json, open_registry, output_options


@click.command(short_help="Who promoted or rolled back, when and why.")
@click.option("--channel", "-c", default="production", show_default=True, help="Channel.")
@click.option("--all", "everything", is_flag=True, help="The whole audit log, every action.")
@output_options
@click.pass_context
def history(ctx: click.Context, channel: str, everything: bool, out: Output) -> None:
    """Show the promotions and rollbacks of a channel, oldest first.

    --json prints a list of events with the keys timestamp, action, version, channel,
    previous, user, reason and details (absent keys mean "none").

    \b
    Example:
      modelreg history
      modelreg history --channel staging --json
      modelreg history --all
    """
    registry = open_registry(ctx)
    events = registry.events() if everything else registry.history(channel)
    if out.json:
        emit_json([event.to_dict() for event in events])
    elif out.quiet:
        for event in events:
            click.echo(f"{event.timestamp} {event.action} {event.version or '-'}")
    else:
        _print(events, "audit log" if everything else f"{channel} history", registry.location)


def _print(events: list[Event], title: str, location: str) -> None:
    from rich.table import Table

    from ._format import relative_time
    from ._render import console

    if not events:
        click.echo(f"No {title} in {location} yet.")
        return
    table = Table(title=f"{title} of {location}", title_justify="left")
    table.add_column("when")
    for column in ("action", "version", "previous"):
        table.add_column(column, no_wrap=True)
    table.add_column("user")
    table.add_column("reason")
    for event in events:
        table.add_row(
            f"{relative_time(event.timestamp)}\n{event.timestamp}",
            event.action + (f" {event.channel}" if event.channel else ""),
            event.version or "-",
            event.previous or "-",
            event.user or "-",
            event.reason or "",
        )
    console().print(table)
