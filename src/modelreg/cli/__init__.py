"""The `modelreg` command: each command parses, calls one public method, renders.

Commands are loaded lazily (a command's module is imported only when it runs), so
`modelreg list` starts without importing pandas, scikit-learn or the web stack. Registry
errors are caught in exactly one place, `LazyGroup.invoke`, and turned into one line on stderr
and the exit code their class names (0 ok, 1 failed, 2 usage); `--debug` shows the traceback.
"""

from __future__ import annotations

import errno
import importlib
from typing import Any

import click

from ..errors import ModelRegistryError
from ._globals import accept_global_options, configure_logging
from ._outcome import INTERRUPTED, flush_quietly, report_error, silence_stdout, wants_json

__all__ = ["COMMANDS", "cli", "main"]

#: command name -> "module:attribute" below modelreg.cli; one line per command
COMMANDS: dict[str, str] = {
    "init": "init:init",
    "register": "register:register",
    "list": "browse:list_versions",
    "show": "browse:show",
    "compare": "compare:compare",
    "history": "history:history",
    "events": "feed:events",
    "hooks": "feed:hooks",
    "promote": "pointers:promote",
    "rollback": "pointers:rollback",
    "requests": "approvals:requests",
    "approve": "approvals:approve",
    "reject": "approvals:reject",
    "tag": "tags:tag",
    "describe": "describe:describe",
    "model": "describe:model",
    "cleanup": "cleanup:cleanup",
    "delete": "cleanup:delete",
    "verify": "verify:verify",
    "export": "transfer:export",
    "import": "transfer:import_",
    "server": "server:server",
    "serve": "serve:serve",
    "demo": "demo:demo",
    "db": "db:db",
    "migrate": "db:migrate",
}


class LazyGroup(click.Group):
    """A click group whose commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS:
            module_name, attr = COMMANDS[cmd_name].split(":")
            module = importlib.import_module(f"{__name__}.{module_name}")
            command: click.Command = getattr(module, attr)
            return accept_global_options(command, self.params)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        """The one place an error becomes a message and an exit code (gto's habit)."""
        as_json = wants_json([*ctx._protected_args, *ctx.args])
        try:
            return super().invoke(ctx)
        except ModelRegistryError as exc:  # one line on stderr, the error class's exit code
            if (ctx.obj or {}).get("debug"):
                raise
            report_error(exc, as_json=as_json)
            ctx.exit(exc.exit_code)
        except click.ClickException as exc:  # usage errors: JSON too, under --json
            if not as_json:
                raise
            report_error(exc, as_json=True)
            ctx.exit(exc.exit_code)
        except OSError as exc:  # a file the user named, not the registry (that is StorageError)
            if exc.errno == errno.EPIPE:  # the reader has what it wanted (`| head -1`)
                silence_stdout()
                ctx.exit(0)
            if (ctx.obj or {}).get("debug"):
                raise
            report_error(click.ClickException(str(exc)), as_json=as_json)
            ctx.exit(1)
        except KeyboardInterrupt:  # Ctrl-C: the shell convention, 128 + SIGINT
            click.echo("\nInterrupted.", err=True)
            ctx.exit(INTERRUPTED)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--registry",
    "-r",
    metavar="PATH_OR_URL",
    help="Registry folder or URL (else $MODELREG_REGISTRY, else the config file, else models/).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="YAML config with a `registry` section (else $MODELREG_CONFIG, else config/model.yaml).",
)
@click.option(
    "--model",
    metavar="NAME",
    help="Which named model at the location (else $MODELREG_MODEL, else the default one).",
)
@click.option(
    "--artifacts",
    metavar="URL",
    help="Artifact store of a SQL catalog (else $MODELREG_ARTIFACTS), e.g. s3://bucket/models.",
)
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.version_option(package_name="modelreg")
@click.pass_context
def cli(
    ctx: click.Context,
    registry: str | None,
    config_path: str | None,
    model: str | None,
    artifacts: str | None,
    debug: bool,
) -> None:
    """modelreg: version, compare, promote and roll back trained models.

    \b
    Example:
      modelreg --registry models/ list --min direction_accuracy=0.52
    """
    ctx.obj = {
        "registry": registry,
        "config_path": config_path,
        "model": model,
        "artifacts": artifacts,
        "debug": debug,
    }
    configure_logging(debug)


def main(argv: list[str] | None = None) -> Any:
    """Console entry point (`modelreg`, `python -m modelreg`); errors are handled in LazyGroup."""
    try:
        return cli.main(args=argv, prog_name="modelreg")
    except KeyboardInterrupt:  # pragma: no cover - between click's handlers and ours
        click.echo("Interrupted.", err=True)
        raise SystemExit(INTERRUPTED) from None
    finally:
        if not flush_quietly():  # `modelreg list -q | head -1`: quiet, like any Unix tool
            raise SystemExit(0)  # a closed pipe overrides the earlier outcome
