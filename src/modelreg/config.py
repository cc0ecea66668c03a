"""Registry settings: arguments, then environment, then `config/model.yaml`, then defaults.

Resolved when a `ModelRegistry` is built, never at import, so tests and long-running
processes can point at different registries without reloading anything.

The file's `registry` section::

    registry:
      path: "models/"              # relative to the current working directory
      keep_versions: 5
      auto_cleanup: false          # clean up after every register
      lock_timeout: 60             # seconds a writer waits for the lock
      metric_directions: {sharpe: higher, drawdown: lower}
      model_format: pickle         # or "safe"
      trust_pickle: true
      model: default               # which named model of the location ($MODELREG_MODEL)
      metadata: [training_date, data_range, metrics, features, hyperparameters]
                                   # the caller-supplied fields to store (default: all)
      gate:                        # what a promote is judged on (promote_if_better, the UI, CLI)
        metrics: [direction_accuracy, rmse]   # default: every metric the candidate has
        min_improvement: {rmse: 0.001}        # or one number for all (default 0)
      channels:
        production: {require_approval: true}  # a promote here is a request another approves

The environment: `$MODELREG_REGISTRY` (path), `$MODELREG_MODEL` (model), `$MODELREG_CONFIG`
(this file), and for the layers that need them `$MODELREG_ARTIFACTS`, `$MODELREG_CACHE`,
`$MODELREG_TOKEN` (a client's) and `$MODELREG_TOKENS` (a server's). Every variable is read here
(`from_environment`) and nowhere else: a test forbids reading one elsewhere.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import InvalidInputError

__all__ = [
    "CONFIG_ENV",
    "ENVIRONMENT",
    "METADATA_FIELDS",
    "MODEL_ENV",
    "REGISTRY_ENV",
    "RegistryConfig",
    "from_environment",
    "load_config_file",
    "resolve_config",
]

CONFIG_ENV = "MODELREG_CONFIG"
REGISTRY_ENV = "MODELREG_REGISTRY"
MODEL_ENV = "MODELREG_MODEL"
#: the caller-supplied fields `registry.metadata` may list (what a version stores of them)
METADATA_FIELDS = ("training_date", "data_range", "metrics", "features", "hyperparameters")
#: every variable modelreg reads, by what it sets (docs/reference/configuration.md lists them)
ENVIRONMENT = {
    "path": REGISTRY_ENV,
    "model": MODEL_ENV,
    "config": CONFIG_ENV,
    "artifacts": "MODELREG_ARTIFACTS",
    "cache": "MODELREG_CACHE",
    "token": "MODELREG_TOKEN",
    "tokens": "MODELREG_TOKENS",
}
#: the settings of `RegistryConfig` the environment may set
_REGISTRY_SETTINGS = ("path", "model")
DEFAULT_CONFIG = Path("config") / "model.yaml"


@dataclass(frozen=True)
class RegistryConfig:
    """Everything a registry needs to know, resolved once at construction."""

    path: str = "models/"
    keep_versions: int = 5
    auto_cleanup: bool = False
    lock_timeout: float = 60.0
    metric_directions: dict[str, str] = field(default_factory=dict)
    model_format: str | None = None
    trust_pickle: bool | None = None
    metadata: list[str] = field(default_factory=lambda: list(METADATA_FIELDS))
    model: str | None = None
    gate: dict[str, Any] = field(default_factory=dict)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: str | None = None

    def __post_init__(self) -> None:
        """Refuse what YAML happily parses but means nothing here ("yes", 0, a list ...)."""
        checks = [
            ("path", isinstance(self.path, str) and bool(self.path.strip()), "a folder or URL"),
            (
                "keep_versions",
                _is_int(self.keep_versions) and self.keep_versions >= 1,
                "a whole number >= 1",
            ),
            (
                "lock_timeout",
                _is_number(self.lock_timeout) and self.lock_timeout >= 0,
                "a number of seconds >= 0",
            ),
            ("auto_cleanup", isinstance(self.auto_cleanup, bool), "true or false"),
            (
                "trust_pickle",
                self.trust_pickle is None or isinstance(self.trust_pickle, bool),
                "true or false",
            ),
            ("model_format", self.model_format in (None, "pickle", "safe"), "'pickle' or 'safe'"),
            (
                "metadata",
                isinstance(self.metadata, list) and set(self.metadata) <= set(METADATA_FIELDS),
                f"a list of {', '.join(METADATA_FIELDS)}",
            ),
            ("model", self.model is None or isinstance(self.model, str), "a model name"),
            (
                "metric_directions",
                _is_directions(self.metric_directions),
                "a mapping of metric name to 'higher' or 'lower'",
            ),
            (
                "gate",
                _is_gate(self.gate),
                "a mapping with 'metrics' (a list of metric names) and 'min_improvement' "
                "(a number >= 0, or a mapping of metric name to one)",
            ),
            (
                "channels",
                _is_channels(self.channels),
                "a mapping of channel name to {require_approval: true or false}",
            ),
        ]
        for name, ok, expected in checks:
            if not ok:
                raise InvalidInputError(
                    f"{name} must be {expected}, got {getattr(self, name)!r}" + _where(self.source),
                    setting=name,
                    path=self.source,
                )

    def requires_approval(self, channel: str) -> bool:
        """Whether a promote to `channel` is a request that another person must approve."""
        return bool(self.channels.get(channel, {}).get("require_approval", False))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_directions(value: object) -> bool:
    return isinstance(value, Mapping) and all(
        isinstance(k, str) and v in ("higher", "lower") for k, v in value.items()
    )


def _is_gate(value: object) -> bool:
    if not isinstance(value, Mapping) or set(value) - {"metrics", "min_improvement"}:
        return False
    metrics = value.get("metrics")
    if metrics is not None and not (
        isinstance(metrics, list) and metrics and all(isinstance(m, str) and m for m in metrics)
    ):
        return False
    needed = value.get("min_improvement", 0)
    if isinstance(needed, Mapping):
        return all(isinstance(k, str) and _is_number(v) and v >= 0 for k, v in needed.items())
    return _is_number(needed) and needed >= 0


def _is_channels(value: object) -> bool:
    return isinstance(value, Mapping) and all(
        isinstance(name, str)
        and isinstance(options, Mapping)
        and set(options) <= {"require_approval"}
        and isinstance(options.get("require_approval", False), bool)
        for name, options in value.items()
    )


def _where(source: str | None) -> str:
    return f" (in {source})" if source else ""


def load_config_file(path: Path) -> dict[str, Any]:
    """The `registry` section of a YAML config file, or {} when the file has none."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InvalidInputError(f"config file {path} does not exist", path=str(path)) from exc
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInputError(f"cannot read config file {path}: {exc}", path=str(path)) from exc
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise InvalidInputError(f"config file {path} must hold a mapping at the top level")
    section = data.get("registry") or {}
    if not isinstance(section, Mapping):
        raise InvalidInputError(f"'registry' in {path} must be a mapping")
    known = {f.name for f in fields(RegistryConfig)} - {"source"}
    unknown = sorted(set(section) - known)
    if unknown:
        raise InvalidInputError(
            f"unknown setting(s) {unknown} in the registry section of {path}; "
            f"known: {sorted(known)}",
            path=str(path),
        )
    return dict(section)


def _config_path(config_path: str | os.PathLike[str] | None) -> Path | None:
    if config_path is not None:
        return Path(config_path)
    env = from_environment("config")
    if env:
        return Path(env)
    return DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None


def resolve_config(
    *,
    config_path: str | os.PathLike[str] | None = None,
    **arguments: Any,
) -> RegistryConfig:
    """Merge arguments (None means "not given") over the environment over the config file."""
    path = _config_path(config_path)
    settings: dict[str, Any] = load_config_file(path) if path is not None else {}
    for setting in _REGISTRY_SETTINGS:
        value = from_environment(setting)
        if value:
            settings[setting] = value
    settings.update({k: v for k, v in arguments.items() if v is not None})
    if isinstance(settings.get("path"), os.PathLike):
        settings["path"] = os.fspath(settings["path"])
    return RegistryConfig(**settings, source=str(path) if path else None)


def from_environment(setting: str) -> str | None:
    """The environment's value for `setting` (a key of `ENVIRONMENT`); None when unset or empty.

    Read when called, never at import, so a test or a long-running process sees the current one.
    """
    return os.environ.get(ENVIRONMENT[setting]) or None
