"""Finding 5: an untrusted load imported any installed module a version's metadata named.

The LightGBM flavor imported the `class` recorded in metadata before checking it:
`class="this:Booster"` printed the Zen of Python, and `venv.__main__:Booster` raised SystemExit
out of `load_version`, which would kill a serving process. A write token is all it took. Now a
flavor checks the class path against its own library before importing anything (other modules
need trust), and whatever a load raises comes out as a ModelRegistryError.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from modelreg import ModelRegistry

from .support import READ_TOKEN, WRITE_TOKEN, auth

LOAD = """
import sys
from modelreg import ModelRegistry, ModelRegistryError
trust = sys.argv[4:] == ["trust"]
registry = ModelRegistry(sys.argv[1], token=sys.argv[2], trust_pickle=trust)
try:
    registry.load_version(sys.argv[3])
except ModelRegistryError as exc:
    print("refused:", type(exc).__name__, exc)
print("imported this:", "this" in sys.modules)
"""


def _booster_text() -> bytes:
    import lightgbm
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    model = lightgbm.LGBMRegressor(n_estimators=2, min_child_samples=5, verbose=-1)
    model.fit(X, X[:, 0])
    return model.booster_.model_to_string().encode()


@pytest.mark.parametrize("class_path", ["this:Booster", "venv.__main__:Booster"])
def test_a_class_path_outside_the_library_is_refused_before_any_import(
    url: str, served: ModelRegistry, tmp_path: Path, class_path: str
) -> None:
    pytest.importorskip("lightgbm")
    model = _booster_text()
    record = {
        "flavor": "lightgbm",
        "class": class_path,
        "files": ["model.txt"],
        "wrapper": {"params": {}, "objective": "regression", "n_features_in": 3},
    }
    loaded = _load(url, _upload(url, "model.txt", model, record), tmp_path)
    assert "Beautiful is better than ugly" not in loaded
    assert "refused: UntrustedModelError" in loaded, loaded
    assert class_path in loaded
    assert "imported this: False" in loaded


class _Exits:
    """A pickle that ends the process that loads it."""

    def __reduce__(self) -> tuple[object, tuple[int]]:
        return (sys.exit, (3,))


def test_a_model_that_exits_while_loading_is_an_error_not_an_exit(
    url: str, served: ModelRegistry, tmp_path: Path
) -> None:
    record = {"flavor": "pickle", "files": ["model.pkl"]}
    version = _upload(url, "model.pkl", pickle.dumps(_Exits()), record)
    loaded = _load(url, version, tmp_path, "trust")
    assert "refused: CorruptVersionError" in loaded and "SystemExit" in loaded, loaded


def _upload(url: str, filename: str, data: bytes, record: dict[str, object]) -> str:
    meta = {
        "metrics": {"rmse": 0.1},
        "files": {filename: {"sha256": hashlib.sha256(data).hexdigest()}},
        "artifacts": {"model": record},
    }
    answer = httpx.post(
        f"{url}/api/versions",
        data={"metadata": json.dumps(meta)},
        files=[("files", (filename, data))],
        headers=auth(WRITE_TOKEN),
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["version"])


def _load(url: str, version: str, cwd: Path, *trust: str) -> str:
    """Load `version` in a client process of its own; what it printed."""
    loaded = subprocess.run(
        [sys.executable, "-c", LOAD, url, READ_TOKEN, version, *trust],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )
    assert loaded.returncode == 0, (loaded.returncode, loaded.stdout, loaded.stderr)
    return loaded.stdout
