"""What every command shares: opening the registry, the output options, JSON on stdout.

Kept free of rich so that `--json` and `--quiet` runs never import it.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .._json_text import indented
from ..errors import InvalidInputError, ModelRegistryError, VersionNotFoundError

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

    from ..registry import ModelRegistry

__all__ = [
    "Output",
    "complete_versions",
    "create_option",
    "emit_json",
    "note",
    "open_registry",
    "output_options",
    "stdin_is_interactive",
    "wide_option",
]

F = TypeVar("F", bound=Callable[..., Any])


def _registry(options: Mapping[str, Any]) -> ModelRegistry:
    """The registry the global options (`ctx.obj`, or the root's params) name."""
    from ..registry import ModelRegistry

    return ModelRegistry(
        options.get("registry"),
        config_path=options.get("config_path"),
        model=options.get("model"),
        artifacts=options.get("artifacts"),
    )


def open_registry(
    ctx: click.Context, *, must_exist: bool = True, create_hint: bool = False
) -> ModelRegistry:
    """The registry the global options name; a folder that is not there is an error.

    Only `init` (and `--create` on the commands that write) may make a new one: a typo in a
    path must not silently start a second, empty registry.
    """
    options = ctx.find_object(dict) or {}
    registry = _registry(options)
    ctx.call_on_close(registry.close)
    path = registry.path
    if not isinstance(path, Path):
        return registry
    if path.exists() and not path.is_dir():
        raise InvalidInputError(
            f"{registry.location} is a file, not a registry folder: point --registry / "
            "MODELREG_REGISTRY at the folder (or at a new path, with `modelreg init PATH`)",
            path=registry.location,
        )
    if must_exist and not path.is_dir():
        raise VersionNotFoundError(
            f"no registry at {registry.location}: create it with `modelreg init "
            f"{registry.location}`"
            + (" (or pass --create)" if create_hint else "")
            + ", or point --registry / MODELREG_REGISTRY at an existing one",
            path=registry.location,
        )
    return registry


def _flag(name: str, help_text: str) -> Callable[[F], F]:
    """A decorator adding one boolean `--name` option."""

    def add(command: F) -> F:
        return click.option(name, is_flag=True, help=help_text)(command)

    return add


def overriding(global_name: str, *decls: str, metavar: str, help: str) -> Callable[[F], F]:
    """A command's own option that stands in for the global one (`registry`, `model`,
    `artifacts`): given, it wins, and `open_registry` reads it like the global one."""

    def store(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
        if value is not None:
            ctx.ensure_object(dict)[global_name] = value

    return click.option(*decls, metavar=metavar, help=help, expose_value=False, callback=store)


#: `--create`: a command that writes may start a new registry, but only when asked
create_option = _flag(
    "--create", "Create the registry if it does not exist (else only `modelreg init` does)."
)
#: `--wide`: every column at full width, past the terminal's edge if need be
wide_option = _flag(
    "--wide", "Every column, uncut, however wide (tables are fitted to the terminal otherwise)."
)


def complete_versions(
    ctx: click.Context, _param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Shell completion for a VERSION argument: `latest`, `@channel` aliases, version names."""
    from click.shell_completion import CompletionItem

    options = ctx.find_root().params
    try:
        registry = _registry(options)
        aliases = [f"@{channel}" for channel in sorted(registry.channels())]
        names = ["latest", *aliases, *(v.version for v in registry.list_versions())]
    except ModelRegistryError:  # completion must never fail loudly
        return []
    return [CompletionItem(name) for name in names if name.startswith(incomplete)]


@dataclass(frozen=True)
class Output:
    """How a command should answer: JSON for scripts, nothing but essentials, or for people."""

    json: bool
    quiet: bool

    @property
    def human(self) -> bool:
        return not self.json and not self.quiet


def stored_metadata(registry: ModelRegistry, version: str) -> dict[str, Any]:
    """A version's (or alias's) metadata as stored; VersionNotFoundError saying what is missing."""
    meta = registry.stored_metadata(version)
    if meta is None:
        raise VersionNotFoundError(registry.describe_missing(version), version=version)
    return meta


def output_options(command: F) -> F:
    """Add `--json` and `--quiet`; the command receives them as one `out: Output` argument."""

    @functools.wraps(command)
    def wrapper(*args: Any, as_json: bool, quiet: bool, **kwargs: Any) -> Any:
        if as_json and quiet:
            raise click.UsageError("--json and --quiet do not go together; choose one")
        return command(*args, out=Output(json=as_json, quiet=quiet), **kwargs)

    wrapper = click.option(
        "--quiet",
        "-q",
        is_flag=True,
        help="Print only what a script needs (a version name, a path), and errors.",
    )(wrapper)
    wrapper = click.option(
        "--json",
        "as_json",
        is_flag=True,
        help="Print JSON for scripts (keys: docs/reference/cli.md).",
    )(wrapper)
    return wrapper  # type: ignore[return-value]


def emit_json(data: Any) -> None:
    """One JSON document on stdout (the scripts' side of every command)."""
    click.echo(json.dumps(data, indent=2, default=str))


def emit_json_rows(rows: Iterable[Any], *, batch: int = 512) -> None:
    """A JSON list, written a few hundred rows at a time: the very text `emit_json` prints
    for the list, without ever holding it whole (`list --json` at 100,000 versions)."""
    pending: list[str] = []
    opened = False
    for row in rows:
        text = indented(row, 1)  # the row's lines indented once more, as inside the list
        pending.append((",\n  " if opened else "[\n  ") + text)
        opened = True
        if len(pending) >= batch:
            click.echo("".join(pending), nl=False)
            pending = []
    pending.append("\n]" if opened else "[]")
    click.echo("".join(pending))


def note(message: str) -> None:
    """A line for people on stderr, so stdout stays clean for pipes."""
    click.echo(message, err=True)


def stdin_is_interactive() -> bool:
    """Whether a person can answer a question (not a pipe, cron job or CI runner)."""
    return sys.stdin is not None and sys.stdin.isatty()  # click's runner swaps sys.stdin too
