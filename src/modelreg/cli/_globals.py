"""Global options in either place: `modelreg -r models/ list` and `modelreg list -r models/`.

Each command gets hidden copies of the group's options (those it has no option of its own
for); given after the command, they overwrite what the group recorded in `ctx.obj`.
"""

from __future__ import annotations

from typing import Any

import click

__all__ = ["GLOBAL_OPTIONS", "accept_global_options", "configure_logging"]

#: the group options a command also accepts after its name
GLOBAL_OPTIONS = ("registry", "config_path", "model", "artifacts", "debug")


def accept_global_options(
    command: click.Command, group_params: list[click.Parameter]
) -> click.Command:
    """`command`, taught the group's options it does not define itself (once per command)."""
    if getattr(command, "_modelreg_globals", False):
        return command
    taken = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    for param in group_params:
        if not isinstance(param, click.Option) or param.name not in GLOBAL_OPTIONS:
            continue
        if taken.intersection(param.opts):
            continue
        command.params.append(
            click.Option(
                [str(param.name), *param.opts],
                is_flag=param.is_flag,
                default=None,
                hidden=True,
                expose_value=False,
                callback=_recorder(str(param.name)),
                type=None if param.is_flag else param.type,
            )
        )
    command._modelreg_globals = True  # type: ignore[attr-defined]
    return command


def _recorder(name: str) -> Any:
    def record(ctx: click.Context, _param: click.Parameter, value: Any) -> None:
        if value is None or value is False:
            return
        options = ctx.find_object(dict)
        if options is not None:
            options[name] = value
        if name == "debug":
            configure_logging(True)

    return record


def configure_logging(debug: bool) -> None:
    """Library logs only with --debug: otherwise each command reports its own outcome."""
    import logging

    logger = logging.getLogger("modelreg")
    if debug:
        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")
        logger.setLevel(logging.DEBUG)
    elif not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())
