"""`modelreg db upgrade` and `modelreg migrate`: a SQL catalog's schema, and moving registries."""

from __future__ import annotations

import dataclasses

import click

from ..backends import upgrade_catalog
from ..config import resolve_config
from ..errors import InvalidInputError
from ._common import Output, emit_json, note, output_options, overriding
from .mlflow_migrate import MLFLOW_PREFIX, migrate_from_mlflow


@click.group()
def db() -> None:
    """Manage a SQL catalog (PostgreSQL, SQLite).

    \b
    Example:
      modelreg db upgrade --registry postgresql://user@db/registry
    """


@db.command()
@overriding(
    "registry",
    "--registry",
    metavar="URL",
    help="The catalog's URL (else the global --registry / $MODELREG_REGISTRY).",
)
@output_options
@click.pass_context
def upgrade(ctx: click.Context, out: Output) -> None:
    """Bring the catalog's tables to this modelreg's schema revision.

    Run it once after upgrading modelreg, when every writer runs the new version; a new,
    empty database needs no upgrade (it is created on first use). Running it again is safe.

    \b
    Example:
      modelreg db upgrade --registry postgresql://user@db/registry
      modelreg db upgrade --registry sqlite:///registry.db
    """
    options = ctx.find_object(dict) or {}  # --registry, else the environment, else the config
    config = resolve_config(config_path=options.get("config_path"), path=options.get("registry"))
    url = str(config.path)
    if not url or "://" not in url:
        raise InvalidInputError(
            "db upgrade needs a catalog URL: --registry postgresql://... or sqlite:///..."
        )
    before, after = upgrade_catalog(url)
    if out.json:
        emit_json({"registry": url, "from": before, "to": after})
    elif out.quiet:
        click.echo(after)
    elif before == after:
        click.echo(f"The catalog is at schema revision {after} already; nothing to do")
    else:
        click.echo(f"Upgraded the catalog from revision {before or '(empty)'} to {after}")


@click.command(name="migrate")
@click.option(
    "--from",
    "source",
    required=True,
    metavar="PATH_OR_URL",
    help="Copy from here; mlflow:TRACKING_URI imports an MLflow model registry.",
)
@click.option("--to", "dest", required=True, metavar="PATH_OR_URL", help="Copy to here.")
@click.option("--artifacts", metavar="URL", help="The destination's artifact store (SQL catalogs).")
@click.option("--from-artifacts", metavar="URL", help="The source's artifact store (SQL catalogs).")
@click.option(
    "--model", "models", multiple=True, help="Only this model (repeatable; default: all)."
)
@click.option(
    "--dry-run", is_flag=True, help="From MLflow: list what would be copied; write nothing."
)
@click.option(
    "--model-format",
    type=click.Choice(["mlflow", "safe", "pickle"]),
    default="mlflow",
    show_default=True,
    help="From MLflow: keep MLflow's model folder, or convert scikit-learn, LightGBM and "
    "XGBoost models to modelreg's safe or pickle format.",
)
@output_options
def migrate(
    source: str,
    dest: str,
    artifacts: str | None,
    from_artifacts: str | None,
    models: tuple[str, ...],
    dry_run: bool,
    model_format: str,
    out: Output,
) -> None:
    """Copy every version with its hashes, pointers and history to another registry.

    Versions keep their names; files are checked against their sha256 on arrival. Run it
    again to copy what is new: what is there already is skipped. The reverse direction works
    the same way.

    From MLflow (--from mlflow:TRACKING_URI), each model version arrives as a version named
    after its MLflow registration time, with its run's metrics, params, tags and lineage,
    and each alias as a channel. Nothing is written to MLflow; run it again to copy what
    is new and move channels whose alias moved.

    \b
    Example:
      modelreg migrate --from models/ --to postgresql://db/reg --artifacts s3://bucket/models
      modelreg migrate --from postgresql://db/reg --from-artifacts s3://bucket/models --to models/
      modelreg migrate --from mlflow:sqlite:///mlflow.db --to models/ --dry-run
    """
    dest_options = {"artifacts": artifacts} if artifacts else None
    if source.startswith(MLFLOW_PREFIX):
        if from_artifacts:
            raise click.UsageError("--from-artifacts is for a SQL catalog, not MLflow")
        migrate_from_mlflow(
            source,
            dest,
            models=models,
            model_format=model_format,
            dry_run=dry_run,
            dest_options=dest_options,
            out=out,
        )
        return
    if dry_run or model_format != "mlflow":
        raise click.UsageError(
            "--dry-run and --model-format are for --from mlflow:...; a registry-to-registry "
            "migration copies only what is missing, so it is safe to run as it is"
        )
    from ..migration import migrate as run_migration

    reports = run_migration(
        source,
        dest,
        models=list(models) or None,
        source_options={"artifacts": from_artifacts} if from_artifacts else None,
        dest_options=dest_options,
    )
    if out.json:
        emit_json([dataclasses.asdict(report) for report in reports])
        return
    for report in reports:
        line = (
            f"{report.model}: copied {len(report.copied)} version(s), skipped "
            f"{len(report.skipped)} already there, {report.events} event(s), pointers "
            + (", ".join(f"{c}={v}" for c, v in report.pointers.items()) or "unchanged")
        )
        if not out.quiet:
            click.echo(line)
    if not reports:
        note(f"{source} holds no models; nothing to migrate")
