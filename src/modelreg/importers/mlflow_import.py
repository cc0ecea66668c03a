"""`modelreg migrate --from mlflow:URI`: an MLflow model registry brought over, run after run.

Each live MLflow model version becomes one modelreg version of the model of the same name
(see `naming` for names our rules refuse), named after its MLflow registration time so that
versions 1..n keep their order. It carries:

- the model: MLflow's model folder as it is (`ModelFiles`, loadable with
  `mlflow.pyfunc.load_model(result.model.path)`), or with ``model_format="safe"`` /
  ``"pickle"`` a scikit-learn, LightGBM or XGBoost model in modelreg's own format;
- its run's metrics (latest values; NaN and infinity are left out, and said so), params as
  hyperparameters (strings, as MLflow keeps them), the run's start time as training date, the
  input column names of the model's signature as features;
- `description` (the version's, else the run's note) and `tags` (the run's own tags, without
  MLflow's `mlflow.*` ones, overlaid by the version's) as extra metadata;
- `data_range` when a version tag, run tag or param (looked up in that order) named
  `data_range` holds `START:END`, or two named `data_start` and `data_end` hold the ends;
- `lineage.source`: the tracking URI without credentials, model, version, registration time,
  run id, artifact location and stage, so a later run knows what it has already copied.

Every alias becomes a channel pointing at its version. A second run copies only versions it
has not copied before (not even those deleted here since), and moves a channel whose alias
moved, unless someone moved the channel in modelreg since: that is left alone and said so.
Nothing is ever written to MLflow. A version whose files cannot be read is reported and the
rest goes on. Converting to a native format loads (unpickles) MLflow's files in this process:
only convert from an MLflow registry you trust.
"""

from __future__ import annotations

import logging
import math
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..descriptions import validate_description_text
from ..errors import InvalidInputError, VersionExistsError
from ..flavors import ModelFiles
from ..integrity import hash_folder
from ..metadata import (
    METADATA_FILE,
    build_metadata,
    current_user,
    encode_metadata,
    iso_utc,
    lineage,
    normalize_data_range,
    parse_data_range,
    utc_now,
    version_fields,
)
from ..registry import ModelRegistry
from ..result import TrainingResult, write_artifacts
from ..tags import validate_tags
from .mlflow_source import (
    CONVERTIBLE_FLAVORS,
    MlflowSource,
    SourceModel,
    SourceRun,
    SourceVersion,
    UnreadableArtifact,
    describe_model_folder,
)
from .naming import channel_name, model_name, out_of_order, plan_version_names

__all__ = [
    "MODEL_FORMATS",
    "CopiedVersion",
    "MlflowImportReport",
    "SkippedVersion",
    "import_from_mlflow",
]

log = logging.getLogger("modelreg")

#: how the model files arrive: MLflow's folder as it is, or modelreg's safe or pickle format
MODEL_FORMATS = ("mlflow", "safe", "pickle")
#: the reason an import gives each channel move; a channel last moved otherwise is not ours
ALIAS_REASON = "mlflow alias @"
SYSTEM = "mlflow"


@dataclass(frozen=True)
class CopiedVersion:
    """An MLflow version copied (or, in a dry run, to be copied) and its modelreg name."""

    mlflow_version: int
    version: str
    bytes: int


@dataclass(frozen=True)
class SkippedVersion:
    """An MLflow version not copied, and why."""

    mlflow_version: int
    reason: str


@dataclass(frozen=True)
class MlflowImportReport:
    """What one MLflow model's import copied, found already here, skipped and moved."""

    mlflow_model: str
    model: str
    dry_run: bool = False
    copied: list[CopiedVersion] = field(default_factory=list)
    present: list[int] = field(default_factory=list)
    skipped: list[SkippedVersion] = field(default_factory=list)
    channels: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def bytes(self) -> int:
        """Bytes of model files copied (in a dry run: that would be copied)."""
        return sum(c.bytes for c in self.copied)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "bytes": self.bytes}


