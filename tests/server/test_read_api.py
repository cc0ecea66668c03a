"""Read routes: list with filters, info, metadata, files, tables, compare, channels, history."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from core.test_hostile_input import HOSTILE_CHANNELS, HOSTILE_VERSIONS
from modelreg import ModelRegistry

HOSTILE = [
    "../etc",
    "..%2F..%2Fetc",
    "20260101_000000_0",
    "x" * 300,
    "latest%00",
    "20269999_999999",
]


def test_list_is_newest_first(client: TestClient, reader: dict, names: list[str]) -> None:
    rows = client.get("/api/versions", headers=reader).json()
    assert [r["version"] for r in rows] == names[::-1]
    assert set(rows[0]) >= {"metrics", "deployment_status", "training_date", "data_range"}
    assert "path" not in rows[0]  # the server's own folders stay private


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"min": "direction_accuracy:0.52"}, [1, 2]),
        ({"max": "rmse:0.03"}, [0, 1]),
        ({"min": ["direction_accuracy:0.52", "profit_factor:1.15"], "max": "rmse:0.05"}, [2]),
        ({"limit": 1}, [2]),
        ({"status": "registered"}, [0, 1, 2]),
        ({"trained_before": "2000-01-01"}, []),
    ],
)
def test_list_filters(
    client: TestClient, reader: dict, names: list[str], params: dict, expected: list[int]
) -> None:
    rows = client.get("/api/versions", params=params, headers=reader).json()
    assert sorted(r["version"] for r in rows) == sorted(names[i] for i in expected)


@pytest.mark.parametrize(
    "params",
    [
        {"min": "rmse"},
        {"min": "rmse:abc"},
        {"status": "live"},
        {"limit": -1},
        {"trained_after": "yesterday-ish"},
        {"min": ":1"},
    ],
)
def test_list_rejects_bad_filters(client: TestClient, reader: dict, params: dict) -> None:
    response = client.get("/api/versions", params=params, headers=reader)
    assert response.status_code == 422
    assert response.json()["error"] in ("invalid_input", "invalid_version")


def test_info_and_latest(
    client: TestClient, reader: dict, names: list[str], served: ModelRegistry
) -> None:
    info = client.get(f"/api/versions/{names[1]}", headers=reader).json()
    assert info["version"] == names[1]
    assert info["hyperparameters"]["alpha"] == 2.0
    assert client.get("/api/versions/latest", headers=reader).status_code == 404
    served.promote(names[1])
    latest = client.get("/api/versions/latest", headers=reader).json()
    assert (latest["version"], latest["channels"]) == (names[1], ["production"])


def test_unknown_version_is_404(client: TestClient, reader: dict, names: list[str]) -> None:
    for path in ("", "/metadata", "/files/model.pkl", "/tables/feature_importance"):
        response = client.get(f"/api/versions/20200101_000000{path}", headers=reader)
        assert response.status_code == 404, path
        assert response.json()["error"] == "not_found"


def _json_able(values: list[Any]) -> list[Any]:
    return [v for v in values if not isinstance(v, bytes)]


def test_hostile_versions_are_refused_on_every_route(
    client: TestClient, writer: dict, names: list[str]
) -> None:
    """The shared hostile list (tests/core): 404 or 422 in paths, 422 in bodies; never a 500."""
    for version in HOSTILE_VERSIONS:
        if version in (".", "..", ""):  # no segment / dot segments: another URL altogether
            continue
        quoted = quote(str(version), safe="")
        for method, path in [
            ("GET", f"/api/versions/{quoted}"),
            ("GET", f"/api/versions/{quoted}/metadata"),
            ("GET", f"/api/versions/{quoted}/files/model.pkl"),
            ("GET", f"/api/versions/{quoted}/tables/test_predictions"),
            ("DELETE", f"/api/versions/{quoted}"),
        ]:
            response = client.request(method, path, headers=writer)
            assert response.status_code in (404, 422), (method, path, response.text)
        params = {"version1": str(version), "version2": names[0]}
        assert client.get("/api/compare", params=params, headers=writer).status_code in (404, 422)
    for version in _json_able(HOSTILE_VERSIONS):
        for route in ("/api/promote", "/api/rollback"):
            response = client.post(route, json={"version": version}, headers=writer)
            assert response.status_code == 422, (route, version, response.text)
            assert response.json()["error"] in ("invalid_version", "invalid_input")


def test_hostile_channels_are_refused(client: TestClient, writer: dict, names: list[str]) -> None:
    for channel in _json_able(HOSTILE_CHANNELS):
        body = {"version": names[0], "channel": channel}
        assert client.post("/api/promote", json=body, headers=writer).status_code == 422
        if isinstance(channel, str):
            params = {"channel": channel}
            assert client.get("/api/history", params=params, headers=writer).status_code == 422


def test_download_streams_with_its_hash(
    client: TestClient, reader: dict, names: list[str], served: ModelRegistry
) -> None:
    meta = served.get_version_info(names[0])
    assert meta is not None
    response = client.get(f"/api/versions/{names[0]}/files/model.pkl", headers=reader)
    assert response.status_code == 200
    assert response.headers["x-checksum-sha256"] == meta["files"]["model.pkl"]["sha256"]
    assert hashlib.sha256(response.content).hexdigest() == meta["files"]["model.pkl"]["sha256"]


@pytest.mark.parametrize(
    "filename", ["metadata.json", "../../../etc/passwd", "nope.bin", "%2e%2e/x"]
)
def test_download_serves_registered_files_only(
    client: TestClient, reader: dict, names: list[str], filename: str
) -> None:
    response = client.get(f"/api/versions/{names[0]}/files/{filename}", headers=reader)
    assert response.status_code == 404


def test_tables_for_the_charts(client: TestClient, reader: dict, names: list[str]) -> None:
    table = client.get(f"/api/versions/{names[0]}/tables/test_predictions", headers=reader).json()
    assert table["columns"] == ["timestamp", "actual", "predicted"]
    assert len(table["rows"]) == 20 and isinstance(table["rows"][0][1], float)
    bad = client.get(f"/api/versions/{names[0]}/tables/secrets", headers=reader)
    assert bad.status_code == 422


def test_table_absent_is_empty(client: TestClient, reader: dict, served: ModelRegistry) -> None:
    from conftest import make_result

    name = served.register(make_result())
    table = client.get(f"/api/versions/{name}/tables/feature_importance", headers=reader).json()
    assert table == {"columns": [], "rows": [], "truncated": False}


def test_compare(client: TestClient, reader: dict, names: list[str]) -> None:
    params = {"version1": names[2], "version2": names[0]}
    rows = client.get("/api/compare", params=params, headers=reader).json()
    assert rows["direction_accuracy"]["winner"] == names[2]
    assert rows["rmse"]["winner"] == names[0]
    missing = client.get(
        "/api/compare", params={"version1": names[0], "version2": "latest"}, headers=reader
    )
    assert missing.status_code == 404
    assert (
        client.get("/api/compare", params={"version1": names[0]}, headers=reader).status_code == 422
    )


def test_channels_history_events_models(
    client: TestClient, reader: dict, names: list[str], served: ModelRegistry
) -> None:
    served.promote(names[0], reason="first")
    served.promote(names[1], "staging")
    assert client.get("/api/channels", headers=reader).json() == {
        "production": names[0],
        "staging": names[1],
    }
    history = client.get("/api/history", headers=reader).json()
    assert [(e["action"], e["version"], e["reason"]) for e in history] == [
        ("promote", names[0], "first")
    ]
    staging = client.get("/api/history", params={"channel": "staging"}, headers=reader).json()
    assert staging[0]["version"] == names[1]
    assert client.get("/api/history", params={"channel": "../x"}, headers=reader).status_code == 422
    actions = [e["action"] for e in client.get("/api/events", headers=reader).json()]
    assert actions == ["register"] * 3 + ["promote"] * 2
    assert client.get("/api/models", headers=reader).json()["models"] == ["default"]
    assert client.get("/api/debris", headers=reader).json() == []


def test_named_models(
    client: TestClient, reader: dict, writer: dict, served: ModelRegistry
) -> None:
    from .support import rich_result

    other = ModelRegistry(served.path, model="churn")
    name = other.register(rich_result(1))
    rows = client.get("/api/versions", params={"model": "churn"}, headers=reader).json()
    assert [r["version"] for r in rows] == [name]
    assert client.get("/api/versions", headers=reader).json() == []
    bad = client.get("/api/versions", params={"model": "../up"}, headers=reader)
    assert bad.status_code == 422


def test_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/versions", "/api/promote", "/api/rollback", "/api/cleanup", "/api/verify"} <= set(
        paths
    )


def test_the_ui_is_served_with_a_strict_policy(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "/static/app.js" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/../server.py").status_code == 404
