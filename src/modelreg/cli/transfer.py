"""`modelreg export` and `modelreg import`: one version as a self-contained, checked archive."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ._common import (
    Output,
    complete_versions,
    create_option,
    emit_json,
    open_registry,
    output_options,
)
from ._progress import progress_bar


@click.command(short_help="Write a version to a .tar.gz or .zip archive.")
@click.argument("version", shell_complete=complete_versions)
@click.argument("dest", type=click.Path())
@click.option("--force", is_flag=True, help="Overwrite DEST if it exists.")
@output_options
@click.pass_context
def export(ctx: click.Context, version: str, dest: str, force: bool, out: Output) -> None:
    """Write VERSION (or `latest`, `@staging`) to DEST: a .tar.gz, .tgz or .zip file, or a folder.

    The archive holds the artifacts, metadata.json and their sha256 hashes; each artifact
    is checked on the way out. A folder gets <version>.tar.gz; a DEST ending in / is a
    folder, created if it does not exist. --quiet prints the path;
    --json prints {"version", "archive", "bytes"}.

    \b
    Example:
      modelreg export 20260126_103000 /tmp/
      modelreg export latest prod-model.zip
    """
    registry = open_registry(ctx)
    info = registry.get_version_info(version)
    if info is not None and dest.endswith(("/", os.sep)):  # a folder, by the user's own word
        Path(dest).mkdir(parents=True, exist_ok=True)
    total = sum(int(r.get("bytes", 0)) for r in ((info or {}).get("files") or {}).values())
    with progress_bar(f"exporting {version}", total, enabled=out.human) as progress:
        path = registry.export_version(version, Path(dest), overwrite=force, progress=progress)
    name = info["version"] if info else version
    if out.json:
        emit_json({"version": name, "archive": str(path), "bytes": path.stat().st_size})
    elif out.quiet:
        click.echo(str(path))
    else:
        click.echo(f"Exported {name} to {path}")


@click.command("import", short_help="Add a version from an exported archive.")
@click.argument("src", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@create_option
@output_options
@click.pass_context
def import_(ctx: click.Context, src: Path, create: bool, out: Output) -> None:
    """Add the version in archive SRC (from `modelreg export`) under its own name.

    Every artifact is checked against its sha256 before anything is added. Importing the
    same version again changes nothing (and says "already present"); a different version with
    the same name is an error. --quiet prints the version; --json prints {"version",
    "registry", "imported"} (false when it was already present).

    \b
    Example:
      modelreg --registry other-models/ import /tmp/20260126_103000.tar.gz
    """
    registry = open_registry(ctx, must_exist=not create, create_hint=True)
    fresh = isinstance(registry.path, Path) and not registry.path.is_dir()
    seen = 0 if fresh else len(registry.events())
    with progress_bar(f"importing {src.name}", src.stat().st_size, enabled=out.human) as progress:
        name = registry.import_version(src, progress=progress)
    added = any(  # an unchanged registry logs nothing: the version was here already
        e.action == "import" and e.version == name for e in registry.events()[seen:]
    )
    if out.json:
        emit_json({"version": name, "registry": registry.location, "imported": added})
    elif out.quiet:
        click.echo(name)
    elif added:
        click.echo(f"Imported {name} into {registry.location}")
    else:
        click.echo(f"{name} is already present in {registry.location}; nothing changed")
