"""`modelreg history`: who moved a channel, when, from what, and why (the audit log)."""

from __future__ import annotations

import click

from ..events import Event
from ._common import Output, emit_json, open_registry, output_options, wide_option


@click.command(short_help="Who promoted or rolled back, when and why.")
@click.option("--channel", "-c", default="production", show_default=True, help="Channel.")
@click.option("--all", "everything", is_flag=True, help="The whole audit log, every action.")
@wide_option
@output_options
@click.pass_context
def history(ctx: click.Context, channel: str, everything: bool, wide: bool, out: Output) -> None:
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
        title = "audit log" if everything else f"{channel} history"
        _print(events, title, registry.location, wide=wide)


def _print(events: list[Event], title: str, location: str, *, wide: bool) -> None:
    """At 80 columns: when, action, version, user, and the reason wrapped in what is left.

    `--wide` adds the exact timestamp and the version the channel moved from.
    """
    from ._format import relative_time
    from ._render import console, new_table

    if not events:
        click.echo(f"No {title} in {location} yet.")
        return
    table = new_table(f"{title} of {location}")
    table.add_column("when", no_wrap=wide)
    table.add_column("action", no_wrap=wide)
    table.add_column("version", no_wrap=True)
    if wide:
        table.add_column("previous", no_wrap=True)
    table.add_column("user", max_width=None if wide else 12)
    table.add_column("reason", min_width=None if wide else 24, ratio=1)
    for event in events:
        when = relative_time(event.timestamp)
        table.add_row(
            f"{when}\n{event.timestamp}" if wide else when,
            event.action + (f" {event.channel}" if _names_channel(event.channel, wide) else ""),
            event.version or "-",
            *([event.previous or "-"] if wide else []),
            event.user or "-",
            event.reason or "",
        )
    console(wide=wide).print(table)


def _names_channel(channel: str | None, wide: bool) -> bool:
    """At 80 columns production goes without saying (the title names the channel)."""
    return bool(channel) and (wide or channel != "production")
