"""How a run ends when it does not end well: an error as text or JSON, a closed pipe, Ctrl-C.

Under `--json` a script reads stderr too, so an error there is the same object the REST API
sends (`{"error": code, "message", "context"}`), with the same codes.
"""

from __future__ import annotations

import json
import os
import sys

import click

from ..config import from_environment
from ..errors import (
    AuthError,
    ForbiddenError,
    InvalidInputError,
    ModelRegistryError,
    StorageError,
)

__all__ = [
    "INTERRUPTED",
    "flush_quietly",
    "report_error",
    "silence_stdout",
    "wants_json",
    "with_hint",
]

#: the shell's exit status for a process stopped by Ctrl-C (128 + SIGINT)
INTERRUPTED = 130


def wants_json(args: list[str]) -> bool:
    """Whether the command line asks for JSON (`--json` before any `--`)."""
    for arg in args:
        if arg == "--":
            return False
        if arg == "--json":
            return True
    return False


def report_error(exc: ModelRegistryError | click.ClickException, *, as_json: bool) -> None:
    """One line for people, or one JSON object for scripts, on stderr."""
    if isinstance(exc, ModelRegistryError):
        exc = with_hint(exc)
    if not as_json:
        if isinstance(exc, click.ClickException):
            exc.show()
        else:
            click.echo(f"Error: {exc}", err=True)
        return
    if isinstance(exc, click.ClickException):  # parsing or a file the user named
        cls = InvalidInputError if isinstance(exc, click.UsageError) else StorageError
        exc = cls(exc.format_message())
    click.echo(json.dumps(exc.to_dict()), err=True)


def with_hint(exc: ModelRegistryError) -> ModelRegistryError:
    """A server's "who are you?" answered with where the CLI takes its token from."""
    if not isinstance(exc, AuthError) or isinstance(exc, ForbiddenError):
        return exc
    hint = (
        "the token in $MODELREG_TOKEN was refused: set it to a token the server accepts"
        if from_environment("token")
        else "the CLI sends the token in $MODELREG_TOKEN: export MODELREG_TOKEN=<token>"
    )
    return type(exc)(f"{exc.message} ({hint})", **exc.context)


def silence_stdout() -> None:
    """Point stdout at /dev/null, so the final flush into a closed pipe cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file (a test runner's buffer)
        pass
    finally:
        os.close(devnull)


def flush_quietly() -> bool:
    """Flush stdout; False (and stdout silenced) when the reader has gone away."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        silence_stdout()
        return False
    except (OSError, ValueError):  # closed or not a real file: nothing left to say
        return True
    return True