def import_from_mlflow(
    tracking_uri: str,
    dest: str | os.PathLike[str],
    *,
    models: Iterable[str] | None = None,
    model_format: str = "mlflow",
    dry_run: bool = False,
    dest_options: Mapping[str, Any] | None = None,
) -> list[MlflowImportReport]:
    """Copy MLflow's registered models (all, or those named) into the registry at `dest`.

    Safe to run again: only what is new is copied. With `dry_run`, nothing is written
    anywhere and the reports say what would be copied and which channels would move.

    Args:
        tracking_uri: MLflow's tracking URI (`sqlite:///mlflow.db`, `postgresql://...`, a
            server's URL); empty for MLflow's default.
        dest: the modelreg registry (a folder or a URL); each MLflow model lands in the
            named model of the same name there.
        models: MLflow model names; every one must exist (checked before anything is copied).
        model_format: `mlflow` (the MLflow model folder as it is), `safe` or `pickle`
            (scikit-learn, LightGBM and XGBoost models converted; others stay folders).
    """
    if model_format not in MODEL_FORMATS:
        raise InvalidInputError(
            f"model_format must be one of {list(MODEL_FORMATS)}, got {model_format!r}"
        )
    source = MlflowSource(tracking_uri)
    names = list(models) if models is not None else source.model_names()
    wanted = [source.model(name) for name in dict.fromkeys(names)]
    reports = []
    for model in wanted:
        registry = ModelRegistry(dest, model=model_name(model.name), **dict(dest_options or {}))
        try:
            run = _ModelImport(source, model, registry, model_format=model_format, dry_run=dry_run)
            reports.append(run.run())
        finally:
            registry.close()
    return reports


def _source_key(record: object) -> tuple[str, str, str] | None:
    """What identifies an MLflow version across runs: model, number and registration time."""
    if not isinstance(record, Mapping) or record.get("system") != SYSTEM:
        return None
    return str(record.get("model")), str(record.get("version")), str(record.get("registered_at"))


def _key(version: SourceVersion) -> tuple[str, str, str]:
    return version.model, str(version.number), iso_utc(version.created)


@dataclass
class _Here:
    """What the destination already holds of one MLflow model."""

    present: dict[tuple[str, str, str], str] = field(default_factory=dict)
    gone: dict[tuple[str, str, str], str] = field(default_factory=dict)
    taken: set[str] = field(default_factory=set)

    @classmethod
    def read(cls, dest: ModelRegistry, mlflow_model: str) -> _Here:
        here = cls()
        for summary in dest.list_versions():
            here.taken.add(summary.version)
            meta = dest.stored_metadata(summary.version) or {}
            key = _source_key((meta.get("lineage") or {}).get("source"))
            if key is not None and key[0] == mlflow_model:
                here.present[key] = summary.version
        for event in dest.events():
            if event.version is None:
                continue
            here.taken.add(event.version)
            key = _source_key((event.details or {}).get("source"))
            ours = event.action == "import" and key is not None and key[0] == mlflow_model
            if ours and key is not None and event.version not in here.present.values():
                here.gone[key] = event.version
        return here


