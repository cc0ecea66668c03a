"""Settings: argument > MODELREG_REGISTRY > config file > defaults, resolved at construction.

The config file is `config_path`, else `$MODELREG_CONFIG`, else `./config/model.yaml` when it
exists. A bad value is an InvalidInputError that names the file and the setting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import make_result
from modelreg import InvalidInputError, ModelRegistry
from modelreg.config import ENVIRONMENT, from_environment


def _write(path: Path, registry: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"registry": registry}))
    return path


def test_defaults(tmp_path: Path) -> None:
    registry = ModelRegistry()
    assert Path(registry.path) == tmp_path / "models"
    assert registry.keep_versions == 5
    assert registry.config.auto_cleanup is False
    assert registry.directions.direction("rmse") == "lower"
    assert registry.directions.direction("sharpe") == "higher"
    assert not (tmp_path / "models").exists(), "constructing a registry writes nothing"


@pytest.mark.parametrize(
    "name", ["rmse", "mse", "mae", "mape", "loss", "log_loss", "brier", "max_drawdown", "val_error"]
)
def test_lower_is_better_by_name(name: str) -> None:
    assert ModelRegistry().directions.direction(name) == "lower"


def test_default_config_file_in_cwd(tmp_path: Path) -> None:
    _write(tmp_path / "config" / "model.yaml", {"path": "store/", "keep_versions": 2})
    registry = ModelRegistry()
    assert Path(registry.path) == tmp_path / "store"
    assert registry.keep_versions == 2


def test_env_config_beats_cwd_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path / "config" / "model.yaml", {"keep_versions": 2})
    other = _write(tmp_path / "other.yaml", {"keep_versions": 3})
    monkeypatch.setenv("MODELREG_CONFIG", str(other))
    assert ModelRegistry().keep_versions == 3
    explicit = _write(tmp_path / "explicit.yaml", {"keep_versions": 4})
    assert ModelRegistry(config_path=explicit).keep_versions == 4
    assert ModelRegistry(config_path=explicit, keep_versions=7).keep_versions == 7


def test_path_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = _write(tmp_path / "c.yaml", {"path": "from-file"})
    assert Path(ModelRegistry(config_path=config).path) == tmp_path / "from-file"
    monkeypatch.setenv("MODELREG_REGISTRY", str(tmp_path / "from-env"))
    assert Path(ModelRegistry(config_path=config).path) == tmp_path / "from-env"
    assert Path(ModelRegistry(tmp_path / "arg", config_path=config).path) == tmp_path / "arg"


def test_relative_path_is_relative_to_cwd_not_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _write(tmp_path / "deep" / "conf" / "model.yaml", {"path": "models/"})
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    registry = ModelRegistry(config_path=config)
    registry.register(make_result())
    assert (tmp_path / "work" / "models").is_dir()
    assert not (tmp_path / "deep" / "conf" / "models").exists()


def test_resolved_at_construction_not_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODELREG_REGISTRY", str(tmp_path / "one"))
    first = ModelRegistry()
    monkeypatch.setenv("MODELREG_REGISTRY", str(tmp_path / "two"))
    assert Path(first.path) == tmp_path / "one"
    assert Path(ModelRegistry().path) == tmp_path / "two"


def test_metric_directions_override(tmp_path: Path) -> None:
    config = _write(tmp_path / "c.yaml", {"metric_directions": {"rmse": "higher", "dd": "lower"}})
    registry = ModelRegistry(tmp_path / "m", config_path=config)
    assert registry.directions.direction("rmse") == "higher"
    assert registry.directions.direction("dd") == "lower"
    a = registry.register(make_result(0, dd=0.1, rmse=0.1))
    b = registry.register(make_result(1, dd=0.2, rmse=0.2))
    comparison = registry.compare_versions(a, b)
    assert comparison["dd"]["winner"] == a and comparison["rmse"]["winner"] == b


def test_auto_cleanup_from_file(tmp_path: Path) -> None:
    config = _write(tmp_path / "c.yaml", {"keep_versions": 2, "auto_cleanup": True})
    registry = ModelRegistry(tmp_path / "m", config_path=config)
    names = [registry.register(make_result(seed)) for seed in range(4)]
    assert [v.version for v in registry.list_versions()] == names[:1:-1]


def test_an_empty_file_or_section_means_defaults(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert ModelRegistry(config_path=empty).keep_versions == 5
    other = tmp_path / "other.yaml"
    other.write_text("training: {epochs: 3}\n")
    assert ModelRegistry(config_path=other).keep_versions == 5


BAD_SETTINGS: list[tuple[str, Any]] = [
    ("keep_versions", 0),
    ("keep_versions", "five"),
    ("keep_versions", True),
    ("keep_versions", 2.5),
    ("lock_timeout", -1),
    ("lock_timeout", "soon"),
    ("lock_timeout", True),
    ("auto_cleanup", "yes"),
    ("auto_cleanup", 1),
    ("trust_pickle", "no"),
    ("metric_directions", {"rmse": "sideways"}),
    ("metric_directions", ["rmse"]),
    ("metric_directions", "rmse"),
    ("metric_directions", {"rmse": None}),
    ("model_format", "exe"),
    ("path", 5),
    ("path", ""),
    ("path", ["models"]),
    ("flavour", "typo"),
    ("metadata", ["metrics", "colour"]),
    ("metadata", "metrics"),
    ("model", 7),
]


@pytest.mark.parametrize(("key", "value"), BAD_SETTINGS, ids=lambda v: repr(v)[:20])
def test_bad_setting_names_the_file(tmp_path: Path, key: str, value: Any) -> None:
    config = _write(tmp_path / "conf" / "model.yaml", {key: value})
    with pytest.raises(InvalidInputError) as caught:
        ModelRegistry(config_path=config)
    assert str(config) in str(caught.value)
    assert key in str(caught.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["conf"], "nothing was written"


@pytest.mark.parametrize(
    "text", ["registry: [1, 2]\n", "- a\n- b\n", "registry: {keep_versions: 3\n"], ids=repr
)
def test_malformed_file_names_the_file(tmp_path: Path, text: str) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(text)
    with pytest.raises(InvalidInputError, match=r"bad\.yaml"):
        ModelRegistry(config_path=config)


def test_missing_named_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InvalidInputError, match=r"nope\.yaml"):
        ModelRegistry(config_path=tmp_path / "nope.yaml")
    monkeypatch.setenv("MODELREG_CONFIG", str(tmp_path / "gone.yaml"))
    with pytest.raises(InvalidInputError, match=r"gone\.yaml"):
        ModelRegistry()


@pytest.mark.parametrize(
    "kwargs", [{"keep_versions": 0}, {"keep_versions": "3"}, {"lock_timeout": -5}]
)
def test_bad_arguments(kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidInputError):
        ModelRegistry(**kwargs)


def test_the_model_comes_from_the_environment_in_the_library(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """$MODELREG_MODEL works for `ModelRegistry` as it does for the CLI; an argument wins."""
    monkeypatch.setenv("MODELREG_MODEL", "eth")
    registry = ModelRegistry(tmp_path / "models")
    assert registry.model == "eth"
    registry.register(make_result(1))
    assert ModelRegistry(tmp_path / "models", model="default").list_versions() == []
    assert ModelRegistry(tmp_path / "models", model="eth").list_versions() != []
    config = _write(tmp_path / "model.yaml", {"path": str(tmp_path / "models"), "model": "btc"})
    assert ModelRegistry(config_path=config).model == "eth"
    monkeypatch.delenv("MODELREG_MODEL")
    assert ModelRegistry(config_path=config).model == "btc"


def test_metadata_lists_the_fields_a_version_stores(tmp_path: Path) -> None:
    """`registry.metadata` (the original spec's setting) leaves the unlisted fields empty."""
    config = _write(
        tmp_path / "model.yaml",
        {"path": str(tmp_path / "models"), "metadata": ["metrics", "data_range"]},
    )
    registry = ModelRegistry(config_path=config)
    half_year = {"start": "2025-01-01", "end": "2025-06-30"}
    meta = registry.stored_metadata(registry.register(make_result(1), data_range=half_year))
    assert meta is not None
    assert meta["metrics"] and sorted(meta["data_range"]) == ["end", "start"]
    assert meta["features"] == [] and meta["hyperparameters"] == {}
    everything = ModelRegistry(tmp_path / "all").register(make_result(1))
    full = ModelRegistry(tmp_path / "all").stored_metadata(everything)
    assert full is not None and full["features"] and full["hyperparameters"]


@pytest.mark.parametrize("setting", sorted(ENVIRONMENT))
def test_each_variable_is_read_when_asked_and_empty_means_unset(
    setting: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    variable = ENVIRONMENT[setting]
    assert variable.startswith("MODELREG_")
    monkeypatch.setenv(variable, "")
    assert from_environment(setting) is None
    monkeypatch.setenv(variable, "value-now")
    assert from_environment(setting) == "value-now"


def test_a_given_backend_takes_the_model_argument_and_refuses_other_options(
    tmp_path: Path,
) -> None:
    """`ModelRegistry(backend=..., model=...)` used to drop `model` silently (issue 13)."""
    from modelreg import InvalidVersionError
    from modelreg.backends.local import LocalBackend

    root = tmp_path / "models"
    registry = ModelRegistry(backend=LocalBackend(root), model="eth")
    assert registry.model == "eth"
    name = registry.register(make_result())
    assert ModelRegistry(root, model="eth").get_version_info(name) is not None
    assert ModelRegistry(root).get_version_info(name) is None  # not the default model's
    with pytest.raises(InvalidVersionError):
        ModelRegistry(backend=LocalBackend(root), model="../eth")
    with pytest.raises(InvalidInputError, match="artifacts"):
        ModelRegistry(backend=LocalBackend(root), artifacts="s3://bucket/models")
