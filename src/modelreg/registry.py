"""ModelRegistry: the public face of the registry.

It reads the configuration, checks every argument, resolves `latest`, compares metrics and
turns not-found into the original API's None/False answers (with one ERROR log). Everything
else is an `Operations` call (`operations/`): `StoreOperations` over a backend's primitives
for a folder or a SQL catalog, `RemoteOperations` for a `modelreg server`. The operations
raise; only the original methods here answer None or False.
"""

from __future__ import annotations

import copy
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from ._bulk import gc_paused
from .backends.base import Backend, Debris
from .config import RegistryConfig, resolve_config
from .downloads import DownloadMethods
from .edits import EditMethods
from .errors import (
    ApprovalRequiredError,
    CorruptVersionError,
    InvalidInputError,
    UntrustedModelError,
    VersionNotFoundError,
)
from .gate import PromotionDecision
from .integrity import copy_hashed, hash_folder, source_files
from .metadata import VersionFields, validate_description, version_fields
from .metrics import MetricDirections, compare_metrics, validate_metrics
from .operations import (
    UNSET,
    Operations,
    PointerMove,
    StoreOperations,
    VerifyReport,
    open_operations,
)
from .promotions import PromotionMethods
from .query import VersionQuery
from .result import TrainingResult, write_artifacts
from .transfer import TransferMethods
from .versions import (
    LATEST,
    PRODUCTION,
    ModelVersion,
    alias_channel,
    listed_versions,
    validate_channel,
    validate_model_name,
    validate_version,
)

__all__ = ["PRODUCTION", "ModelRegistry", "PromotionDecision", "VerifyReport"]

log = logging.getLogger("modelreg")


