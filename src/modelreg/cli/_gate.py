"""The gate's table for people: what `modelreg promote` shows before it moves anything."""

from __future__ import annotations

import click

from ..gate import GateReport

__all__ = ["show_gate"]

#: stated under every gate table: the one sign convention (the UI and REST say the same)
GAIN_NOTE = "gain: how much the candidate beats the holder (+ means it is better)"


def show_gate(report: GateReport) -> None:
    """The candidate against the channel's holder, metric by metric, then the verdict."""
    from rich.text import Text

    from ._format import number
    from ._render import console, new_table

    if report.holder is None or report.holder == report.candidate:
        click.echo(f"gate: {report.reasons[0] if report.reasons else 'nothing to compare'}")
        return
    screen = console(wide=False)
    if report.metrics:
        table = new_table(f"{report.candidate} vs {report.channel} {report.holder}")
        for title in ("metric", "candidate", "holder", "gain", "needs >", "verdict"):
            table.add_column(title, justify="left" if title == "metric" else "right")
        for row in report.metrics:
            verdict = Text("passes", style="bold green") if row.passed else Text("fails", "red")
            table.add_row(
                row.metric,
                number(row.candidate),
                number(row.holder),
                "-" if row.gain is None else f"{row.gain:+.6g}",
                f"{row.needed:g}",
                verdict,
            )
        screen.print(table)
        screen.print(GAIN_NOTE, style="dim")
    for warning in report.warnings:
        screen.print(f"warning: {warning}", style="yellow")
    if report.passed:
        screen.print(f"gate: {report.candidate} beats {report.holder}", style="bold green")
    else:
        why = "" if report.metrics else " (no metrics to compare)"
        screen.print(
            f"gate: {report.candidate} does NOT beat {report.channel} {report.holder}{why}",
            style="bold red",
        )
