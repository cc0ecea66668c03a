"""`modelreg init [PATH]`: create an empty registry where the other commands will find it."""

from __future__ import annotations

from pathlib import Path

import click

from ._common import Output, emit_json, open_registry, output_options


@click.command(short_help="Create an empty registry.")
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
@output_options
@click.pass_context
def init(ctx: click.Context, path: Path | None, out: Output) -> None:
    """Create a registry at PATH (default: --registry, $MODELREG_REGISTRY, the config, models/).

    Running it again on an existing registry changes nothing.

    \b
    Example:
      modelreg init models/
      export MODELREG_REGISTRY=models/
    """
    if path is not None:
        ctx.obj["registry"] = str(path)
    registry = open_registry(ctx, must_exist=False)
    existed = isinstance(registry.path, Path) and registry.path.is_dir()
    registry.create()
    if out.json:
        emit_json({"registry": str(registry.path), "created": not existed})
    elif out.quiet:
        click.echo(str(registry.path))
    elif existed:
        click.echo(f"{registry.location} is already a registry; nothing changed")
    else:
        click.echo(f"Created an empty registry at {registry.location}")
