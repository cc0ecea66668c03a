"""Reading an MLflow model registry through MLflow's own client, and never writing to it.

The only module that imports `mlflow` (the `mlflow` extra), and only when an import runs. What
it hands on are plain records (`SourceModel`, `SourceVersion`, `SourceRun`), so the rest of
the importer knows nothing of MLflow's classes or of which MLflow release is installed.

MLflow's client creates what it does not find: an empty database gets MLflow's tables, a
missing `mlruns/` folder a default experiment. So before the client is made, `_check_exists`
makes sure the store is there and complete; a store that is not is refused, never created.
MLflow 2 and 3 drop a deleted model version from every search (`DELETED_INTERNAL` in SQL, a
removed folder in a file store): it is found only as a gap in the numbers.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from .._json_text import loads
from ..errors import InvalidInputError, MissingDependencyError
from ..lower_errors import translated
from .naming import redact_uri

__all__ = [
    "CONVERTIBLE_FLAVORS",
    "MLMODEL_FILE",
    "MlflowSource",
    "SourceModel",
    "SourceRun",
    "SourceVersion",
    "UnreadableArtifact",
    "describe_model_folder",
]

log = logging.getLogger("modelreg")

MLMODEL_FILE = "MLmodel"
#: MLflow flavors whose model modelreg stores in a format of its own, most specific first
CONVERTIBLE_FLAVORS = ("lightgbm", "xgboost", "sklearn")
_READY = "READY"
_PAGE = 1000
_DB_SCHEMES = ("postgresql", "mysql", "mssql", "sqlite")


class UnreadableArtifact(Exception):
    """One version's model files could not be read or loaded; the import goes on without it."""


@dataclass(frozen=True)
class SourceModel:
    """A registered model: its name, description, tags and aliases (alias -> version number)."""

    name: str
    description: str
    tags: dict[str, str]
    aliases: dict[str, int]


@dataclass(frozen=True)
class SourceVersion:
    """One model version as MLflow's registry describes it."""

    model: str
    number: int
    created: datetime
    status: str
    stage: str
    description: str
    tags: dict[str, str]
    run_id: str | None
    source: str
    user: str | None

    @property
    def ready(self) -> bool:
        return self.status == _READY


@dataclass(frozen=True)
class SourceRun:
    """What a version's run recorded: latest metric values, params, tags, start time."""

    run_id: str
    name: str
    experiment_id: str
    start_time: datetime | None
    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


