"""`modelreg register SOURCE`: store a saved training run, or one model file, as a new version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..errors import ModelRegistryError
from ..saved import register_saved
from ._common import Output, create_option, emit_json, open_registry, output_options
from ._params import DATA_RANGE, METRIC, VALUE
from ._progress import progress_bar


def _size(source: Path) -> int:
    if source.is_file():
        return source.stat().st_size
    return sum(p.stat().st_size for p in source.rglob("*") if p.is_file())


@click.command(short_help="Register a trained model as a new version.")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--metric", "-m", "metrics", multiple=True, type=METRIC, help="A metric (repeat).")
@click.option("--param", "params", multiple=True, type=VALUE, help="A hyperparameter (repeat).")
@click.option("--feature", "features", multiple=True, help="A feature name (repeat; replaces).")
@click.option("--data-range", type=DATA_RANGE, help="Training data START:END (ISO dates).")
@click.option("--extra", "extras", multiple=True, type=VALUE, help="Extra metadata (repeat).")
@click.option("--promote-if-better", is_flag=True, help="Promote if it beats production.")
@click.option(
    "--metric-gate",
    "gates",
    multiple=True,
    metavar="NAME",
    help="With --promote-if-better: the metric(s) it must win on (default: registry.gate in "
    "config, else all it has).",
)
@click.option(
    "--min-improvement",
    type=float,
    default=None,
    help="With --promote-if-better: the margin, in each metric's units and direction "
    "(default: registry.gate in config, else 0).",
)
@click.option("--reason", help="Why, for the audit log (with --promote-if-better).")
@create_option
@output_options
@click.pass_context
def register(
    ctx: click.Context,
    source: Path,
    metrics: tuple[tuple[str, float], ...],
    params: tuple[tuple[str, Any], ...],
    features: tuple[str, ...],
    data_range: dict[str, str] | None,
    extras: tuple[tuple[str, Any], ...],
    promote_if_better: bool,
    gates: tuple[str, ...],
    min_improvement: float | None,
    reason: str | None,
    create: bool,
    out: Output,
) -> None:
    """Register SOURCE, a folder saved by TrainingResult.save or a single model file.

    A saved folder's metadata.json provides metrics, features and hyperparameters;
    --metric, --param and --feature override them. A model.pkl loads back as a pickle; any
    other file or folder is kept as it is and loads back as ModelFiles. --quiet prints only
    the new version's name.

    \b
    Example:
      modelreg register runs/2026-01-26/ --data-range 2025-01-01:2026-01-26
      V=$(modelreg register model.pkl -m rmse=0.012 -m direction_accuracy=0.54 --quiet)
      modelreg register runs/latest/ --promote-if-better --metric-gate rmse
    """
    if (gates or min_improvement or reason) and not promote_if_better:
        raise click.UsageError(
            "--metric-gate, --min-improvement and --reason need --promote-if-better"
        )
    registry = open_registry(ctx, must_exist=not create, create_hint=True)
    with progress_bar(f"copying {source.name}", _size(source), enabled=out.human) as progress:
        name = register_saved(
            registry,
            source,
            metrics=dict(metrics),
            hyperparameters=dict(params),
            features=features,
            data_range=data_range,
            metadata_extra=dict(extras) or None,
            progress=progress,
        )
    decision = None
    if promote_if_better:
        try:
            decision = registry.promote_if_better(
                name, metrics=list(gates) or None, min_improvement=min_improvement, reason=reason
            )
        except ModelRegistryError as exc:  # the version is in; a script must learn its name
            raise type(exc)(f"registered {name}, but not promoted: {exc}", **exc.context) from exc
    if out.json:
        emit_json(
            {
                "version": name,
                "registry": registry.location,
                "promotion": None
                if decision is None
                else {
                    "promoted": decision.promoted,
                    "production": decision.production,
                    "reasons": decision.reasons,
                    "request": decision.request,
                },
            }
        )
    elif out.quiet:
        click.echo(name)
    else:
        click.echo(f"Registered {name} in {registry.location}")
        if decision is not None:
            verdict = (
                f"Promoted {name} to production"
                if decision.promoted
                else f"Filed request {decision.request}: production needs another's approval"
                if decision.request
                else f"Not promoted: production stays {decision.production}"
            )
            click.echo(verdict + "".join(f"\n  {line}" for line in decision.reasons))
