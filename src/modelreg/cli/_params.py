"""Argument types shared by the commands; bad input is a usage error (exit 2) naming the option."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

import click

from .._json_text import loads

__all__ = [
    "DATA_RANGE",
    "METRIC",
    "TAG",
    "VALUE",
    "DataRange",
    "MetricValue",
    "NamedValue",
    "TagValue",
    "listen_options",
    "ranged",
]

_F = TypeVar("_F", bound=Callable[..., Any])


def _split(value: str, param: click.Parameter | None, ctx: click.Context | None) -> tuple[str, str]:
    name, sep, raw = value.partition("=")
    if not sep or not name.strip():
        raise click.BadParameter(f"expected name=value, got {value!r}", ctx=ctx, param=param)
    return name.strip(), raw.strip()


class MetricValue(click.ParamType):
    """`name=number`, e.g. `rmse=0.012`: finite numbers only."""

    name = "name=number"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[str, float]:
        if isinstance(value, tuple):
            return value
        name, raw = _split(str(value), param, ctx)
        try:
            number = float(raw)
        except ValueError:
            self.fail(f"{name}={raw!r}: {raw!r} is not a number", param, ctx)
        if not math.isfinite(number):
            self.fail(f"{name}={raw}: metrics must be finite numbers", param, ctx)
        return name, number


class NamedValue(click.ParamType):
    """`name=value`; a JSON value (`3`, `true`, `[1, 2]`) is read as JSON, anything else as text."""

    name = "name=value"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[str, Any]:
        if isinstance(value, tuple):
            return value
        name, raw = _split(str(value), param, ctx)
        try:
            parsed = loads(raw)
        except ValueError:
            return name, raw
        if isinstance(parsed, float) and not math.isfinite(parsed):
            return name, raw
        return name, parsed


class DataRange(click.ParamType):
    """`START:END` in ISO 8601; times may hold colons too (`2025-01-01T00:00:00Z:2026-01-26`)."""

    name = "start:end"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> dict[str, str]:
        if isinstance(value, dict):
            return value
        from ..errors import InvalidInputError
        from ..metadata import parse_data_range

        try:
            return parse_data_range(str(value))
        except InvalidInputError as exc:
            self.fail(str(exc), param, ctx)


class TagValue(click.ParamType):
    """`key=value`, checked by the registry's one tag rule (a usage error naming it)."""

    name = "key=value"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[str, str]:
        from ..errors import InvalidInputError
        from ..tags import parse_tag

        if isinstance(value, tuple):
            return value
        try:
            return parse_tag(str(value))
        except InvalidInputError as exc:
            self.fail(str(exc), param, ctx)


METRIC = MetricValue()
VALUE = NamedValue()
DATA_RANGE = DataRange()
TAG = TagValue()


def ranged(
    *decls: str, default: float, low: float, high: float | None = None, help: str
) -> Callable[[_F], _F]:
    """An option holding a number from `low` to `high`, its default shown; an int default keeps
    it whole. Out of range is a usage error naming the option (click's ranges)."""
    kind: click.ParamType = (
        click.IntRange(int(low), None if high is None else int(high))
        if isinstance(default, int)
        else click.FloatRange(low, high)
    )
    return click.option(*decls, default=default, show_default=True, type=kind, help=help)


def listen_options(port: int, *, port_help: str) -> Callable[[_F], _F]:
    """`--host` (loopback unless told) and `--port` of a command that answers HTTP."""

    def decorate(command: _F) -> _F:
        command = ranged("--port", default=port, low=0, high=65535, help=port_help)(command)
        host = click.option(
            "--host", default="127.0.0.1", show_default=True, help="Interface to listen on."
        )
        return host(command)

    return decorate
