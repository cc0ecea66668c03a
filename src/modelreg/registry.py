"""ModelRegistry: the public face, and every policy decision of the registry.

It validates what comes in, names versions, protects what a channel points to, writes the
audit log, compares metrics and decides what a cleanup removes. Storage is a `Backend`'s job:
nothing here touches a file, a table or a socket directly.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from ._fsutil import copy_into
from .audit import ChangeRecord
from .backends import Backend, open_backend
from .backends.base import Debris, VersionQuery, effective_status
from .config import RegistryConfig, resolve_config
from .errors import (
    CorruptVersionError,
    InvalidInputError,
    PromotionConflict,
    VersionExistsError,
    VersionNotFoundError,
)
from .events import Event, live_at, pointer_history, previous_target
from .gate import PromotionDecision, judge_challenger
from .integrity import hash_folder, stored_name, verify_files
from .metadata import (
    VersionFields,
    build_metadata,
    current_user,
    iso_utc,
    parse_timestamp,
    utc_now,
    validate_description,
    version_fields,
)
from .metrics import MetricDirections, compare_metrics, validate_metrics
from .training.result import TrainingResult, write_artifacts
from .transfer import TransferMixin
from .versions import (
    LATEST,
    ModelVersion,
    format_version_name,
    next_candidates,
    sort_newest_first,
    validate_channel,
    validate_model_name,
    validate_version,
)

__all__ = ["PRODUCTION", "ModelRegistry", "PromotionDecision", "VerifyReport"]

log = logging.getLogger("modelreg")

PRODUCTION = "production"
_UNSET: Any = object()
_MAX_NAME_TRIES = 10_000


@dataclass(frozen=True)
class VerifyReport:
    """What `verify()` found, and what `verify(repair=True)` mended."""

    checked: int
    problems: list[dict[str, Any]] = field(default_factory=list)
    repaired: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing is wrong (or everything wrong was repaired)."""
        return len(self.problems) == len(self.repaired)