class ModelRegistry(TransferMethods, EditMethods, PromotionMethods, DownloadMethods):
    """Versions, metadata, promotion, rollback and cleanup of trained models.

    Args:
        path: a folder (default `models/`), or a URL of another backend.
        keep_versions: how many of the newest versions cleanup keeps (default 5).
        config_path: a YAML file with a `registry` section (else `$MODELREG_CONFIG`, else
            `./config/model.yaml` when it exists).
        model: which named model of the location (default `default`).
        backend: a `Backend` to use instead of opening `path` (a fourth storage kind).
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
            model=model,
        )
        self._ops: Operations = open_operations(
            self.config.path,
            backend=backend,
            lock_timeout=self.config.lock_timeout,
            model=self.config.model,
            **backend_options,
        )
        self.directions = MetricDirections(self.config.metric_directions)

    # --- properties -----------------------------------------------------------------------

    @property
    def operations(self) -> Operations:
        """The operations seam under this facade (raising, typed): for the server and CLI."""
        return self._ops

    @property
    def backend(self) -> Backend:
        """The storage primitives; a registry server has none (InvalidInputError)."""
        if isinstance(self._ops, StoreOperations):
            return self._ops.backend
        raise InvalidInputError(
            f"{self.location} is a registry server: it has operations, not storage primitives"
        )

    @property
    def location(self) -> str:
        return self._ops.location

    @property
    def path(self) -> Path | str:
        """The registry's root folder (local) or URL (other backends)."""
        root = getattr(getattr(self._ops, "backend", None), "root", None)
        return root if isinstance(root, Path) else self._ops.location

    @property
    def keep_versions(self) -> int:
        return self.config.keep_versions

    @property
    def model_format(self) -> str:
        return self.config.model_format or self._ops.default_model_format

    @property
    def trust_pickle(self) -> bool:
        trust = self.config.trust_pickle
        return self._ops.trusted_by_default if trust is None else trust

    def __repr__(self) -> str:
        return f"ModelRegistry({self.location!r})"

    def close(self) -> None:
        self._ops.close()

    @property
    def model(self) -> str:
        """Which of the location's named models this registry reads and writes."""
        return self._ops.model

    def models(self) -> list[str]:
        """The named models stored at this location (`ModelRegistry(url, model=...)`)."""
        return self._ops.model_names()

    def for_model(self, model: str) -> ModelRegistry:
        """Another named model at this location, with these settings and these connections.

        A server answering for many models keeps one database pool this way, not one each.
        """
        name = validate_model_name(model)
        if name == self.model:
            return self
        other = copy.copy(self)
        other._ops = self._ops.for_model(name)
        return other

    def staging_folder(self) -> AbstractContextManager[Path]:
        """A fresh folder in the registry's own staging area, removed after the block.

        For data on its way in (a server's uploads): if the process dies meanwhile, it is
        left where `verify --repair` finds and removes it, like an interrupted registration.
        """
        return self._ops.staging()

    def create(self) -> None:
        """Create the registry's storage where it does not exist yet; harmless where it does."""
        self._ops.create()

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

        def write(folder: Path) -> tuple[dict[str, Any], dict[str, Any]]:
            record = write_artifacts(training_result, folder, model_format=self.model_format)
            return hash_folder(folder, record["model"].pop("hashes", None)), record

        return self._store(fields, write)

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

        if not callable(source) and known_hashes is None:
            # each file read once, where it is when the store allows (a server, an object store)
            sources = source_files(Path(source))
            record = validate_description(dict(artifacts or {}), sources)
            kept = fields.only(self.config.metadata)
            return self._registered(self._ops.register_sources(sources, record, kept, progress))

        def write(staged: Path) -> tuple[dict[str, Any], dict[str, Any]]:
            written: Mapping[str, Mapping[str, Any]] = (
                source(staged) if callable(source) else copy_hashed(Path(source), staged, progress)
            )
            return hash_folder(staged, {**written, **(known_hashes or {})}), dict(artifacts or {})

        return self._store(fields, write)

    def _store(
        self, fields: VersionFields, write: Callable[[Path], tuple[dict[str, Any], dict[str, Any]]]
    ) -> str:
        """Stage, write and hash the artifacts, register them; clean up when configured to.

        Every registration but a file or folder read in place (`register_sources`) takes this
        path; both store only the configured fields and end in `_registered`.
        """
        with self._ops.staging() as staged:
            files, record = write(staged)
            record = validate_description(record, files)
            kept = fields.only(self.config.metadata)
            name = self._ops.register(staged, files, record, kept)
        return self._registered(name)

    def _registered(self, name: str) -> str:
        """Every registration ends here: logged, then the auto-cleanup when configured."""
        log.info("registered version %s in %s", name, self.location)
        if self.config.auto_cleanup:
            self.cleanup_old_versions()
        return name

    # --- read -----------------------------------------------------------------------------

    def _resolve(self, version: str) -> str | None:
        """A real version name for `version` or an alias (`latest`, `@staging`), or None."""
        name = validate_version(version)
        channel = alias_channel(name)
        return name if channel is None else self._ops.get_pointer(channel)

    def _existing(self, version: str, action: str) -> str:
        """The real version `version` (or an alias) names; where none, VersionNotFoundError
        saying what could not be done (`cannot promote: version ... not found in ...`)."""
        name = self._resolve(version)
        if name is None:
            raise VersionNotFoundError(
                f"cannot {action}: {self.describe_missing(version)}", version=version
            )
        return name

    def describe_missing(self, version: str) -> str:
        """ "version X not found in Y", saying when X is an alias whose channel is empty.

        For the CLI and the server, which answer "not found" with the same words.
        """
        channel = alias_channel(version) if isinstance(version, str) else None
        empty = f" (no {channel} version yet)" if channel else ""
        return f"version {version} not found in {self.location}{empty}"

    def current_version(self, channel: str = PRODUCTION) -> str | None:
        """The version `channel` points to now, or None; one pointer read, cheap to poll."""
        return self._ops.get_pointer(validate_channel(channel))

    def stored_metadata(self, version: str) -> dict[str, Any] | None:
        """A version's metadata.json exactly as stored (aliases resolved); None if absent.

        Unlike `get_version_info`, nothing is overlaid and nothing is logged: this is the
        file's content, for readers that serve or copy it.
        """
        name = self._resolve(version)
        return self._ops.read_metadata(name) if name else None

    def open_artifact(self, version: str, filename: str) -> IO[bytes]:
        """Stream one of a version's registered files; only names in its `files` are reachable.

        Raises VersionNotFoundError when the version, or that file of it, does not exist.
        """
        return self.open_registered(version, filename).handle

    def get_version_info(self, version: str) -> dict[str, Any] | None:
        """The version's metadata, with its effective status and channels; None if absent."""
        try:  # an alias is resolved by the same read (one statement on a catalog)
            return self._ops.version_info(validate_version(version))
        except VersionNotFoundError:
            log.error("%s", self.describe_missing(version))
            return None

    def load_version(
        self, version: str = LATEST, *, trust_pickle: bool | None = None
    ) -> TrainingResult | None:
        """Load a version (default: production; `@staging`: what staging points to).

        Every artifact's sha256 is checked before anything is unpickled.
        """
        trust = self.trust_pickle if trust_pickle is None else trust_pickle
        channel = alias_channel(validate_version(version))
        for _attempt in range(3):  # an alias may move, and the old one be cleaned up, meanwhile
            name, meta = self._ops.resolve_metadata(version)
            if name is None:
                log.error("%s; promote one first", self.describe_missing(version))
                return None
            if meta is not None:
                try:
                    with self._ops.checked_folder(meta) as folder:
                        try:
                            return TrainingResult.load(folder, trust_pickle=trust)
                        except UntrustedModelError as exc:  # a cache's scratch path means nothing
                            raise _naming_version(exc, folder, name, self.location) from exc
                except (CorruptVersionError, VersionNotFoundError, OSError):
                    if self._ops.read_metadata(name) is not None:
                        raise  # still there, so really broken
                    # else a cleanup deleted it while we read: readers take no lock
            if channel is None:
                log.error("%s", self.describe_missing(version))
                return None
        log.error("%s in %s kept moving while loading; retry", channel, self.location)
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
        tags: Mapping[str, str] | None = None,
        offset: int = 0,
        sort: str = "version",
        descending: bool = True,
    ) -> list[ModelVersion]:
        """Versions newest first, filtered by metrics, training date, status and tags.

        `sort` (`version`, `trained`, `status` or a metric), `descending`, `offset` and
        `limit` select one page of another order (`count_versions` gives the total).
        """
        seed_floors = {
            "direction_accuracy": min_direction_accuracy,
            "profit_factor": min_profit_factor,
        }
        floors = dict(min_metrics or {})
        floors.update(
            validate_metrics(
                {k: v for k, v in seed_floors.items() if v is not None}, where="list_versions"
            )
        )
        query = VersionQuery.checked(
            min_metrics=floors,
            max_metrics=max_metrics,
            trained_after=trained_after,
            trained_before=trained_before,
            status=status,
            limit=limit,
            tags=tags,
            offset=offset,
            sort=sort,
            descending=descending,
        )
        return self.find_versions(query)

    def count_versions(self, query: VersionQuery | None = None) -> int:
        """How many versions match `query`'s filters (all of them without one)."""
        query = query or VersionQuery()
        if query.status is not None:  # only a status filter depends on the pointer
            query = query.at(self._ops.get_pointer(PRODUCTION))
        return self._ops.count_versions(query)

    def metric_names(self) -> dict[str, int]:
        """Each metric some version records, with how many versions record it."""
        return self._ops.metric_names()

    def find_versions(self, query: VersionQuery) -> list[ModelVersion]:
        """`list_versions` for a query already built (`VersionQuery.from_params`: the server)."""
        if query.limit == 0:
            return []
        metas, pointers = self._ops.query_with_pointers(query)
        with gc_paused():  # 100,000 rows of dicts, none in a cycle
            return listed_versions(metas, self._ops.location_of, pointers)

    def find_page(self, query: VersionQuery) -> tuple[list[ModelVersion], int]:
        """`find_versions`, and how many versions match `query`'s filters in all (the total
        its pages add up to): what a listing route answers, one read on a catalog."""
        metas, pointers, total = self._ops.query_with_total(query)
        with gc_paused():
            return listed_versions(metas, self._ops.location_of, pointers), total

    def compare_versions(
        self, version1: str, version2: str, *, missing_ok: bool = True
    ) -> dict[str, Any]:
        """Per metric of either version: both values, value1 - value2, and the winner.

        `winner` is the real version name (so `winner == version` works even when you passed
        an alias, `latest` or `@staging`), or None on a tie or when one side lacks the metric.
        A version that does not exist (an empty alias too) lacks every metric, so its values and
        every winner is None, and an ERROR log names it; `missing_ok=False` raises
        VersionNotFoundError instead (the CLI and the server, which answer "not found").
        """
        metas = []
        for version in (version1, version2):
            name = self._resolve(version)
            meta = self._ops.read_metadata(name) if name else None
            if meta is None:
                problem = self.describe_missing(version)
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
        expected_current: str | None = UNSET,
        reason: str | None = None,
    ) -> bool:
        """Point `channel` at `version`.

        With `expected_current`, fails with PromotionConflict when the channel points
        elsewhere by now (None: expects no version there yet).
        On a channel that needs approval, the promote is filed as a request: False, and a
        WARNING naming it.
        """
        try:
            return _found(
                lambda: self.move_pointer(
                    version, channel, expected_current=expected_current, reason=reason
                )
            )
        except ApprovalRequiredError as exc:
            log.warning("%s", exc)
            return False

    def _source(self, version: str) -> str:
        """What to promote: a version name, or `@channel` for the version it points to.

        `latest` stays refused here: promoting "latest" reads as "the newest version".
        """
        if version == LATEST:
            return validate_version(version, allow_latest=False)  # raises, saying why
        return self._existing(version, "promote")

    def rollback_to_version(
        self, version: str | None = None, *, reason: str | None = None, channel: str = PRODUCTION
    ) -> bool:
        """Put production (or `channel`) back on `version`, or with none on the one before."""
        return _found(lambda: self.rollback(version, reason=reason, channel=channel))

    def rollback(
        self, version: str | None = None, *, reason: str | None = None, channel: str = PRODUCTION
    ) -> PointerMove:
        """`rollback_to_version`, answering what moved; VersionNotFoundError where it is False."""
        channel = validate_channel(channel)
        if version is None:
            return self._ops.rollback(reason=reason, channel=channel)
        name = validate_version(version, allow_latest=False)
        self._check_rollback(name, channel)
        log.warning("rolling %s back to %s in %s", channel, name, self.location)
        return self._ops.move_pointer(name, channel, action="rollback", reason=reason)

    def channels(self) -> dict[str, str | None]:
        """Every channel with a pointer, and the version it points to."""
        return self._ops.pointers()

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
        return self._ops.cleanup(keep, dry_run=dry_run)

    def delete_version(self, version: str, *, reason: str | None = None) -> bool:
        """Delete one version; refused (InvalidInputError) while a channel points to it."""
        name = validate_version(version, allow_latest=False)
        return _found(lambda: self._ops.delete(name, reason=reason))

    def verify(
        self, repair: bool = False, *, progress: Callable[[int, int], None] | None = None
    ) -> VerifyReport:
        """Check every version's files against their hashes, the pointers and leftovers.

        With `repair=True`, mends what is safe to mend: removes leftovers of interrupted
        writes, rewrites stale statuses, and drops a pointer to a missing version (falling
        back to the previous production). Corrupt versions are reported, never deleted.
        `progress(done, total)` is called after each version's files are hashed.
        """
        return self._ops.verify(repair=repair, progress=progress)

    def debris(self) -> list[Debris]:
        return self._ops.debris()


def _found(operation: Callable[[], object]) -> bool:
    """The original API's answer: True when done, False (one ERROR log) when not found."""
    try:
        operation()
    except VersionNotFoundError as exc:
        log.error("%s", exc)
        return False
    return True


def _naming_version(
    exc: UntrustedModelError, folder: Path, name: str, location: str
) -> UntrustedModelError:
    """The refusal with the version's name where the flavor saw only a (temporary) folder."""
    where = f"version {name}"
    context = {
        k: v.replace(str(folder), where) if isinstance(v, str) else v
        for k, v in exc.context.items()
    }
    message = f"{location}: {exc.message.replace(str(folder), where)}"
    return UntrustedModelError(message, **context, version=name)
