"""The main job, end to end on built-in data: train, register, gate, serve, roll back, clean up.

`run_demo` plays what a real pipeline does over a few years, in seconds: a first model goes
to production; then, walking forward through time, each retraining on a newer window tries
a few hyperparameter candidates, registers every one, and promotes only a challenger that
beats production on the gate's metrics (`promote_if_better`). A `PredictionService` answers
throughout and follows each promotion without a restart; one rollback drill puts the previous
model back; cleanup keeps the newest versions. Everything it does is printed as it happens,
then summed up in tables: the versions, the gate's decisions, and the audit history.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.table import Table

from ..errors import InvalidInputError
from ..gate import PromotionDecision
from ..registry import ModelRegistry, VerifyReport
from ..result import TrainingResult
from .features import TARGET

if TYPE_CHECKING:
    import pandas as pd

    from ..serving import PredictionService

__all__ = ["DEFAULT_PATH", "GATE_METRICS", "DemoReport", "run_demo"]

DEFAULT_PATH = "modelreg-demo"
MARKER = ".modelreg-demo"
#: what a challenger must beat production on, and by how much at least
GATE_METRICS = ("direction_accuracy", "profit_factor")
MIN_IMPROVEMENT = {"direction_accuracy": 0.005, "profit_factor": 0.02}
#: hyperparameter candidates tried at every retraining
CANDIDATES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("ridge", {"alpha": 1.0}),
    ("ridge", {"alpha": 30.0}),
    ("gbm", {"max_depth": 2, "n_estimators": 80}),
)
N_DAYS = 1500
WINDOW = 750  # rows each model learns from (about three years of trading days)
STEP = 125  # rows between retrainings (about half a year)
KEEP = 5
_SHORT_PARAMS = (("alpha", "alpha"), ("max_depth", "depth"), ("n_estimators", "trees"))
_STATUS_SHOWN = {"production": "[bold green]★ production[/]", "deleted": "[dim]deleted[/]"}


@dataclass
class Trained:
    """One registered version and what the gate decided about it."""

    version: str
    model: str
    hyperparameters: dict[str, Any]
    metrics: dict[str, float]
    decision: PromotionDecision


@dataclass
class Served:
    """One answer of the PredictionService: as of which bar, by which version, what."""

    as_of: str
    version: str
    forecast: float


@dataclass
class DemoReport:
    """What the demo did; the registry stays at `path / "models"` for a look around."""

    path: Path
    trained: list[Trained] = field(default_factory=list)
    served: list[Served] = field(default_factory=list)
    rolled_back_to: str | None = None
    deleted: list[str] = field(default_factory=list)
    verify: VerifyReport | None = None
    seconds: float = 0.0

    @property
    def registry_path(self) -> Path:
        return self.path / "models"


def run_demo(
    path: str | os.PathLike[str] = DEFAULT_PATH,
    *,
    force: bool = False,
    seed: int = 0,
    console: Console | None = None,
) -> DemoReport:
    """Run the whole loop in `path` (created, or a previous demo replaced) and narrate it.

    Refuses a non-empty folder that is not a previous demo unless `force` (which clears it).
    """
    from ..serving import PredictionService
    from .data import generate_prices, load_prices
    from .features import build_features

    out = console or Console()
    started = time.perf_counter()
    folder = prepare_folder(Path(path), force=force)
    report = DemoReport(folder)
    out.print("[bold]modelreg demo[/]: train, register, gate, serve, roll back, clean up\n")

    prices = folder / "prices.csv"
    generate_prices(N_DAYS, seed=seed).to_csv(prices)
    bars = load_prices(prices)
    frame, features = build_features(bars)
    out.print(
        f"[bold]Data[/]: {len(bars):,} daily bars of a synthetic market (regimes, volatility "
        f"clustering, some momentum), {_day(bars.index[0])} to {_day(bars.index[-1])}, "
        f"written to {prices} and read back with load_prices; {len(features)} features "
        f"({', '.join(features)})."
    )
    # it loads only the models it has just written itself, so its pickles are trusted
    registry = ModelRegistry(
        folder / "models", keep_versions=KEEP, lock_timeout=30, trust_pickle=True
    )

    out.print(f"\n[bold]1. First model[/] on {_span(frame, 0)}")
    report.trained.append(_train_and_gate(registry, frame, features, 0, *CANDIDATES[0], out))
    service = PredictionService(registry)
    _serve(service, bars, frame, 0, report, out)

    out.print(
        f"\n[bold]2. Walk forward[/]: retrain every {STEP} trading days on the latest {WINDOW}, "
        f"{len(CANDIDATES)} candidates each; promote only a challenger better on "
        + " and ".join(f"{m} (by {MIN_IMPROVEMENT[m]} at least)" for m in GATE_METRICS)
    )
    for start in range(STEP, len(frame) - WINDOW + 1, STEP):
        out.print(f"[dim]window {_span(frame, start)}[/]")
        for model, params in CANDIDATES:
            report.trained.append(
                _train_and_gate(registry, frame, features, start, model, params, out)
            )
        _serve(service, bars, frame, start, report, out)

    out.print("\n[bold]3. Rollback drill[/]")
    report.rolled_back_to = _rollback(registry, service, bars, report, out)
    out.print("\n[bold]4. Cleanup[/]")
    _clean_up(registry, report, out)
    report.seconds = time.perf_counter() - started
    render_summary(report, registry, out)
    return report


def _clean_up(registry: ModelRegistry, report: DemoReport, out: Console) -> None:
    """Delete all but the newest versions (never production), then check what is left."""
    report.deleted = registry.cleanup_old_versions()
    out.print(
        f"kept the newest {KEEP} versions and every version a channel points to; deleted "
        f"{len(report.deleted)}: {', '.join(report.deleted) or 'none'}"
    )
    report.verify = registry.verify()
    out.print(
        f"verify: {report.verify.checked} versions checked, "
        + ("[green]all consistent[/]" if report.verify.ok else f"[red]{report.verify.problems}[/]")
    )


def prepare_folder(path: Path, *, force: bool) -> Path:
    """An empty folder for the demo, or a previous demo's folder cleared for a new run."""
    folder = path.absolute()
    if folder.exists() and not folder.is_dir():
        raise InvalidInputError(f"{path} exists and is not a folder", path=str(path))
    entries = list(folder.iterdir()) if folder.exists() else []
    if entries and not (folder / MARKER).exists():
        if not force:
            raise InvalidInputError(
                f"{path} is not empty and is not a previous demo; choose another --path, "
                "or pass --force to delete what it holds",
                path=str(path),
            )
        _refuse_precious(folder)
    for entry in entries:  # a link is removed, never followed
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text("a modelreg demo: `modelreg demo` may clear this folder\n")
    return folder


