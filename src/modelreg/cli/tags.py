"""`modelreg tag`: set and remove a version's key=value tags after registration, audited."""

from __future__ import annotations

import click

from ._common import (
    Output,
    complete_versions,
    emit_json,
    open_registry,
    output_options,
    stored_metadata,
)
from ._params import TAG


@click.command(short_help="Set or remove a version's key=value tags.")
@click.argument("version", shell_complete=complete_versions)
@click.argument("tags", nargs=-1, type=TAG)
@click.option("--remove", "-d", "removed", multiple=True, metavar="KEY", help="Remove a tag.")
@click.option("--reason", help="Why, for the audit log.")
@output_options
@click.pass_context
def tag(
    ctx: click.Context,
    version: str,
    tags: tuple[tuple[str, str], ...],
    removed: tuple[str, ...],
    reason: str | None,
    out: Output,
) -> None:
    """Set KEY=VALUE tags on VERSION (or `@channel`), remove others; print its tags now.

    What registration recorded is never changed; each edit is a `tag` event in the audit log
    (`modelreg history --all`). --quiet prints KEY=VALUE a line; --json {"version", "tags"}.

    \b
    Example:
      modelreg tag 20260126_103000 owner=alice dataset=v3 --reason "handover"
      modelreg tag @champion --remove dataset
      modelreg list --tag owner=alice
    """
    from ..tags import tags_of

    registry = open_registry(ctx)
    if tags or removed:
        registry.edit_tags(version, set_tags=dict(tags), remove=removed, reason=reason)
    meta = stored_metadata(registry, version)
    now = tags_of(meta)
    if out.json:
        emit_json({"version": meta["version"], "tags": now})
    elif out.quiet:
        for key, value in sorted(now.items()):
            click.echo(f"{key}={value}")
    else:
        click.echo(" ".join(f"{k}={v}" for k, v in sorted(now.items())) or "(no tags)")
