"""The prediction app over HTTP: inputs, the signature enforced, limits, /ready, /metrics."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import httpx
import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from modelreg import ModelRegistry
from modelreg.serving.follower import ChannelFollower
from modelreg.serving.payload import Limits
from modelreg.serving.prediction_app import create_prediction_app
from modelreg.training.features import WARMUP_BARS

from . import models
from .support import (
    BARS,
    FEATURES,
    ROWS,
    custom,
    on_loopback,
    records,
    ridge,
    tamper,
    wait_for,
)

CSV = {"Content-Type": "text/csv"}


@pytest.fixture
def versions(registry: ModelRegistry) -> list[str]:
    names = [registry.register(ridge(alpha)) for alpha in (1.0, 30.0)]
    registry.promote(names[0])
    return names


@pytest.fixture
def follower(registry: ModelRegistry) -> ChannelFollower:
    return ChannelFollower(registry, poll_interval=2.5)


@pytest.fixture
def client(follower: ChannelFollower, versions) -> Iterator[TestClient]:
    """The app with its follower driven by hand: `follower.refresh()` is one look."""
    follower.refresh()
    app = create_prediction_app(
        follower, limits=Limits(max_bytes=64 * 1024, max_rows=500), follow=False
    )
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def _expected(alpha: float, frame: pd.DataFrame = ROWS) -> list[float]:
    return list(ridge(alpha).model.predict(frame[FEATURES]))


def test_json_records_and_columns_and_csv_give_the_same_answer(client, versions) -> None:
    bodies = [
        {"json": records()},
        {"json": ROWS.to_dict(orient="list")},
        {"json": {"dataframe_records": records()}},
        {"json": {"dataframe_split": json.loads(ROWS.to_json(orient="split", index=False))}},
        {"content": ROWS.to_csv(index=False), "headers": CSV},
        {
            "content": ROWS.to_csv(index=False),
            "headers": {"Content-Type": "text/csv; charset=utf-8"},
        },
    ]
    for body in bodies:
        answer = client.post("/predict", **body)
        assert answer.status_code == 200, answer.text
        assert answer.headers["x-model-version"] == versions[0]
        data = answer.json()
        assert data["version"] == versions[0] and data["channel"] == "production"
        np.testing.assert_allclose(data["predictions"], _expected(1.0))
        assert "timestamps" not in data


def test_one_record_as_an_object(client) -> None:
    answer = client.post("/predict", json=records()[0])
    assert answer.status_code == 200
    np.testing.assert_allclose(answer.json()["predictions"], _expected(1.0)[:1])


def test_raw_price_bars_go_through_the_feature_recipe(client) -> None:
    bars = BARS.tail(80).reset_index()
    bars["timestamp"] = bars["timestamp"].dt.strftime("%Y-%m-%d")
    for body in (
        {"json": bars.to_dict(orient="records")},
        {"content": bars.to_csv(index=False), "headers": CSV},
    ):
        answer = client.post("/predict", **body)
        assert answer.status_code == 200, answer.text
        data = answer.json()
        assert len(data["predictions"]) == 80 - WARMUP_BARS + 1
        assert data["timestamps"][-1] == f"{bars['timestamp'].iloc[-1]}T00:00:00"
        from modelreg.training import compute_features

        features = compute_features(BARS.tail(80))[FEATURES].dropna()
        np.testing.assert_allclose(data["predictions"], ridge(1.0).model.predict(features))


def test_too_few_bars_say_how_many_are_needed(client) -> None:
    bars = BARS.tail(10).reset_index()
    bars["timestamp"] = bars["timestamp"].astype(str)
    answer = client.post("/predict", json=bars.to_dict(orient="records"))
    assert answer.status_code == 422
    assert f"pass {WARMUP_BARS} bars" in answer.json()["message"]


def test_bars_for_a_version_whose_features_are_not_the_recipes(registry) -> None:
    version = registry.register(custom(models.ConstantModel(1.0)))
    registry.promote(version)
    follower = ChannelFollower(registry)
    follower.refresh()
    bars = BARS.tail(60).reset_index()
    with TestClient(create_prediction_app(follower, follow=False)) as client:
        answer = client.post("/predict", content=bars.to_csv(index=False), headers=CSV)
    assert answer.status_code == 422
    assert answer.json()["context"]["missing"] == ["a", "b", "c"]
    assert "the feature recipe does not compute them from bars" in answer.json()["message"]


def test_missing_columns_are_named(client) -> None:
    answer = client.post("/predict", json=[{"ret_1": 0.1, "rsi_14": 50.0}])
    assert answer.status_code == 422
    body = answer.json()
    assert body["error"] == "invalid_input"
    assert set(body["context"]["missing"]) == set(FEATURES) - {"ret_1", "rsi_14"}
    assert "ema_20" in body["message"]


@pytest.mark.parametrize(
    ("value", "problem"),
    [("high", "got str"), (True, "got bool"), (None, "has NaN values")],
)
def test_wrong_types_are_named(client, value, problem) -> None:
    row = records()[0] | {"rsi_14": value}
    answer = client.post("/predict", json=[row])
    assert answer.status_code == 422, answer.text
    assert "rsi_14" in answer.json()["message"] and problem in answer.json()["message"]


def test_integers_pass_where_floats_were_trained(client) -> None:
    row = {name: 1 for name in FEATURES}
    answer = client.post("/predict", json=[row])
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "records must be JSON objects"),
        (b'"rows"', "JSON string"),
        (b"[]", "no rows"),
        (b"   ", "empty"),
        (b'{"a": [1, 2], "b": [1]}', "differ in length"),
        (b'{"a": [1], "b": 2}', "not a mix"),
        (b'[{"a": [1, 2]}]', "row 0, column a: a array"),
        (b'[{"ret_1": NaN}]', "NaN is not a JSON number"),
        (b'{"dataframe_split": {"columns": ["a"], "data": [[1, 2]]}}', "row 0"),
        (b"[" * 30_000, "not valid JSON"),
    ],
)
def test_bad_json_is_a_clear_422(client, body, message) -> None:
    answer = client.post("/predict", content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 422, answer.text
    assert message in answer.json()["message"]


def test_bad_csv_is_a_clear_422(client) -> None:
    answer = client.post("/predict", content=b'a,b\n1,"2\n', headers=CSV)
    assert answer.status_code == 422
    assert "not readable CSV" in answer.json()["message"]


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "text/csv; charset=latin-1"],
)
def test_other_content_types_are_415(client, content_type) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    answer = client.post("/predict", content=ROWS.to_csv(index=False), headers=headers)
    assert answer.status_code == 415
    assert answer.json()["error"] == "unsupported_media_type"
    assert "text/csv" in answer.json()["message"]


def test_bodies_and_row_counts_over_the_limits_are_413(client) -> None:
    big = b"[" + b"1," * 40_000 + b"1]"
    answer = client.post("/predict", content=big, headers={"Content-Type": "application/json"})
    assert answer.status_code == 413 and answer.json()["error"] == "too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(100):
            yield b" " * 1024

    answer = client.post("/predict", content=chunks(), headers={"Content-Type": "application/json"})
    assert answer.status_code == 413
    many = pd.DataFrame({"a": range(501)})
    for body in ({"json": records(many)}, {"content": many.to_csv(index=False), "headers": CSV}):
        answer = client.post("/predict", **body)
        assert answer.status_code == 413, answer.text
        assert "501 rows" in answer.json()["message"] and "500" in answer.json()["message"]


def test_not_ready_until_a_version_can_serve(registry: ModelRegistry) -> None:
    follower = ChannelFollower(registry, poll_interval=2.5)
    with TestClient(create_prediction_app(follower, follow=False)) as client:
        before = client.get("/ready")
        assert (
            before.status_code == 503
            and before.json()["reason"] == "starting: production not read yet"
        )
        follower.refresh()
        assert (
            client.get("/ready").json()["reason"]
            == "production points to no version yet: promote one"
        )
        answer = client.post("/predict", json=records())
        assert answer.status_code == 503 and answer.headers["retry-after"] == "3"
        assert answer.json()["error"] == "not_ready"
        assert "promote one" in answer.json()["message"]
        broken = registry.register(ridge(3.0))
        tamper(registry, broken)
        registry.promote(broken)
        follower.refresh()
        ready = client.get("/ready")
        assert ready.status_code == 503
        assert f"points to {broken}, which cannot be served" in ready.json()["reason"]
        assert str(registry.path) not in ready.text, "no server path in an answer"
        assert "model.pkl does not match" in ready.json()["last_failure"]["message"]
        assert client.get("/health").json() == {"status": "ok"}


def test_ready_says_which_version_since_when_and_what_failed(
    client, follower, registry, versions
) -> None:
    ready = client.get("/ready").json()
    assert ready["ready"] and ready["version"] == versions[0] == ready["channel_version"]
    assert ready["since"].endswith("Z") and ready["last_failure"] is None
    broken = registry.register(custom(models.FailingModel(), features=FEATURES))
    registry.promote(broken)
    follower.refresh()
    ready = client.get("/ready")
    assert ready.status_code == 200, "a good model still answers: this replica stays in service"
    body = ready.json()
    assert body["version"] == versions[0] and body["channel_version"] == broken
    assert body["last_failure"]["version"] == broken and body["failed_swaps"] == 1
    assert "probe row" in body["last_failure"]["message"]
    assert client.post("/predict", json=records()).json()["version"] == versions[0]


def _metrics(client: TestClient) -> dict[str, float]:
    text = client.get("/metrics").text
    return {
        f"{s.name}{json.dumps(s.labels, sort_keys=True) if s.labels else ''}": s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metrics_count_requests_errors_swaps_and_name_the_version(
    client, follower, registry, versions
) -> None:
    for _ in range(3):
        client.post("/predict", json=records())
    client.post("/predict", json=[{"ret_1": 1}])
    client.post("/predict", content=b"x", headers={"Content-Type": "text/plain"})
    registry.promote(versions[1])
    follower.refresh()
    broken = registry.register(custom(models.FailingModel(), features=FEATURES))
    registry.promote(broken)
    follower.refresh()
    m = _metrics(client)
    assert m['modelreg_serve_requests_total{"outcome": "ok"}'] == 3
    assert m['modelreg_serve_requests_total{"outcome": "rejected"}'] == 2
    assert m['modelreg_serve_requests_total{"outcome": "failed"}'] == 0
    assert m['modelreg_serve_errors_total{"error": "invalid_input"}'] == 1
    assert m['modelreg_serve_errors_total{"error": "unsupported_media_type"}'] == 1
    assert m["modelreg_serve_request_duration_seconds_count"] == 5
    assert m["modelreg_serve_predicted_rows_total"] == 15
    assert m["modelreg_serve_swaps_total"] == 1 and m["modelreg_serve_failed_swaps_total"] == 1
    info = {k: v for k, v in m.items() if k.startswith("modelreg_serve_model_info")}
    assert info == {
        f'modelreg_serve_model_info{{"channel": "production", "version": "{versions[1]}"}}': 1
    }
    assert m["modelreg_serve_channel_ahead"] == 1 and m["modelreg_serve_ready"] == 1


def test_a_model_failing_on_good_input_is_a_500_naming_the_version(registry) -> None:
    version = registry.register(custom(models.ConstantModel(2.0)))
    registry.promote(version)
    follower = ChannelFollower(registry)
    follower.refresh()
    assert follower.serving is not None
    follower.serving.result.model.predict = models.FailingModel().predict  # after the check
    with TestClient(create_prediction_app(follower, follow=False)) as client:
        answer = client.post("/predict", json={"a": 1, "b": 2, "c": 3})
    assert answer.status_code == 500
    assert f"version {version} failed to predict 1 row(s): RuntimeError" in answer.json()["message"]


def test_an_unexpected_failure_is_a_500_body_and_a_log_line(client, monkeypatch, caplog) -> None:
    def broken(*args: object, **kwargs: object) -> bytes:
        raise TypeError("cannot encode that")

    monkeypatch.setattr("modelreg.serving.prediction_app.answer_json", broken)
    answer = client.post("/predict", json=records())
    assert answer.status_code == 500
    assert answer.json()["message"] == "the server failed: TypeError: cannot encode that"
    assert "POST /predict failed unexpectedly" in caplog.text
    assert _metrics(client)['modelreg_serve_requests_total{"outcome": "failed"}'] == 1


def test_a_request_in_flight_finishes_on_the_model_it_started_with(registry: ModelRegistry) -> None:
    """A swap while a request is inside the model: it answers from the old model, by name, and
    the next request gets the new one without waiting."""
    old = registry.register(custom(models.GatedModel(1.0)))
    new = registry.register(custom(models.ConstantModel(2.0)))
    registry.promote(old)
    follower = ChannelFollower(registry, poll_interval=0.01)
    models.GATE.clear()
    answers: list[httpx.Response] = []
    with on_loopback(create_prediction_app(follower)) as url:
        wait_for(lambda: httpx.get(f"{url}/ready").json()["version"] == old, "the old version")
        slow = threading.Thread(
            target=lambda: answers.append(
                httpx.post(f"{url}/predict", json={"a": 1, "b": 2, "c": 3}, timeout=30)
            )
        )
        slow.start()
        assert models.WAITING.acquire(timeout=10), "the request reached the model"
        registry.promote(new)
        wait_for(lambda: httpx.get(f"{url}/ready").json()["version"] == new, "the new version")
        fresh = httpx.post(f"{url}/predict", json={"a": 1, "b": 2, "c": 3}, timeout=10).json()
        assert fresh == {"version": new, "channel": "production", "predictions": [2.0]}
        models.GATE.set()
        slow.join(timeout=30)
    assert answers[0].status_code == 200
    assert answers[0].json() == {"version": old, "channel": "production", "predictions": [1.0]}


def test_requests_never_wait_for_a_load(registry: ModelRegistry) -> None:
    """While a new version loads (here, until the test lets it), the old one answers every
    request, and /ready says what is loading since when."""
    old = registry.register(custom(models.ConstantModel(1.0)))
    slow = registry.register(custom(models.SlowToLoad(2.0)))
    registry.promote(old)
    models.LOAD_GATE.clear()
    row = {"a": 1, "b": 2, "c": 3}
    with on_loopback(create_prediction_app(ChannelFollower(registry, poll_interval=0.01))) as url:
        wait_for(lambda: httpx.get(f"{url}/ready").json()["version"] == old, "the old version")
        registry.promote(slow)
        ready = wait_for(lambda: (r := httpx.get(f"{url}/ready").json())["loading"] and r, "load")
        assert ready["loading"]["version"] == slow and ready["version"] == old
        for _ in range(20):
            answer = httpx.post(f"{url}/predict", json=row, timeout=5)
            assert answer.json()["version"] == old
        models.LOAD_GATE.set()
        wait_for(lambda: httpx.get(f"{url}/ready").json()["version"] == slow, "the new version")
        assert httpx.post(f"{url}/predict", json=row).json()["predictions"] == [2.0]
        assert httpx.get(f"{url}/ready").json()["loading"] is None


def test_openapi_describes_predict(client) -> None:
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/predict"]["post"]["requestBody"]["content"]
    assert {"application/json", "text/csv"} <= set(body)
    assert {"413", "415", "422", "503"} <= set(spec["paths"]["/predict"]["post"]["responses"])


@pytest.mark.parametrize(
    ("message", "location", "shown"),
    [
        (
            "/srv/models/v1/model.pkl does not match",
            "/srv/models",
            "<registry>/v1/model.pkl does not match",
        ),
        ("gone: s3://bucket/models/sha256/ab/abcd", "/srv/models", "gone: <url>"),
        ("could not read at /data/blobs/sha256/ab/abcd: gone", "x", "could not read at abcd: gone"),
        (
            "cannot reach postgresql://u@db:5432/reg?options=x",
            "postgresql://u@db:5432/reg?options=x",
            "cannot reach <registry>",
        ),
        ("no models here: promote one", "models", "no models here: promote one"),
        ("see http://host:8080/api/docs", "models", "see http://host:8080/api/docs"),
    ],
)
def test_answers_show_no_server_path_or_database_url(message, location, shown) -> None:
    from modelreg.serving.prediction_app import _redact

    assert _redact(message, location) == shown