class _ModelImport:
    """One MLflow model's import into one modelreg model; `run()` returns its report."""

    def __init__(
        self,
        source: MlflowSource,
        model: SourceModel,
        dest: ModelRegistry,
        *,
        model_format: str,
        dry_run: bool,
    ) -> None:
        self.source, self.model, self.dest = source, model, dest
        self.model_format, self.dry_run = model_format, dry_run
        self.report = MlflowImportReport(model.name, dest.model, dry_run=dry_run)

    def note(self, text: str) -> None:
        self.report.notes.append(text)
        log.info("%s: %s", self.model.name, text)

    def skip(self, number: int, reason: str) -> None:
        self.report.skipped.append(SkippedVersion(number, reason))
        log.info("%s v%d not copied: %s", self.model.name, number, reason)

    def run(self) -> MlflowImportReport:
        versions = self.source.versions(self.model.name)
        here = _Here.read(self.dest, self.model.name)
        known: dict[int, str] = {}
        todo: list[SourceVersion] = []
        for version in versions:
            key = _key(version)
            if key in here.present:
                known[version.number] = here.present[key]
                self.report.present.append(version.number)
            elif key in here.gone:
                self.skip(
                    version.number, f"deleted here since an earlier import ({here.gone[key]})"
                )
            elif not version.ready:
                self.skip(version.number, f"MLflow status {version.status}: not ready yet")
            else:
                todo.append(version)
        self._report_gaps(versions)
        # a version not ready yet still gets its name now, so it keeps its place when it comes
        names = plan_version_names(
            [(v.number, v.created) for v in versions if _key(v) not in here.gone],
            known,
            here.taken,
        )
        for number in out_of_order(names):
            self.note(f"v{number} ({names[number]}) does not sort after every earlier version")
        for version in todo:
            self._copy_one(version, names[version.number])
        copied = {c.mlflow_version: c.version for c in self.report.copied}
        self._move_channels({**known, **copied})
        if not self.dry_run:
            self._copy_model_record()
        self.report.skipped.sort(key=lambda s: s.mlflow_version)
        return self.report

    def _copy_model_record(self) -> None:
        """The registered model's description and tags become the modelreg model's own; what
        modelreg's rules refuse stays only in each version's lineage, and is said."""
        tags: dict[str, str] = {}
        for key, value in (self.model.tags or {}).items():
            try:
                tags.update(validate_tags({key: value}))
            except InvalidInputError as exc:
                self.note(f"model tag {key!r} kept in the versions' lineage only: {exc}")
        try:
            description = validate_description_text(self.model.description or None)
        except InvalidInputError as exc:
            self.note(f"the model's description kept in the versions' lineage only: {exc}")
            description = self.dest.model_info()["description"]
        self.dest.replace_model_record(description, tags, reason="imported from MLflow")

    def _report_gaps(self, versions: Sequence[SourceVersion]) -> None:
        numbers = {v.number for v in versions}
        for number in range(1, max(numbers, default=0)):
            if number not in numbers:
                self.skip(number, "deleted in MLflow")

    # --- versions -------------------------------------------------------------------------

    def _copy_one(self, version: SourceVersion, name: str) -> None:
        try:
            if self.dry_run:
                size = self.source.artifact_bytes(version)
            else:
                size = self._copy(version, name)
        except UnreadableArtifact as exc:
            self.skip(version.number, f"its model files cannot be used: {exc}")
            return
        except VersionExistsError:
            self.skip(version.number, f"the name {name} was taken meanwhile; run again")
            return
        self.report.copied.append(CopiedVersion(version.number, name, size))

    def _copy(self, version: SourceVersion, name: str) -> int:
        """Download, describe, write as a modelreg version folder, import; returns its bytes."""
        with tempfile.TemporaryDirectory(prefix="modelreg-mlflow-") as tmp:
            downloaded = self.source.download(version, Path(tmp) / "download")
            flavors, features = describe_model_folder(downloaded)
            run = self.source.run(version.run_id)
            folder = Path(tmp) / name
            folder.mkdir()
            result = TrainingResult(
                model=self._model(downloaded, flavors, version), metrics={}, features=features
            )
            fmt = "safe" if self.model_format == "safe" else "pickle"
            record = write_artifacts(result, folder, model_format=fmt)
            files = hash_folder(folder, record["model"].pop("hashes", None))
            meta = build_metadata(
                self._fields(version, run, features),
                version=name,
                registered_at=version.created,
                files=files,
                artifacts=record,
            )
            meta["lineage"] = self._lineage(version, run)
            (folder / METADATA_FILE).write_bytes(encode_metadata(meta))
            self.dest.import_version(folder)
        log.info("copied %s v%d as %s", version.model, version.number, name)
        return sum(int(r["bytes"]) for r in files.values())

    def _model(self, folder: Path, flavors: list[str], version: SourceVersion) -> Any:
        if self.model_format == "mlflow":
            return ModelFiles(folder)
        flavor = next((f for f in CONVERTIBLE_FLAVORS if f in flavors), None)
        if flavor is None:
            self.note(
                f"v{version.number} stays an MLflow folder: no {self.model_format} format for "
                f"its flavors ({', '.join(flavors) or 'none'})"
            )
            return ModelFiles(folder)
        return self.source.load_native(folder, flavor)

    def _tags(self, tags: dict[str, str], number: int) -> dict[str, Any]:
        """MLflow's tags as modelreg tags; those the tag rule refuses stay as `mlflow_tags`."""
        kept, odd = {}, {}
        for key, value in tags.items():
            try:
                kept.update(validate_tags({key: value}))
            except InvalidInputError:
                odd[key] = value
        if odd:
            self.note(f"v{number}: tag(s) {', '.join(sorted(odd))} kept as mlflow_tags")
        return {**({"tags": kept} if kept else {}), **({"mlflow_tags": odd} if odd else {})}

    def _fields(self, version: SourceVersion, run: SourceRun | None, features: list[str]) -> Any:
        metrics = dict(run.metrics) if run else {}
        dropped = sorted(k for k, v in metrics.items() if not math.isfinite(v))
        if dropped:
            self.note(f"v{version.number}: metric(s) {', '.join(dropped)} left out (not finite)")
        run_tags = dict(run.tags) if run else {}
        tags = {k: v for k, v in run_tags.items() if not k.startswith("mlflow.")}
        description = version.description or run_tags.get("mlflow.note.content", "")
        extra = self._tags({**tags, **version.tags}, version.number)
        if description:
            extra["description"] = description
        return version_fields(
            metrics={k: v for k, v in metrics.items() if k not in dropped},
            features=features,
            training_date=run.start_time if run else None,
            data_range=self._data_range(version, run),
            hyperparameters=dict(run.params) if run else {},
            metadata_extra=extra,
        )

    def _data_range(self, version: SourceVersion, run: SourceRun | None) -> Any:
        """The first of the documented names that a version tag, run tag or param holds."""
        places = [("version tag", version.tags)]
        if run is not None:
            places += [("run tag", run.tags), ("param", run.params)]
        for where, values in places:
            try:
                if "data_range" in values:
                    return parse_data_range(values["data_range"])
                if "data_start" in values and "data_end" in values:
                    ends = {"start": values["data_start"], "end": values["data_end"]}
                    return normalize_data_range(ends)
            except InvalidInputError as exc:
                self.note(f"v{version.number}: no data_range: the {where} is not one ({exc})")
                return None
        return None

    def _lineage(self, version: SourceVersion, run: SourceRun | None) -> dict[str, Any]:
        ours = lineage()
        run_tags = run.tags if run else {}
        source: dict[str, Any] = {
            "system": SYSTEM,
            "tracking_uri": self.source.location,
            "model": version.model,
            "version": str(version.number),
            "registered_at": iso_utc(version.created),
            "run_id": version.run_id,
            "run_name": run.name if run else None,
            "experiment_id": run.experiment_id if run else None,
            "artifact_uri": version.source,
            "stage": version.stage,
        }
        if self.model.description:
            source["model_description"] = self.model.description
        if self.model.tags:
            source["model_tags"] = dict(self.model.tags)
        return {
            **ours,
            "git_commit": run_tags.get("mlflow.source.git.commit"),
            "user": run_tags.get("mlflow.user") or version.user or ours["user"],
            "imported_by": current_user(),
            "imported_at": iso_utc(utc_now()),
            "source": source,
        }

    # --- channels -------------------------------------------------------------------------

    def _move_channels(self, names: Mapping[int, str]) -> None:
        """Point each alias's channel at its version, unless modelreg moved it since."""
        if self.dry_run:
            names = {**names, **{c.mlflow_version: c.version for c in self.report.copied}}
        claimed: dict[str, str] = {}
        for alias, number in sorted(self.model.aliases.items()):
            channel = channel_name(alias)
            if channel in claimed:
                self.note(f"@{alias} is not set: @{claimed[channel]} already became {channel}")
                continue
            claimed[channel] = alias
            target = names.get(number)
            if target is None:
                self.note(f"@{alias} is not set: v{number} was not copied")
                continue
            current = self.dest.current_version(channel)
            if current == target:
                continue
            if not self._ours(channel, current):
                self.note(
                    f"channel {channel} was moved in modelreg since the last import: it stays "
                    f"on {current} (MLflow's @{alias} is v{number})"
                )
                continue
            if not self.dry_run:
                reason = f"{ALIAS_REASON}{alias}: {self.model.name} v{number}"
                self.dest.promote(target, channel, expected_current=current, reason=reason)
            self.report.channels[channel] = target
        self._report_dropped_aliases(set(claimed))

    def _ours(self, channel: str, current: str | None) -> bool:
        """Whether the channel is empty, or last moved by an import (so it follows MLflow)."""
        if current is None:
            return True
        history = self.dest.history(channel)
        return bool(history) and (history[-1].reason or "").startswith(ALIAS_REASON)

    def _report_dropped_aliases(self, channels: set[str]) -> None:
        for channel, current in sorted(self.dest.channels().items()):
            if channel not in channels and current is not None and self._ours(channel, current):
                self.note(f"MLflow no longer has the alias of {channel}; it stays on {current}")
