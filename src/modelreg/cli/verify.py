"""`modelreg verify`: check every artifact against its hash, the pointers and leftovers."""

from __future__ import annotations

from typing import Any

import click

from ._common import Output, emit_json, open_registry, output_options
from ._progress import counting_bar


@click.command(short_help="Check every hash, the pointers and leftovers.")
@click.option("--repair", is_flag=True, help="Mend what is safe to mend (never deletes versions).")
@output_options
@click.pass_context
def verify(ctx: click.Context, repair: bool, out: Output) -> None:
    """Check the registry end to end; exit 1 while problems remain.

    --repair removes leftovers of interrupted writes, rewrites stale statuses and moves a
    pointer off a missing version. --json prints {"ok", "checked", "problems", "repaired"};
    each problem has kind, where and detail.

    \b
    Example:
      modelreg verify
      modelreg verify --repair
    """
    registry = open_registry(ctx)
    with counting_bar("verifying versions", enabled=out.human) as progress:
        report = registry.verify(repair=repair, progress=progress)
    if out.json:
        emit_json(
            {
                "ok": report.ok,
                "checked": report.checked,
                "problems": report.problems,
                "repaired": report.repaired,
            }
        )
    elif out.human:
        _print(report.checked, report.problems, report.repaired, registry.location)
    if not report.ok:
        ctx.exit(1)


def _print(
    checked: int, problems: list[dict[str, Any]], repaired: list[dict[str, Any]], location: str
) -> None:
    from rich.table import Table
    from rich.text import Text

    from ._render import console

    if not problems:
        click.echo(f"OK: {checked} version(s) in {location} checked, no problems.")
        return
    table = Table(title=f"{len(problems)} problem(s) in {location}", title_justify="left")
    for column in ("kind", "where", "detail", "state"):
        table.add_column(column, no_wrap=column in ("kind", "state"))
    for problem in problems:
        fixed = problem in repaired
        table.add_row(
            problem["kind"],
            problem["where"],
            problem["detail"],
            Text("repaired", style="green") if fixed else Text("open", style="bold red"),
        )
    console().print(table)
    left = len(problems) - len(repaired)
    click.echo(
        f"{checked} version(s) checked; {len(repaired)} repaired, {left} left"
        + ("" if not left or repaired else "; `modelreg verify --repair` mends what it can")
    )