def _refuse_precious(folder: Path) -> None:
    """--force never clears the filesystem root, the home folder or the working folder."""
    resolved = folder.resolve()
    cwd = Path.cwd().resolve()
    if resolved in (Path(resolved.anchor), Path.home().resolve()) or cwd.is_relative_to(resolved):
        raise InvalidInputError(
            f"refusing to clear {folder}: it is the root, your home or holds the working "
            "folder; choose a dedicated --path",
            path=str(folder),
        )


def _train_and_gate(
    registry: ModelRegistry,
    frame: pd.DataFrame,
    features: list[str],
    start: int,
    model: str,
    params: Mapping[str, Any],
    out: Console,
) -> Trained:
    """Train on one window, register, and let the gate decide against production."""
    from .trainer import train_model

    window = frame.iloc[start : start + WINDOW]
    result = train_model(
        window, features, TARGET, model=model, hyperparameters=params, config={"demo": True}
    )
    version = registry.register(result, data_range=result.config["data_range"])
    decision = registry.promote_if_better(
        version,
        metrics=list(GATE_METRICS),
        min_improvement=MIN_IMPROVEMENT,
        production_metrics=_production_scores(registry, frame, features, result),
    )
    label = _label(model, params)
    if decision.production is None:
        out.print(f"  [green]✓ promoted[/] {version} {label}: no production yet")
    elif decision.promoted:
        out.print(
            f"  [green]✓ promoted[/] {version} {label} over {decision.production}: "
            + _verdict(decision)
        )
    else:
        out.print(f"  ✗ rejected {version} {label}: {_verdict(decision)}")
    return Trained(
        version,
        model,
        result.hyperparameters,
        result.metrics,
        decision,
    )


def _production_scores(
    registry: ModelRegistry, frame: pd.DataFrame, features: list[str], challenger: TrainingResult
) -> dict[str, float] | None:
    """Production's scores on the challenger's validation rows: one period judges both.

    Each version's registered metrics come from its own validation period; comparing those
    across retrainings would pit a lucky old period against a hard new one.
    """
    from .evaluation import evaluate

    if registry.current_version() is None:
        return None
    production = registry.load_version("latest")
    if production is None or challenger.validation_predictions is None:
        return None
    rows = frame.loc[challenger.validation_predictions.index]
    return evaluate(rows[TARGET], production.model.predict(rows[production.features]))


def _serve(
    service: PredictionService,
    bars: pd.DataFrame,
    frame: pd.DataFrame,
    start: int,
    report: DemoReport,
    out: Console,
) -> None:
    """Ask the service for tomorrow's return as of the window's last bar."""
    as_of = frame.index[min(start + WINDOW, len(frame)) - 1]
    answer = service.predict(bars.loc[:as_of])
    before = report.served[-1].version if report.served else None
    report.served.append(Served(_day(as_of), answer.version, answer.latest))
    switched = (
        f" [cyan](switched from {before}, no restart)[/]"
        if before
        not in (
            None,
            answer.version,
        )
        else ""
    )
    out.print(
        f"  serving as of {_day(as_of)}: {answer.version} forecasts "
        f"{answer.latest:+.4%} for the next day{switched}"
    )