class MlflowSource:
    """An MLflow tracking and registry store, opened read-only.

    Args:
        tracking_uri: what `mlflow.set_tracking_uri` takes (`sqlite:///mlflow.db`,
            `postgresql://...`, `http://server:5000`, a folder); empty for MLflow's default
            (`$MLFLOW_TRACKING_URI`). The model registry is read from the same place.
    """

    def __init__(self, tracking_uri: str) -> None:
        self._mlflow = _import_mlflow()
        uri = tracking_uri or self._mlflow.get_tracking_uri()
        self.uri = uri
        #: where the versions came from, as it is recorded and shown: no credentials
        self.location = redact_uri(uri)
        with self._errors("open"):
            _check_exists(uri, self._mlflow)
            # the registry too: left unset, MLflow would take the process's default and might
            # create it (a fresh `mlflow.db` in the working folder)
            self._client = self._mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)

    def __repr__(self) -> str:  # never the credentials
        return f"MlflowSource({self.location!r})"

    def _errors(self, action: str) -> contextlib.AbstractContextManager[None]:
        """MLflow's exceptions (any its stores raise) become ours, naming the store without
        secrets."""
        return translated(
            f"{action} the MLflow registry at",
            self.location,
            unknown=True,
            hide=self.uri,
            location=self.location,
        )

    # --- the registry ---------------------------------------------------------------------

    def model_names(self) -> list[str]:
        """Every registered model's name, sorted."""
        names: list[str] = []
        with self._errors("list the models of"):
            for page in self._pages(self._client.search_registered_models):
                names.extend(model.name for model in page)
        return sorted(names)

    def model(self, name: str) -> SourceModel:
        """A registered model; InvalidInputError when MLflow has none of that name."""
        with self._errors(f"read model {name!r} from"):
            try:
                found = self._client.get_registered_model(name)
            except self._mlflow.exceptions.MlflowException as exc:
                if getattr(exc, "error_code", "") != "RESOURCE_DOES_NOT_EXIST":
                    raise
                raise InvalidInputError(
                    f"the MLflow registry at {self.location} has no model {name!r}", model=name
                ) from None
        aliases = getattr(found, "aliases", None) or {}
        return SourceModel(
            name=found.name,
            description=found.description or "",
            tags=dict(found.tags or {}),
            aliases={str(alias): int(number) for alias, number in dict(aliases).items()},
        )

    def versions(self, model: str) -> list[SourceVersion]:
        """The model's live versions (deleted ones are gone from MLflow's answers), by number."""
        found: list[SourceVersion] = []
        with self._errors(f"list the versions of {model!r} in"):
            search = self._client.search_model_versions
            for page in self._pages(search, filter_string=_name_filter(model)):
                found.extend(_version(v) for v in page if v.name == model)
        return sorted(found, key=lambda v: v.number)

    def run(self, run_id: str | None) -> SourceRun | None:
        """The run that produced a version; None when it has none, or it was purged."""
        if not run_id:
            return None
        with self._errors(f"read run {run_id} from"):
            try:
                run = self._client.get_run(run_id)
            except self._mlflow.exceptions.MlflowException as exc:
                if getattr(exc, "error_code", "") == "RESOURCE_DOES_NOT_EXIST":
                    return None
                raise
        return SourceRun(
            run_id=run.info.run_id,
            name=run.info.run_name or "",
            experiment_id=str(run.info.experiment_id),
            start_time=_from_millis(run.info.start_time) if run.info.start_time else None,
            metrics=dict(run.data.metrics),
            params=dict(run.data.params),
            tags=dict(run.data.tags),
        )

    def _pages(self, search: Any, **arguments: Any) -> Iterator[list[Any]]:
        token = None
        while True:
            page = search(max_results=_PAGE, page_token=token, **arguments)
            yield list(page)
            token = getattr(page, "token", None)
            if not token:
                return

    # --- artifacts ------------------------------------------------------------------------

    def artifact_uri(self, version: SourceVersion) -> str:
        """Where the version's model files are stored (shown without credentials)."""
        try:
            return str(
                self._client.get_model_version_download_uri(version.model, str(version.number))
            )
        except Exception as exc:
            raise UnreadableArtifact(f"MLflow cannot locate its files: {exc}") from exc

    def download(self, version: SourceVersion, into: Path) -> Path:
        """Copy the version's model folder below `into`; returns the folder."""
        uri = self.artifact_uri(version)
        try:
            local = self._mlflow.artifacts.download_artifacts(
                artifact_uri=uri, dst_path=str(into), tracking_uri=self.uri
            )
        except Exception as exc:
            raise UnreadableArtifact(f"{redact_uri(uri)} cannot be read: {exc}") from exc
        folder = Path(local)
        if not folder.is_dir() or not any(p.is_file() for p in folder.rglob("*")):
            raise UnreadableArtifact(f"{redact_uri(uri)} holds no model files")
        return folder

    def artifact_bytes(self, version: SourceVersion) -> int:
        """The size of the version's model files, from a listing (nothing is downloaded)."""
        uri = self.artifact_uri(version)
        listing = self._mlflow.artifacts.list_artifacts
        total, files, pending = 0, 0, [uri.rstrip("/")]
        try:
            while pending:
                folder = pending.pop()
                # MLflow lists `a/b` from the store at `a`: entries are relative to the parent
                parent = folder.rsplit("/", 1)[0]
                for info in listing(artifact_uri=folder, tracking_uri=self.uri):
                    if info.is_dir:
                        pending.append(f"{parent}/{info.path}")
                    else:
                        total, files = total + int(info.file_size or 0), files + 1
        except Exception as exc:
            raise UnreadableArtifact(f"{redact_uri(uri)} cannot be listed: {exc}") from exc
        if not files:  # a missing folder lists as an empty one
            raise UnreadableArtifact(f"{redact_uri(uri)} holds no model files")
        return total

    def load_native(self, folder: Path, flavor: str) -> Any:
        """The model object an MLflow flavor saved in `folder` (this unpickles what it holds)."""
        try:
            module = _import_flavor(flavor)
            return module.load_model(str(folder))
        except MissingDependencyError:
            raise
        except Exception as exc:
            raise UnreadableArtifact(f"mlflow.{flavor} cannot load it: {exc}") from exc


