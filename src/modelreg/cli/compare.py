"""`modelreg compare V1 V2`: metric by metric, who wins and by how much."""

from __future__ import annotations

from typing import Any

import click

from ._common import (
    Output,
    complete_versions,
    emit_json,
    open_registry,
    output_options,
    wide_option,
)

_ROW_KEYS = ("value1", "value2", "difference", "gain", "winner", "higher_is_better")
#: stated under every human comparison, and the same in the gate's reasons
GAIN_NOTE = "gain: how much {a} beats {b}, in each metric's direction (+ means {a} is better)"


@click.command(short_help="Compare two versions metric by metric.")
@click.argument("version1", shell_complete=complete_versions)
@click.argument("version2", shell_complete=complete_versions)
@wide_option
@output_options
@click.pass_context
def compare(ctx: click.Context, version1: str, version2: str, wide: bool, out: Output) -> None:
    """Compare two versions (either may be `latest` or `@channel`) on every metric either has.

    The gain is how much VERSION1 beats VERSION2 in each metric's own direction: positive
    means VERSION1 is better (the gate of `register --promote-if-better` uses the same sign).
    --json prints {"version1", "version2", "metrics": {name: {value1, value2, difference,
    gain, winner, higher_is_better}}}; difference is the raw value1 - value2, winner a
    version or null.

    \b
    Example:
      modelreg compare 20260127_140000 latest
      modelreg compare @staging @production
    """
    registry = open_registry(ctx)
    comparison = registry.compare_versions(version1, version2, missing_ok=False)
    names = _names(comparison, version1, version2)
    rows = {metric: {k: row[k] for k in _ROW_KEYS} for metric, row in comparison.items()}
    if out.json:
        emit_json({"version1": names[0], "version2": names[1], "metrics": rows})
    elif out.quiet:
        wins = [row["winner"] for row in rows.values() if row["winner"]]
        for name in names:
            click.echo(f"{name} {wins.count(name)}")
    else:
        _print(names, rows, wide=wide)


def _names(comparison: dict[str, Any], version1: str, version2: str) -> tuple[str, str]:
    """The real names (`latest` resolved); without metrics, the names as given."""
    for row in comparison.values():
        return row["version1"], row["version2"]
    return version1, version2


def _print(names: tuple[str, str], rows: dict[str, dict[str, Any]], *, wide: bool) -> None:
    """At 80 columns the versions are A and B (named above the table); --wide names them."""
    from rich.text import Text

    from ._format import number
    from ._render import console, new_table

    if not rows:
        click.echo(f"Neither {names[0]} nor {names[1]} has metrics to compare.")
        return
    labels = names if wide else ("A", "B")
    title = f"{names[0]} vs {names[1]}" if wide else f"A {names[0]}  vs  B {names[1]}"
    table = new_table(title)
    table.add_column("metric", no_wrap=True)
    table.add_column(labels[0], justify="right", no_wrap=True)
    table.add_column(labels[1], justify="right", no_wrap=True)
    table.add_column(f"gain {labels[0]}" if not wide else "gain", justify="right", no_wrap=True)
    table.add_column("better", no_wrap=True)
    table.add_column("winner", no_wrap=True)
    score = {names[0]: 0, names[1]: 0}
    for metric, row in sorted(rows.items()):
        winner = row["winner"]
        values = [Text(number(row["value1"])), Text(number(row["value2"]))]
        if winner is not None:
            score[winner] += 1
            won = 0 if winner == names[0] else 1
            values[won].stylize("bold green")
            values[1 - won].stylize("red")
        gain = row["gain"]
        table.add_row(
            metric,
            *values,
            "-" if gain is None else f"{gain:+.6g}",
            "higher" if row["higher_is_better"] else "lower",
            Text(labels[names.index(winner)], style="bold green")
            if winner
            else Text("tie / n.a.", style="dim"),
        )
    screen = console(wide=wide)
    screen.print(table)
    screen.print(GAIN_NOTE.format(a=labels[0], b=labels[1]), style="dim")
    click.echo(f"{names[0]} wins {score[names[0]]}, {names[1]} wins {score[names[1]]}")