class ModelRegistry(TransferMixin):
    """Versions, metadata, promotion, rollback and cleanup of trained models.

    Args:
        path: a folder (default `models/`), or a URL of another backend.
        keep_versions: how many of the newest versions cleanup keeps (default 5).
        config_path: a YAML file with a `registry` section (else `$MODELREG_CONFIG`, else
            `./config/model.yaml` when it exists).
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        keep_versions: int | None = None,
        config_path: str | os.PathLike[str] | None = None,
        lock_timeout: float | None = None,
        metric_directions: Mapping[str, str] | None = None,
        auto_cleanup: bool | None = None,
        model_format: str | None = None,
        trust_pickle: bool | None = None,
        model: str | None = None,
        backend: Backend | None = None,
        **backend_options: Any,
    ) -> None:
        self.config: RegistryConfig = resolve_config(
            config_path=config_path,
            path=path,
            keep_versions=keep_versions,
            lock_timeout=lock_timeout,
            metric_directions=dict(metric_directions) if metric_directions else None,
            auto_cleanup=auto_cleanup,
            model_format=model_format,
            trust_pickle=trust_pickle,
        )
        self._backend = backend or open_backend(
            self.config.path, lock_timeout=self.config.lock_timeout, model=model, **backend_options
        )
        self.directions = MetricDirections(self.config.metric_directions)

    # --- properties -----------------------------------------------------------------------

    @property
    def backend(self) -> Backend:
        return self._backend

    @property
    def location(self) -> str:
        return self._backend.location

    @property
    def path(self) -> Path | str:
        """The registry's root folder (local) or URL (other backends)."""
        root = getattr(self._backend, "root", None)
        return root if isinstance(root, Path) else self._backend.location

    @property
    def keep_versions(self) -> int:
        return self.config.keep_versions

    @property
    def model_format(self) -> str:
        return self.config.model_format or self._backend.default_model_format

    @property
    def trust_pickle(self) -> bool:
        trust = self.config.trust_pickle
        return self._backend.trusted_by_default if trust is None else trust

    def __repr__(self) -> str:
        return f"ModelRegistry({self.location!r})"

    def close(self) -> None:
        self._backend.close()

    @property
    def model(self) -> str:
        """Which of the location's named models this registry reads and writes."""
        return self._backend.model

    def models(self) -> list[str]:
        """The named models stored at this location (`ModelRegistry(url, model=...)`)."""
        return self._backend.model_names()

    def for_model(self, model: str) -> ModelRegistry:
        """Another named model at this location, with these settings and these connections.

        A server answering for many models keeps one database pool this way, not one each.
        """
        name = validate_model_name(model)
        if name == self.model:
            return self
        other = copy.copy(self)
        other._backend = self._backend.for_model(name)
        return other

    def staging_folder(self) -> AbstractContextManager[Path]:
        """A fresh folder in the registry's own staging area, removed after the block.

        For data on its way in (a server's uploads): if the process dies meanwhile, it is
        left where `verify --repair` finds and removes it, like an interrupted registration.
        """
        return self._backend.staging()

    # --- register -------------------------------------------------------------------------

    def register(
        self,
        training_result: TrainingResult,
        data_range: Mapping[str, Any] | None = None,
        metadata_extra: Mapping[str, Any] | None = None,
    ) -> str:
        """Store a trained model as a new version; returns its name (e.g. `20260126_103000`).

        Everything is validated before anything is written; the version becomes visible in
        one atomic step, so a crash leaves at most a staging folder behind.
        """
        fields = version_fields(
            metrics=getattr(training_result, "metrics", None),
            features=getattr(training_result, "features", None),
            training_date=getattr(training_result, "training_date", None),
            data_range=data_range,
            hyperparameters=getattr(training_result, "hyperparameters", None),
            config=getattr(training_result, "config", None),
            metadata_extra=metadata_extra,
        )
        with self._backend.staging() as folder:
            record = write_artifacts(training_result, folder, model_format=self.model_format)
            known = record["model"].pop("hashes", None)
            files = hash_folder(folder, known)
            name = self._publish(folder, files, record, fields)
        log.info("registered version %s in %s", name, self.location)
        if self.config.auto_cleanup:
            self.cleanup_old_versions()
        return name

    def register_files(
        self,
        source: Path | Callable[[Path], Mapping[str, Mapping[str, Any]]],
        *,
        metrics: Mapping[str, Any],
        features: Sequence[str] = (),
        hyperparameters: Mapping[str, Any] | None = None,
        data_range: Mapping[str, Any] | None = None,
        metadata_extra: Mapping[str, Any] | None = None,
        training_date: datetime | str | None = None,
        artifacts: Mapping[str, Any] | None = None,
        known_hashes: Mapping[str, Mapping[str, Any]] | None = None,
        config: Mapping[str, Any] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> str:
        """Register already-written artifacts (CLI, server uploads, imports).

        `source` is a file or folder to copy in, or a function that writes the artifacts
        straight into the staging folder it is given and returns their hashes (a server's
        uploads: stored once, inside the registry, where `verify --repair` finds them if the
        writer dies). Every field is validated before anything is written. `progress`, if
        given, is called with the number of bytes copied, chunk by chunk.
        """
        fields = version_fields(
            metrics=metrics,
            features=features,
            training_date=training_date,
            data_range=data_range,
            hyperparameters=hyperparameters,
            config=config,
            metadata_extra=metadata_extra,
        )
        with self._backend.staging() as staged:
            written: Mapping[str, Mapping[str, Any]] = (
                source(staged) if callable(source) else copy_into(Path(source), staged, progress)
            )
            files = hash_folder(staged, {**written, **(known_hashes or {})})
            name = self._publish(staged, files, dict(artifacts or {}), fields)
        log.info("registered version %s in %s", name, self.location)
        return name

    def _publish(
        self, staged: Path, files: dict[str, Any], record: dict[str, Any], fields: VersionFields
    ) -> str:
        """Claim the first free name for this moment and publish, then log the event."""
        record = validate_description(record, files)
        done = self._delegated(
            "register", folder=staged, files=files, artifacts=record, fields=fields
        )
        if done is not _UNSET:
            return str(done)
        self._backend.prepare_publish(staged, files)
        change = ChangeRecord("register", self.location)
        with change.told(), self._backend.transaction():
            now = utc_now()
            for attempt, name in enumerate(next_candidates(now, self._names_used_at(now))):
                if attempt >= _MAX_NAME_TRIES:
                    raise VersionExistsError(f"no free version name for {iso_utc(now)}")
                meta = build_metadata(
                    fields, version=name, registered_at=now, files=files, artifacts=record
                )
                try:
                    self._backend.publish(staged, name, meta)
                except VersionExistsError:
                    continue
                break
            self._log_or_undo(
                Event(iso_utc(now), "register", version=name, user=current_user()),
                change,
                f"registered version {name}",
                undo=lambda: self._backend.delete_version(name),
            )
        return name

    def _names_used_at(self, moment: datetime) -> set[str]:
        """Names this second has had, deleted ones included: a name never means two versions.

        Without this, a cleanup that deletes `..._3` lets the next registration in the same
        second take `..._3` again, and the audit log would mix the two.
        """
        base = format_version_name(moment)
        return {
            e.version
            for e in self._backend.recent_events(moment.replace(microsecond=0))
            if e.version is not None and e.version.startswith(base)
        }

    def _log_or_undo(self, event: Event, change: ChangeRecord, what: str, undo: Any) -> None:
        """Append the event of a version just published; if that fails, take the version back.

        Should taking it back fail too, `change` tells the caller the version stands unlogged.
        """
        change.made(what, lambda: self._exists(str(event.version)))
        with _all_or_nothing(event.action) as steps:
            steps.append(undo)
            self._backend.append_event(event)
        change.logged()

    def create(self) -> None:
        """Create the registry's storage where it does not exist yet; harmless where it does."""
        with self._backend.transaction():
            pass

    # --- read -----------------------------------------------------------------------------

    def _resolve(self, version: str, channel: str = PRODUCTION) -> str | None:
        """A real version name for `version` (`latest` = the channel's pointer), or None."""
        name = validate_version(version)
        if name == LATEST:
            return self._backend.get_pointer(channel)
        return name

    def current_version(self, channel: str = PRODUCTION) -> str | None:
        """The version `channel` points to now, or None; one pointer read, cheap to poll."""
        return self._backend.get_pointer(validate_channel(channel))

    def stored_metadata(self, version: str) -> dict[str, Any] | None:
        """A version's metadata.json exactly as stored (`latest` = production); None if absent.

        Unlike `get_version_info`, nothing is overlaid and nothing is logged: this is the
        file's content, for readers that serve or copy it.
        """
        name = self._resolve(version)
        return self._backend.read_metadata(name) if name else None

    def open_artifact(self, version: str, filename: str) -> IO[bytes]:
        """Stream one of a version's registered files; only names in its `files` are reachable.

        Raises VersionNotFoundError when the version, or that file of it, does not exist.
        """
        meta = self.stored_metadata(version)
        if meta is None:
            raise VersionNotFoundError(
                f"version {version} not found in {self.location}", version=version
            )
        if filename not in (meta.get("files") or {}):
            raise VersionNotFoundError(
                f"version {meta['version']} has no file {filename!r}", version=meta["version"]
            )
        stored_name(filename, version=meta["version"])
        return self._backend.open_artifact(meta["version"], filename)

    def get_version_info(self, version: str) -> dict[str, Any] | None:
        """The version's metadata, with its effective status and channels; None if absent."""
        name = self._resolve(version)
        meta = self._backend.read_metadata(name) if name else None
        if meta is None:
            log.error("version %s not found in %s", version, self.location)
            return None
        pointers = {c: self._backend.get_pointer(c) for c in self._backend.channel_names()}
        meta["deployment_status"] = effective_status(
            meta.get("deployment_status"), meta["version"], pointers.get(PRODUCTION)
        )
        meta["channels"] = sorted(c for c, target in pointers.items() if target == name)
        meta["path"] = str(self._backend.location_of(meta["version"]))
        return meta

    def load_version(
        self, version: str = LATEST, *, trust_pickle: bool | None = None
    ) -> TrainingResult | None:
        """Load a version (default: production) after checking every artifact's sha256."""
        trust = self.trust_pickle if trust_pickle is None else trust_pickle
        for _attempt in range(3):  # `latest` may move, and the old one be cleaned up, meanwhile
            name = self._resolve(version)
            if name is None:
                log.error("no production version in %s; promote one first", self.location)
                return None
            meta = self._backend.read_metadata(name)
            if meta is not None:
                try:
                    with self._backend.local_folder(name) as folder:
                        verify_files(folder, meta.get("files") or {}, version=name)
                        return TrainingResult.load(folder, trust_pickle=trust)
                except (CorruptVersionError, OSError):
                    if self._backend.read_metadata(name) is not None:
                        raise  # still there, so really broken
                    # else a cleanup deleted it while we read: readers take no lock
            if version != LATEST:
                log.error("version %s not found in %s", version, self.location)
                return None
        log.error("production in %s kept moving while loading; retry", self.location)
        return None

    def list_versions(
        self,
        min_direction_accuracy: float | None = None,
        min_profit_factor: float | None = None,
        limit: int | None = None,
        *,
        min_metrics: Mapping[str, float] | None = None,
        max_metrics: Mapping[str, float] | None = None,
        trained_after: datetime | str | None = None,
        trained_before: datetime | str | None = None,
        status: str | None = None,
    ) -> list[ModelVersion]:
        """Versions newest first, filtered by metric thresholds, training date and status."""
        seed_floors = {
            "direction_accuracy": min_direction_accuracy,
            "profit_factor": min_profit_factor,
        }
        floors = dict(validate_metrics(min_metrics or {}, where="min_metrics"))
        floors.update(
            validate_metrics(
                {k: v for k, v in seed_floors.items() if v is not None}, where="list_versions"
            )
        )
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
            raise InvalidInputError(f"limit must be a whole number, got {limit!r}")
        if limit is not None and limit < 0:
            raise InvalidInputError(f"limit must be >= 0, got {limit}")
        if status is not None and status not in ("registered", "production", "archived"):
            raise InvalidInputError(
                f"status must be registered, production or archived, got {status!r}"
            )
        query = VersionQuery(
            min_metrics=floors,
            max_metrics=validate_metrics(max_metrics or {}, where="max_metrics"),
            trained_after=_when(trained_after, "trained_after"),
            trained_before=_when(trained_before, "trained_before"),
            status=status,
            limit=limit,
            production=self.current_version(),
        )
        if limit == 0:
            return []
        return [self._summary(meta) for meta in self._backend.query(query)]

    def _summary(self, meta: Mapping[str, Any]) -> ModelVersion:
        return ModelVersion(
            version=meta["version"],
            training_date=meta.get("training_date") or "",
            metrics=dict(meta.get("metrics") or {}),
            features=list(meta.get("features") or []),
            path=self._backend.location_of(meta["version"]),
            deployment_status=meta.get("deployment_status", "registered"),
            registered_at=meta.get("registered_at") or "",
            data_range=meta.get("data_range"),
        )

    def compare_versions(
        self, version1: str, version2: str, *, missing_ok: bool = True
    ) -> dict[str, Any]:
        """Per metric of either version: both values, value1 - value2, and the winner.

        `winner` is the real version name (so `winner == version` works even when you passed
        `latest`), or None on a tie or when one side lacks the metric. A version that does not
        exist (`latest` too, before any promotion) lacks every metric, so its values and every
        winner are None, and an ERROR log names it; `missing_ok=False` raises
        VersionNotFoundError instead (the CLI and the server, which answer "not found").
        """
        metas = []
        for version in (version1, version2):
            name = self._resolve(version)
            meta = self._backend.read_metadata(name) if name else None
            if meta is None:
                problem = f"version {version} not found in {self.location}" + (
                    " (no production version yet)" if version == LATEST else ""
                )
                if not missing_ok:
                    raise VersionNotFoundError(f"cannot compare: {problem}", version=version)
                log.error("compare: %s; its side counts as having no metrics", problem)
                meta = {"version": name or version}
            metas.append(meta)
        return compare_metrics(
            metas[0]["version"],
            metas[0].get("metrics") or {},
            metas[1]["version"],
            metas[1].get("metrics") or {},
            self.directions,
        )

    # --- pointers -------------------------------------------------------------------------

    def promote_to_production(self, version: str) -> bool:
        """Make `version` the production model; False (and an ERROR log) if it does not exist."""
        return self.promote(version)

    def promote(
        self,
        version: str,
        channel: str = PRODUCTION,
        *,
        expected_current: str | None = _UNSET,
        reason: str | None = None,
    ) -> bool:
        """Point `channel` at `version`.

        With `expected_current`, fails with PromotionConflict when the channel points
        elsewhere by now (None: expects no version there yet).
        """
        name = validate_version(version, allow_latest=False)
        return self._move_pointer(
            name, validate_channel(channel), "promote", reason, expected_current
        )

    def rollback_to_version(self, version: str | None = None, *, reason: str | None = None) -> bool:
        """Put production back on `version`, or with no argument on the previous production."""
        if version is not None:
            name = validate_version(version, allow_latest=False)
            log.warning("rolling production back to %s in %s", name, self.location)
            return self._move_pointer(name, PRODUCTION, "rollback", reason, _UNSET)
        if (done := self._delegated("rollback", version=None, reason=reason)) is not _UNSET:
            return bool(done)
        with self._backend.transaction():  # the log and the pointer read as one moment
            current = self.current_version()
            previous = previous_target(
                self._backend.read_events(), PRODUCTION, current, exists=self._exists
            )
            if previous is None:
                log.error(
                    "cannot roll back in %s: no earlier production version in the audit log",
                    self.location,
                )
                return False
            log.warning("rolling production back to %s in %s", previous, self.location)
            return self._move_pointer(previous, PRODUCTION, "rollback", reason, current)

    def _exists(self, name: str) -> bool:
        try:
            return self._backend.read_metadata(name) is not None
        except CorruptVersionError:
            return False

    def _move_pointer(
        self,
        name: str,
        channel: str,
        action: str,
        reason: str | None,
        expected_current: str | None,
    ) -> bool:
        done = self._delegated(
            action, version=name, channel=channel, reason=reason, expected_current=expected_current
        )
        if done is not _UNSET:
            return bool(done)
        backend = self._backend
        change = ChangeRecord(action, self.location)
        with change.told(), backend.transaction():
            meta = backend.read_metadata(name)
            if meta is None:
                newest = sort_newest_first(backend.version_names())[:5]
                log.error(
                    "cannot %s %s to %s: it does not exist in %s (newest: %s)",
                    action,
                    name,
                    channel,
                    self.location,
                    ", ".join(newest) or "none",
                )
                return False
            current = backend.get_pointer(channel)
            if expected_current is not _UNSET and current != expected_current:
                raise PromotionConflict(
                    f"{channel} is {current or 'empty'}, not {expected_current or 'empty'} as "
                    f"expected: someone changed it meanwhile; compare again before promoting",
                    channel=channel,
                    current=current,
                    expected=expected_current,
                )
            now = iso_utc(utc_now())
            if current == name:
                if channel == PRODUCTION and meta.get("deployment_status") != "production":
                    when = meta.get("promoted_at") or now  # a crash left it stale: mend
                    self._set_status(name, meta, "production", [], promoted_at=when)
                log.info("%s is already %s in %s", name, channel, self.location)
                return True
            with _all_or_nothing(action) as undo:
                # old status first, pointer, new status: whatever a crash interrupts, the
                # stale status is on the version the pointer names, which the next move mends
                old = backend.read_metadata(current) if channel == PRODUCTION and current else None
                if old is not None and current is not None:
                    self._set_status(current, old, "archived", undo)
                undo.append(lambda: backend.set_pointer(channel, current))
                backend.set_pointer(channel, name)
                change.made(
                    f"moved {channel} from {current or 'nothing'} to {name}",
                    lambda: backend.get_pointer(channel) == name,
                )
                if channel == PRODUCTION:
                    self._set_status(name, meta, "production", undo, promoted_at=now)
                backend.append_event(
                    Event(
                        now,
                        action,
                        version=name,
                        channel=channel,
                        previous=current,
                        user=current_user(),
                        reason=reason,
                    )
                )
                change.logged()
        log.info("%s: %s now points to %s (was %s)", action, channel, name, current)
        return True

    def _set_status(
        self,
        name: str,
        meta: dict[str, Any],
        status: str,
        undo: list[Callable[[], object]],
        **fields: Any,
    ) -> None:
        """Keep `deployment_status` in step with the pointer, noting how to take it back."""
        backend = self._backend
        before = dict(meta)
        undo.append(lambda: backend.write_metadata(name, before))
        backend.write_metadata(name, {**meta, "deployment_status": status, **fields})

    def channels(self) -> dict[str, str | None]:
        """Every channel with a pointer, and the version it points to."""
        return {c: self._backend.get_pointer(c) for c in self._backend.channel_names()}

    def history(self, channel: str = PRODUCTION) -> list[Event]:
        """Promotions and rollbacks of `channel`, oldest first, from the audit log."""
        return pointer_history(self._backend.read_events(), validate_channel(channel))

    def events(self) -> list[Event]:
        """The whole audit log, oldest first."""
        return self._backend.read_events()

    def production_at(self, timestamp: datetime | str, channel: str = PRODUCTION) -> str | None:
        """The version `channel` served at a past moment, according to the audit log."""
        moment = parse_timestamp(timestamp, what="timestamp")
        return live_at(self._backend.read_events(), validate_channel(channel), moment)

    def promote_if_better(
        self,
        version: str,
        *,
        metrics: Sequence[str] | None = None,
        min_improvement: float | Mapping[str, float] = 0.0,
        reason: str | None = None,
        production_metrics: Mapping[str, float] | None = None,
    ) -> PromotionDecision:
        """Champion/challenger gate: promote `version` only if it beats production.

        It must be better by at least `min_improvement` (per metric, in the metric's own
        units and direction) on every metric in `metrics` (default: all the challenger has).
        Promotion is conditional on production not having moved since the comparison.
        `production_metrics`, when given, replaces production's registered metrics: its scores
        on the data the challenger was scored on, so both are judged on the same period.
        """
        name = validate_version(version, allow_latest=False)
        production = self.current_version()
        if production is None:
            promoted = self.promote(name, expected_current=None, reason=reason or "first model")
            return PromotionDecision(promoted, name, None, ["no production version yet"], {})
        comparison = self.compare_versions(name, production, missing_ok=False)
        if production_metrics is not None:
            challenger = {k: r["value1"] for k, r in comparison.items() if r["value1"] is not None}
            rescored = validate_metrics(production_metrics, where="production_metrics")
            comparison = compare_metrics(name, challenger, production, rescored, self.directions)
        if production == name:
            return PromotionDecision(False, name, production, ["already production"], comparison)
        checked = (
            list(metrics)
            if metrics is not None
            else sorted(k for k, row in comparison.items() if row["value1"] is not None)
        )
        reasons, wins = judge_challenger(comparison, checked, min_improvement, self.directions)
        promoted = False
        if wins:
            why = reason or "; ".join(reasons)
            promoted = self.promote(name, expected_current=production, reason=why)
        return PromotionDecision(promoted, name, production, reasons, comparison)

    # --- cleanup and verify ---------------------------------------------------------------

    def cleanup_old_versions(
        self, keep_versions: int | None = None, *, dry_run: bool = False
    ) -> list[str]:
        """Delete all but the newest `keep_versions`, never one a channel points to.

        Returns the deleted versions (with `dry_run`, the ones that would be deleted).
        """
        keep = self.keep_versions if keep_versions is None else keep_versions
        if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
            raise InvalidInputError(f"keep_versions must be a whole number >= 1, got {keep!r}")
        if (done := self._delegated("cleanup", keep_versions=keep, dry_run=dry_run)) is not _UNSET:
            return list(done)
        backend = self._backend
        deleted: list[str] = []
        change = ChangeRecord("cleanup", self.location)
        with change.told(), backend.transaction():
            names = sort_newest_first(backend.version_names())
            protected = {backend.get_pointer(c) for c in backend.channel_names()}
            doomed = [n for n in names[keep:] if n not in protected]
            if dry_run:
                return doomed
            for item in backend.interrupted_writes():
                backend.remove_debris(item)
            for name in doomed:
                self._delete_logged(name, change, None)
                deleted.append(name)
        if deleted:
            log.info(
                "cleanup deleted %d version(s) from %s: %s",
                len(deleted),
                self.location,
                ", ".join(deleted),
            )
        return deleted

    def delete_version(self, version: str, *, reason: str | None = None) -> bool:
        """Delete one version; refused (InvalidInputError) while a channel points to it."""
        name = validate_version(version, allow_latest=False)
        if (done := self._delegated("delete", version=name, reason=reason)) is not _UNSET:
            return bool(done)
        backend = self._backend
        change = ChangeRecord("delete", self.location)
        with change.told(), backend.transaction():
            if backend.read_metadata(name) is None:
                log.error("cannot delete %s: it does not exist in %s", name, self.location)
                return False
            holders = sorted(c for c in backend.channel_names() if backend.get_pointer(c) == name)
            if holders:
                raise InvalidInputError(
                    f"version {name} is {', '.join(holders)}; promote another version first",
                    version=name,
                )
            self._delete_logged(name, change, reason)
        log.info("deleted version %s from %s", name, self.location)
        return True

    def _delete_logged(self, name: str, change: ChangeRecord, reason: str | None) -> None:
        """Delete a version, then log it; the deletion stands even when the log fails."""
        self._backend.delete_version(name)
        change.made(f"deleted version {name}", lambda: not self._exists(name))
        self._backend.append_event(
            Event(iso_utc(utc_now()), "delete", version=name, user=current_user(), reason=reason)
        )
        change.logged()

    def verify(
        self, repair: bool = False, *, progress: Callable[[int, int], None] | None = None
    ) -> VerifyReport:
        """Check every version's files against their hashes, the pointers and leftovers.

        With `repair=True`, mends what is safe to mend: removes leftovers of interrupted
        writes, rewrites stale statuses, and drops a pointer to a missing version (falling
        back to the previous production). Corrupt versions are reported, never deleted.
        `progress(done, total)` is called after each version's files are hashed.
        """
        from .verification import run_verify

        if (done := self._delegated("verify", repair=repair)) is not _UNSET:
            return VerifyReport(**done)
        return run_verify(self, self._backend, repair=repair, progress=progress)

    def _delegated(self, operation: str, **arguments: Any) -> Any:
        """What a registry server answered for `operation`, or _UNSET to run it here.

        A remote backend's primitives would race between clients; the server runs the whole
        operation (this same facade) under its lock instead. Unset arguments are left out.
        """
        if not self._backend.delegates_writes:
            return _UNSET
        given = {k: v for k, v in arguments.items() if v is not _UNSET}
        return self._backend.delegate(operation, **given)

    def debris(self) -> list[Debris]:
        return self._backend.debris()


@contextlib.contextmanager
def _all_or_nothing(what: str) -> Iterator[list[Callable[[], object]]]:
    """Collect an undo step before each write; if a later write fails, run them newest first.

    A caller who gets an error must find the registry as it was, not half-moved.
    """
    undo: list[Callable[[], object]] = []
    try:
        yield undo
    except BaseException:
        for step in reversed(undo):
            try:
                step()
            except Exception as exc:  # both failing is logged, not hidden
                log.error("could not undo part of a failed %s: %s", what, exc)
        raise


def _when(value: datetime | str | None, what: str) -> datetime | None:
    return None if value is None else parse_timestamp(value, what=what)
