"""`modelreg demo`: the whole loop on built-in data, in one command."""

from __future__ import annotations

import click

from ..training.demo import DEFAULT_PATH, run_demo
from ._render import console


@click.command()
@click.option(
    "--path",
    type=click.Path(file_okay=False),
    default=DEFAULT_PATH,
    show_default=True,
    help="Folder for the demo's data and registry (created; a previous demo is replaced).",
)
@click.option("--force", is_flag=True, help="Clear --path even if it is not a previous demo.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the market data.")
def demo(path: str, force: bool, seed: int) -> None:
    """Train, register, gate, serve, roll back and clean up, on synthetic market data.

    Trains a first model and promotes it, walks forward through time retraining a few
    candidates, promotes only a challenger that beats production (promote_if_better),
    serves predictions that follow each promotion, rolls back once, cleans up, and prints
    the versions, the gate's decisions and the audit history. Takes a few seconds.

    \b
    Example:
      modelreg demo
      modelreg demo --path /tmp/demo --seed 7
    """
    run_demo(path, force=force, seed=seed, console=console())
