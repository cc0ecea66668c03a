"""`modelreg events` and `modelreg hooks`: the change feed, and how webhooks deliver it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ..errors import InvalidInputError
from ._common import Output, emit_json, open_registry, output_options
from ._params import ranged


@click.command(short_help="Print audit events as they happen (a CD job's trigger).")
@click.option("--follow", "-f", is_flag=True, help="Keep printing new events as they happen.")
@click.option("--kind", "-k", multiple=True, help="Only events of this kind (repeat; * = all).")
@click.option("--channel", "-c", multiple=True, help="Only events on this channel (repeat).")
@click.option("--after", metavar="ID", help="Start after this event id (MODEL:SEQUENCE).")
@click.option(
    "--count",
    "-n",
    type=click.IntRange(min=1),
    help="Exit after printing this many events (with --follow: wait for them).",
)
@ranged(
    "--poll",
    default=1.0,
    low=0.05,
    help="Seconds between reads of a folder's or database's log (a server pushes).",
)
@output_options
@click.pass_context
def events(
    ctx: click.Context,
    follow: bool,
    kind: tuple[str, ...],
    channel: tuple[str, ...],
    after: str | None,
    count: int | None,
    poll: float,
    out: Output,
) -> None:
    """Print the audit log's events, one a line; with --follow, wait for new ones.

    On a server this reads its event stream (server-sent events), resuming where it
    dropped; on a folder or database it tails the audit log. Without --after, --follow
    starts from now and a plain listing from the first event. --json prints one JSON object
    a line with the keys id, model, sequence, kind, version, channel, previous, who, when,
    reason and details: the body a webhook posts.

    \b
    Example:
      modelreg events --kind promote
      modelreg events --follow --kind promote --channel production --count 1
      modelreg events --follow --json | while read -r event; do ...; done
    """
    from ..hooks.feed import EventFilter, parse_event_id, read_feed
    from ..hooks.feed import follow as follow_feed

    registry = open_registry(ctx)
    wanted = EventFilter.of(kind, channel)
    start = parse_event_id(after, registry.model) if after else None
    printed = 0

    def done() -> bool:
        return count is not None and printed >= count

    if follow:
        found: Any = follow_feed(registry, after=start, wanted=wanted, poll=poll, stop=done)
    else:
        found = (i for i in read_feed(registry, start or 0) if wanted.matches(i.event))
    for item in found:
        _print(item, out)
        printed += 1
        if done():
            return


def _print(item: Any, out: Output) -> None:
    if out.json:
        click.echo(json.dumps(item.payload("modelreg"), sort_keys=True))
        return
    e = item.event
    if out.quiet:
        click.echo(f"{item.id} {e.action} {e.channel or '-'} {e.version or '-'}")
        return
    where = f" {e.channel}" if e.channel else ""
    by = f" by {e.user}" if e.user else ""
    reason = f": {e.reason}" if e.reason else ""
    click.echo(f"{item.id}  {e.timestamp}  {e.action}{where} {e.version or '-'}{by}{reason}")


@click.command(short_help="Webhooks and how their delivery goes.")
@click.option(
    "--hooks-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The server's hooks file, to read its delivery state here (else ask the server).",
)
@output_options
@click.pass_context
def hooks(ctx: click.Context, hooks_file: Path | None, out: Output) -> None:
    """Show each webhook: URL, kinds, pending events, last success and last error.

    Against a server (needs a write token) it asks the server; on the server's own machine
    --hooks-file reads the delivery state beside the file. Secrets are never shown.

    \b
    Example:
      modelreg --registry http://127.0.0.1:8080 hooks
      modelreg --registry models/ hooks --hooks-file hooks.yaml --json
    """
    registry = open_registry(ctx)
    if hooks_file is not None:
        from ..hooks.config import load_hooks
        from ..hooks.dispatcher import Dispatcher

        status = {"hooks": Dispatcher(load_hooks(hooks_file), registry).status()}
    else:
        ask = getattr(registry.operations, "hook_status", None)
        if ask is None:
            raise InvalidInputError(
                "hooks are a server's: give the server's URL as --registry, or --hooks-file"
            )
        status = ask()
    if out.json:
        emit_json(status)
        return
    if not status["hooks"]:
        click.echo("No webhooks configured.")
    for hook in status["hooks"]:
        _print_hook(hook, quiet=out.quiet)


def _print_hook(hook: dict[str, Any], *, quiet: bool) -> None:
    if quiet:
        click.echo(f"{hook['name']} {hook['pending']}")
        return
    kinds = ",".join(hook["events"]) + (
        f" on {','.join(hook['channels'])}" if hook["channels"] else ""
    )
    click.echo(f"{hook['name']}  {hook['url']}  ({kinds})")
    click.echo(f"  pending {hook['pending']}, delivered {hook['delivered']}")
    for label in ("last_success", "last_error"):
        seen = hook.get(label)
        if seen:
            extra = f": {seen['error']}" if seen.get("error") else ""
            click.echo(f"  {label.replace('_', ' ')}: {seen['at']} event {seen['event']}{extra}")
    if hook.get("next_retry"):
        click.echo(f"  next retry {hook['next_retry']} (failed {hook['failures']} times)")
