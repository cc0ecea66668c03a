"""The `modelreg` command: each command parses, calls one public method, renders.

Commands are loaded lazily (a command's module is imported only when it runs), so
`modelreg list` starts without importing pandas, scikit-learn or the web stack. Errors are
caught in exactly one place, `main()`, and turned into one line on stderr and an exit code.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from ..errors import ModelRegistryError

__all__ = ["COMMANDS", "cli", "main"]

#: command name -> "module:attribute" below modelreg.cli; one line per command
COMMANDS: dict[str, str] = {}


class LazyGroup(click.Group):
    """A click group whose commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS:
            module_name, attr = COMMANDS[cmd_name].split(":")
            module = importlib.import_module(f"{__name__}.{module_name}")
            command: click.Command = getattr(module, attr)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--registry",
    "-r",
    envvar="MODELREG_REGISTRY",
    metavar="PATH_OR_URL",
    help="Registry folder or URL (else $MODELREG_REGISTRY, else the config file, else models/).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="YAML config with a `registry` section (else $MODELREG_CONFIG, else config/model.yaml).",
)
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.version_option(package_name="modelreg")
@click.pass_context
def cli(ctx: click.Context, registry: str | None, config_path: str | None, debug: bool) -> None:
    """modelreg: version, compare, promote and roll back trained models.

    \b
    Example:
      modelreg --registry models/ list --min direction_accuracy=0.52
    """
    ctx.obj = {"registry": registry, "config_path": config_path, "debug": debug}
    if debug:
        import logging

        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")


def main(argv: list[str] | None = None) -> Any:
    """Console entry point: one place that turns a ModelRegistryError into an exit code."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        return cli.main(args=argv, prog_name="modelreg", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except ModelRegistryError as exc:
        if debug:
            raise
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