def describe_model_folder(folder: Path) -> tuple[list[str], list[str]]:
    """(flavors, input column names) from an MLflow model folder's MLmodel file.

    A folder without MLmodel (a plain folder registered as a model) has neither; names come
    only from a column-based signature.
    """
    path = folder / MLMODEL_FILE
    if not path.is_file():
        return [], []
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        inputs = loads(((spec.get("signature") or {}).get("inputs")) or "[]")
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError, AttributeError) as exc:
        raise UnreadableArtifact(f"its {MLMODEL_FILE} file cannot be read: {exc}") from exc
    flavors = [str(f) for f in (spec.get("flavors") or {})] if isinstance(spec, dict) else []
    names = [str(c["name"]) for c in inputs if isinstance(c, dict) and c.get("name") is not None]
    return flavors, names


def _version(found: Any) -> SourceVersion:
    return SourceVersion(
        model=found.name,
        number=int(found.version),
        created=_from_millis(found.creation_timestamp),
        status=str(found.status or _READY),
        stage=str(found.current_stage or "None"),
        description=found.description or "",
        tags=dict(found.tags or {}),
        run_id=found.run_id or None,
        source=redact_uri(str(found.source or "")),
        user=found.user_id or None,
    )


def _name_filter(name: str) -> str:
    """MLflow's filter for one model name; MLflow's grammar has no escape for both quotes."""
    if "'" not in name:
        return f"name='{name}'"
    if '"' not in name:
        return f'name="{name}"'
    raise InvalidInputError(
        f"model name {name!r} holds both quote characters, which MLflow's search cannot express"
    )


def _from_millis(millis: int | None) -> datetime:
    return datetime.fromtimestamp((millis or 0) / 1000, tz=UTC)


def _import_mlflow() -> ModuleType:
    try:
        import mlflow
        import mlflow.artifacts
        import mlflow.exceptions
    except ImportError as exc:
        raise MissingDependencyError(
            f"importing from MLflow needs its client: pip install 'modelreg[mlflow]' ({exc})",
            module="mlflow",
            extra="mlflow",
        ) from exc
    return mlflow


def _import_flavor(flavor: str) -> Any:
    import importlib

    try:
        return importlib.import_module(f"mlflow.{flavor}")
    except ImportError as exc:
        raise MissingDependencyError(
            f"converting an MLflow {flavor} model needs {flavor}: pip install "
            f"'modelreg[{flavor if flavor != 'sklearn' else 'safe'}]' ({exc})",
            module=f"mlflow.{flavor}",
        ) from exc


# --- never create what is not there ------------------------------------------------------


def _check_exists(uri: str, mlflow: ModuleType) -> None:
    """Refuse a store MLflow's client would create or change on open."""
    scheme = urlsplit(uri).scheme.split("+")[0]
    if scheme in _DB_SCHEMES:
        _check_database(uri, scheme, mlflow)
    elif scheme in ("", "file") or len(scheme) == 1:
        _check_folder(Path(unquote(urlsplit(uri).path) if scheme == "file" else uri))


def _check_database(uri: str, scheme: str, mlflow: ModuleType) -> None:
    if scheme == "sqlite":
        path = uri.split(":///", 1)[-1].split("?", 1)[0]
        if not path or path == ":memory:" or not Path(path).is_file():
            raise InvalidInputError(
                f"no MLflow database at {redact_uri(uri)} (the file {path or '(none)'} does not "
                "exist); give the path of an existing mlflow.db",
                location=redact_uri(uri),
            )
        _check_sqlite_readable(Path(path), uri)
    from mlflow.store.db import utils

    engine = utils.create_sqlalchemy_engine(uri)  # no retries: a wrong address fails at once
    try:
        complete = utils._all_tables_exist(engine)
    finally:
        engine.dispose()
    if not complete:
        raise InvalidInputError(
            f"{redact_uri(uri)} is not an MLflow database of this MLflow's schema (tables are "
            "missing); MLflow would create them, so nothing was read. Check the URI, or run "
            "`mlflow db upgrade` with the MLflow release that wrote it",
            location=redact_uri(uri),
        )


def _check_sqlite_readable(path: Path, uri: str) -> None:
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise InvalidInputError(
            f"{redact_uri(uri)} is not an SQLite database: {exc}", location=redact_uri(uri)
        ) from exc


def _check_folder(root: Path) -> None:
    """A file store is complete when its trash and model folders exist (MLflow makes both)."""
    missing = [p.name for p in (root, root / ".trash", root / "models") if not p.is_dir()]
    if missing:
        raise InvalidInputError(
            f"{root} is not an MLflow file store with registered models (no {missing[0]}); "
            "MLflow would create it, so nothing was read",
            location=str(root),
        )