def _rollback(
    registry: ModelRegistry,
    service: PredictionService,
    bars: pd.DataFrame,
    report: DemoReport,
    out: Console,
) -> str | None:
    """Put the previous production back, as an operator would after a bad deploy."""
    current = service.version
    if not registry.rollback_to_version(reason="demo drill: restore the previous production"):
        out.print("no earlier production to roll back to: no challenger ever won")
        return None
    answer = service.predict(bars)
    report.served.append(Served(_day(bars.index[-1]), answer.version, answer.latest))
    out.print(
        f"rolled production back from {current} to {answer.version}; the service answered "
        f"the next request with {answer.version} ({answer.latest:+.4%})"
    )
    return answer.version


def render_summary(report: DemoReport, registry: ModelRegistry, out: Console) -> None:
    """The account: versions with metrics and status, the gate's decisions, the audit log."""
    out.print()
    out.print(_versions_table(report, registry))
    out.print(_history_table(registry))
    promoted = [t for t in report.trained if t.decision.promoted]
    out.print(
        f"\n[bold]{len(report.trained)}[/] versions trained and registered, "
        f"[bold]{len(promoted)}[/] promoted by the gate, "
        f"{'1 rollback' if report.rolled_back_to else 'no rollback'}, "
        f"{len(report.deleted)} cleaned up, in {report.seconds:.1f} s."
    )
    out.print(
        f"Look around: [bold]modelreg --registry {report.registry_path} list[/] "
        f"(or history, compare, verify); prices in {report.path / 'prices.csv'}."
    )
    out.print("Serve production over HTTP, following every promotion live:")
    for line in serve_commands(report):
        out.print(f"  [bold]{line}[/]", soft_wrap=True, highlight=False)


def serve_commands(report: DemoReport) -> list[str]:
    """The command that serves the demo's production, and a request that asks it."""
    return [
        f"modelreg serve --registry {report.registry_path}",
        "curl localhost:8000/predict -H 'Content-Type: text/csv' "
        f"--data-binary @{report.path / 'prices.csv'}",
    ]


def _versions_table(report: DemoReport, registry: ModelRegistry) -> Table:
    statuses = {v.version: v.deployment_status for v in registry.list_versions()}
    table = Table(
        title="Versions (acc: direction accuracy, PF: profit factor, on validation rows; "
        "test acc: on the held-out test rows)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("version", no_wrap=True)
    table.add_column("model", min_width=16, overflow="fold")
    for column in ("acc", "PF", "sharpe", "test acc"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("gate")
    table.add_column("status", no_wrap=True)
    for t in report.trained:
        m = t.metrics
        status = statuses.get(t.version, "deleted")
        table.add_row(
            t.version,
            _label(t.model, t.hyperparameters),
            f"{m['direction_accuracy']:.3f}",
            f"{m['profit_factor']:.2f}",
            f"{m['sharpe']:.2f}",
            f"{m['test_direction_accuracy']:.3f}",
            "[green]won[/]" if t.decision.promoted else "lost",
            _STATUS_SHOWN.get(status, status),
        )
    return table


def _history_table(registry: ModelRegistry) -> Table:
    table = Table(title="Audit history of production", title_justify="left", box=box.SIMPLE_HEAD)
    for column in ("when (UTC)", "action", "version", "previous", "reason"):
        table.add_column(column, no_wrap=column != "reason")
    for event in registry.history():
        table.add_row(
            event.timestamp.replace("T", " ")[:19],
            event.action,
            event.version or "-",
            event.previous or "-",
            event.reason or "",
        )
    return table


def _verdict(decision: PromotionDecision) -> str:
    """Each gate metric, challenger vs production on the same rows, and whether it passed."""
    parts = []
    for metric in GATE_METRICS:
        row = decision.comparison.get(metric) or {}
        passed = any(
            r.startswith(f"{metric}:") and not r.endswith("not better") for r in decision.reasons
        )
        mark = "[green]✓[/]" if passed else "[red]✗[/]"
        parts.append(f"{metric} {_num(row.get('value1'))} vs {_num(row.get('value2'))} {mark}")
    return ", ".join(parts)


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _label(model: str, params: Mapping[str, Any]) -> str:
    """A short name for a candidate: `ridge(alpha=30)`, `gbm(depth=2, trees=80)`."""
    shown = [f"{short}={params[key]:g}" for key, short in _SHORT_PARAMS if key in params]
    return f"{model}({', '.join(shown)})"


def _span(frame: pd.DataFrame, start: int) -> str:
    window = frame.index[start : start + WINDOW]
    return f"{_day(window[0])} to {_day(window[-1])}"


def _day(stamp: Any) -> str:
    return str(stamp)[:10]
