"""PredictionService: serves production, explains bad input, follows the pointer live."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from modelreg import InvalidInputError, ModelRegistry, TrainingResult, VersionNotFoundError
from modelreg.serving import Prediction, PredictionService
from modelreg.training import TARGET, build_features, compute_features, generate_prices, train_model
from modelreg.training.features import WARMUP_BARS

BARS = generate_prices(400, seed=3)


@pytest.fixture(scope="module")
def results() -> tuple[TrainingResult, TrainingResult]:
    frame, features = build_features(BARS)
    return (
        train_model(frame, features, TARGET, hyperparameters={"alpha": 1.0}),
        train_model(frame, features, TARGET, model="gbm"),
    )


@pytest.fixture
def versions(registry: ModelRegistry, results) -> tuple[str, str]:
    first, second = (registry.register(r) for r in results)
    assert registry.promote_to_production(first)
    return first, second


def _run(code: str, *args: str) -> None:
    """Another process acting on the registry, as a deploy script would."""
    subprocess.run([sys.executable, "-c", code, *args], check=True, timeout=120)


PROMOTE = "import sys; from modelreg import ModelRegistry as R; R(sys.argv[1]).promote(sys.argv[2])"
ROLLBACK = (
    "import sys; from modelreg import ModelRegistry as R; R(sys.argv[1]).rollback_to_version()"
)


def test_predicts_from_bars_with_the_production_model(registry, versions, results) -> None:
    service = PredictionService(registry)
    answer = service.predict(BARS)
    assert isinstance(answer, Prediction)
    assert answer.version == versions[0] == service.version
    assert answer.values.index.equals(BARS.index[WARMUP_BARS - 1 :])
    X = compute_features(BARS)[results[0].features].dropna()
    np.testing.assert_allclose(answer.values.to_numpy(), results[0].model.predict(X))
    assert answer.latest == answer.values.iloc[-1]


def test_a_frame_of_features_gives_the_same_answer_as_bars(registry, versions) -> None:
    service = PredictionService(registry.path)
    features = compute_features(BARS).dropna()
    pd.testing.assert_series_equal(service.predict(features).values, service.predict(BARS).values)


def test_missing_features_are_named(registry, versions) -> None:
    service = PredictionService(registry)
    features = compute_features(BARS).dropna().drop(columns=["rsi_14"])
    with pytest.raises(InvalidInputError, match=f"rsi_14 that version {versions[0]}") as caught:
        service.predict(features)
    assert caught.value.missing == ["rsi_14"]
    with pytest.raises(InvalidInputError, match="pass OHLCV bars") as caught:
        service.predict(BARS.drop(columns=["volume"]))
    assert "volume_z_20" in caught.value.missing


def test_too_little_history_says_how_much_is_needed(registry, versions) -> None:
    with pytest.raises(InvalidInputError, match=f"pass {WARMUP_BARS} bars of history"):
        PredictionService(registry).predict(BARS.iloc[: WARMUP_BARS - 1])


def test_input_is_checked_against_the_models_signature(registry, versions) -> None:
    features = compute_features(BARS).dropna()
    features["ret_1"] = features["ret_1"].astype(str)
    with pytest.raises(InvalidInputError, match="ret_1"):
        PredictionService(registry).predict(features)


def test_nan_features_and_non_frames_are_refused(registry, versions) -> None:
    service = PredictionService(registry)
    features = compute_features(BARS).dropna()
    features.iloc[3, 2] = np.nan
    with pytest.raises(InvalidInputError, match="NaN"):
        service.predict(features)
    with pytest.raises(InvalidInputError, match="pandas DataFrame"):
        service.predict([[1.0, 2.0]])  # type: ignore[arg-type]


def test_no_production_model_yet(registry: ModelRegistry, results) -> None:
    registry.register(results[0])
    with pytest.raises(VersionNotFoundError, match="promote one first"):
        PredictionService(registry)


def test_each_call_reads_the_pointer_not_the_model(registry, versions, monkeypatch) -> None:
    service = PredictionService(registry)
    loads, reads = [], []
    load, read = registry.load_version, registry.backend.get_pointer
    monkeypatch.setattr(registry, "load_version", lambda *a, **k: loads.append(a) or load(*a, **k))
    monkeypatch.setattr(registry.backend, "get_pointer", lambda c: reads.append(c) or read(c))
    for _ in range(20):
        service.predict(BARS)
    assert loads == [] and len(reads) == 20
    registry.promote(versions[1])
    assert service.predict(BARS).version == versions[1]
    assert loads == [(versions[1],)]


def test_refresh_interval_spaces_out_the_pointer_reads(registry, versions, monkeypatch) -> None:
    now = [1000.0]
    monkeypatch.setattr("modelreg.serving.prediction.time.monotonic", lambda: now[0])
    service = PredictionService(registry, refresh_interval=5)
    registry.promote(versions[1])
    assert service.predict(BARS).version == versions[0]  # not looked yet
    now[0] += 5
    assert service.predict(BARS).version == versions[1]
    with pytest.raises(InvalidInputError, match="refresh_interval"):
        PredictionService(registry, refresh_interval=-1)


def test_a_version_that_fails_to_load_leaves_the_old_one_serving(
    registry, versions, results
) -> None:
    service = PredictionService(registry)
    broken = registry.register(results[1])
    with open(Path(registry.path) / broken / "model.pkl", "ab") as handle:
        handle.write(b"tampered")
    registry.promote(broken)
    answer = service.predict(BARS)  # no failed request: the integrity error is logged
    assert answer.version == versions[0]
    registry.promote(versions[1])
    assert service.predict(BARS).version == versions[1]


def test_next_prediction_after_another_process_promotes_uses_the_new_model(
    registry, versions
) -> None:
    service = PredictionService(str(registry.path))
    before = service.predict(BARS)
    _run(PROMOTE, str(registry.path), versions[1])
    after = service.predict(BARS)
    assert (before.version, after.version) == versions
    assert not np.allclose(before.values, after.values)  # really another model answered
    _run(ROLLBACK, str(registry.path))
    assert service.predict(BARS).version == versions[0]


def test_threads_keep_predicting_while_another_process_promotes_and_rolls_back(
    registry, versions
) -> None:
    service = PredictionService(str(registry.path))
    seen: list[list[str]] = [[] for _ in range(3)]
    errors: list[BaseException] = []
    stop = threading.Event()

    def predict_forever(log: list[str]) -> None:
        while not stop.is_set():
            try:
                log.append(service.predict(BARS.iloc[-80:]).version)
            except BaseException as exc:  # any failure is the test's failure
                errors.append(exc)

    def wait_until(version: str) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(s and s[-1] == version for s in seen):
            time.sleep(0.01)

    threads = [threading.Thread(target=predict_forever, args=(log,)) for log in seen]
    for thread in threads:
        thread.start()
    try:
        wait_until(versions[0])
        _run(PROMOTE, str(registry.path), versions[1])
        wait_until(versions[1])
        _run(ROLLBACK, str(registry.path))
        wait_until(versions[0])
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert errors == []
    for log in seen:  # each thread saw v1, then v2, then v1 again, never out of order
        runs = [v for i, v in enumerate(log) if i == 0 or log[i - 1] != v]
        assert runs == [versions[0], versions[1], versions[0]]
