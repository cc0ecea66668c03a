"""The torch flavor: weights in safetensors, the class rebuilt from its import path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from modelreg import ModelRegistry, TrainingResult, UntrustedModelError
from modelreg.flavors import load_model, save_model
from modelreg.flavors.base import Unsupported
from modelreg.flavors.torch import _init_kwargs

TORCH_MISSING = "torch is not installed (pip install 'modelreg[torch]')"


def _net() -> Any:
    pytest.importorskip("torch", reason=TORCH_MISSING)
    pytest.importorskip("safetensors", reason=TORCH_MISSING)
    from flavors.torch_models import TinyNet

    return TinyNet(n_in=3)


def test_torch_round_trip_through_a_safe_registry(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch", reason=TORCH_MISSING)
    net = _net()
    registry = ModelRegistry(tmp_path / "models", model_format="safe", trust_pickle=False)
    version = registry.register(TrainingResult(model=net, metrics={"rmse": 1.0}, features=[]))
    info = registry.get_version_info(version)
    assert info is not None
    assert info["model"]["flavor"] == "torch"
    assert info["model"]["class"] == "flavors.torch_models:TinyNet"
    assert info["model"]["init_kwargs"] == {"n_in": 3, "hidden": 4}
    with pytest.raises(UntrustedModelError, match="outside torch"):  # its module would run
        registry.load_version(version)
    loaded = registry.load_version(version, trust_pickle=True)
    assert loaded is not None
    assert not loaded.model.training  # ready to predict
    x = torch.from_numpy(np.random.default_rng(0).normal(size=(5, 3)).astype("float32"))
    with torch.no_grad():
        assert torch.equal(loaded.model(x), net.eval()(x))


def test_a_recorded_class_that_is_not_a_module_is_refused(tmp_path: Path) -> None:
    net = _net()
    record = save_model(net, tmp_path, model_format="safe")
    with pytest.raises(UntrustedModelError, match=r"os:system, outside torch"):
        load_model(tmp_path, {**record, "class": "os:system"}, trust_pickle=False)
    with pytest.raises(UntrustedModelError, match=r"os:system is not a torch\.nn"):
        load_model(tmp_path, {**record, "class": "os:system"}, trust_pickle=True)


class _NeedsArguments:
    def __init__(self, size: int) -> None:
        self.size = size


class _Recorded(_NeedsArguments):
    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.init_kwargs = {"size": size}


def test_init_kwargs_are_checked_when_saving_not_when_loading() -> None:
    """These need no torch: they check the constructor against what will be recorded."""
    assert _init_kwargs(_Recorded(3)) == {"size": 3}
    with pytest.raises(Unsupported, match="init_kwargs"):
        _init_kwargs(_NeedsArguments(3))


def test_classes_that_cannot_be_imported_later_are_refused() -> None:
    class Local:
        pass

    with pytest.raises(Unsupported, match="inside a function"):
        _init_kwargs(Local())
