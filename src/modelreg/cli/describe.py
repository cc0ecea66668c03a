"""`modelreg describe` (a version's Markdown description) and `modelreg model` (the model's own
description and tags): edits beside the registration, each audited."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

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


def _text(text: str | None, source: Path | None, clear: bool) -> tuple[bool, str | None]:
    """(whether to edit, the new text): TEXT, --file (`-` reads stdin) or --clear, one at most."""
    given = sum((text is not None, source is not None, clear))
    if given > 1:
        raise click.UsageError("give the text, --file or --clear, not more than one")
    if source is not None:
        try:
            if str(source) == "-":
                return True, sys.stdin.read()
            return True, source.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise click.BadParameter(f"cannot read {source}: {exc}", param_hint="--file") from exc
    return given == 1, text


def _show(text: str | None, *, label: str) -> None:
    """The text as written, never as console markup (it is untrusted)."""
    from rich.text import Text

    from ._render import console

    if text is None:
        click.echo(f"({label} has no description)")
    else:
        console().print(Text(text))


_FILE = click.option(
    "--file",
    "-f",
    "source",
    type=click.Path(dir_okay=False, path_type=Path, allow_dash=True),
    help="Read the Markdown from a file ('-': stdin).",
)
_CLEAR = click.option("--clear", is_flag=True, help="Remove the description.")
_REASON = click.option("--reason", help="Why, for the audit log.")


@click.command(short_help="Show or edit a version's Markdown description.")
@click.argument("version", shell_complete=complete_versions)
@click.argument("text", required=False)
@_FILE
@_CLEAR
@_REASON
@output_options
@click.pass_context
def describe(
    ctx: click.Context,
    version: str,
    text: str | None,
    source: Path | None,
    clear: bool,
    reason: str | None,
    out: Output,
) -> None:
    """Set VERSION's (or `@channel`'s) Markdown description to TEXT; print it.

    With no TEXT, --file or --clear, only prints it. What registration recorded is never
    changed; each edit is a `describe` event holding the new text and the one it replaced
    (`modelreg history --all`). At most 20,000 characters, no control characters.
    --json prints {"version", "description"}.

    \b
    Example:
      modelreg describe @champion "Gradient boosting on **dataset v3**."
      modelreg describe 20260126_103000 --file NOTES.md --reason "review notes"
      modelreg describe 20260126_103000 --clear
    """
    from ..descriptions import description_of

    edit, new = _text(text, source, clear)
    registry = open_registry(ctx)
    if edit:
        registry.describe_version(version, new, reason=reason)
    meta = stored_metadata(registry, version)
    now = description_of(meta)
    if out.json:
        emit_json({"version": meta["version"], "description": now})
    elif not out.quiet:
        _show(now, label=f"version {meta['version']}")


@click.command(short_help="Show or edit the model's own description and tags.")
@click.option("--describe", "text", metavar="TEXT", help="Set the model's Markdown description.")
@_FILE
@click.option("--clear", "clear", is_flag=True, help="Remove the model's description.")
@click.option("--tag", "tags", multiple=True, type=TAG, help="Set tag KEY=VALUE (repeat).")
@click.option("--remove", "-d", "removed", multiple=True, metavar="KEY", help="Remove a tag.")
@_REASON
@output_options
@click.pass_context
def model(
    ctx: click.Context,
    text: str | None,
    source: Path | None,
    clear: bool,
    tags: tuple[tuple[str, str], ...],
    removed: tuple[str, ...],
    reason: str | None,
    out: Output,
) -> None:
    """Show the model's description and tags; --describe, --tag and --remove edit them.

    The model is the registry's (`--model NAME` picks another at the same location). Each
    edit is one audited event (`describe` or `tag`, with no version). --json prints
    {"model", "description", "tags"}.

    \b
    Example:
      modelreg model --describe "Next-day direction of EURUSD." --tag owner=alice
      modelreg model --remove owner --reason "team changed"
      modelreg model --json
    """
    edit, new = _text(text, source, clear)
    registry = open_registry(ctx)
    if tags or removed:
        registry.edit_model_tags(set_tags=dict(tags), remove=removed, reason=reason)
    if edit:
        registry.describe_model(new, reason=reason)
    info: dict[str, Any] = registry.model_info()
    if out.json:
        emit_json(info)
    elif out.quiet:
        for key, value in sorted(info["tags"].items()):
            click.echo(f"{key}={value}")
    else:
        click.echo(f"model {info['model']}")
        click.echo(
            "tags: " + (" ".join(f"{k}={v}" for k, v in sorted(info["tags"].items())) or "-")
        )
        _show(info["description"], label=f"model {info['model']}")
