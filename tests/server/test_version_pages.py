"""`GET /api/versions` pages, sorts and totals on the server; `GET /api/metrics` names metrics."""

from __future__ import annotations

from fastapi.testclient import TestClient

from modelreg import ModelRegistry
from modelreg.query import TOTAL_HEADER


def _versions(answer) -> list[str]:  # type: ignore[no-untyped-def]
    assert answer.status_code == 200, answer.text
    return [r["version"] for r in answer.json()]


def test_a_page_carries_the_total(client: TestClient, reader: dict, names: list[str]) -> None:
    first = client.get("/api/versions", params={"limit": 2}, headers=reader)
    assert _versions(first) == names[::-1][:2]
    assert first.headers[TOTAL_HEADER] == "3"
    second = client.get("/api/versions", params={"limit": 2, "offset": 2}, headers=reader)
    assert _versions(second) == [names[0]]
    assert second.headers[TOTAL_HEADER] == "3"
    unpaged = client.get("/api/versions", headers=reader)
    assert unpaged.headers[TOTAL_HEADER] == "3"
    filtered = client.get(
        "/api/versions", params={"limit": 1, "min": "direction_accuracy:0.52"}, headers=reader
    )
    assert filtered.headers[TOTAL_HEADER] == "2"


def test_the_total_is_exact_whether_or_not_it_is_counted(
    client: TestClient, reader: dict, names: list[str], served: ModelRegistry
) -> None:
    """A short page is its own total (no count); a full, empty or count-only page counts."""
    counted: list[object] = []
    backend = served.backend  # a catalog counts in the page's statement; a folder, here
    original = backend.count
    backend.count = lambda query: counted.append(query) or original(query)  # type: ignore[method-assign]
    cases = [
        ({"limit": 5}, "3", 0),  # short: 3 of at most 5
        ({"limit": 5, "offset": 1}, "3", 0),  # short, past the first
        ({"limit": 3}, "3", 1),  # full: there may be more
        ({"limit": 0}, "3", 1),  # only the count (the client's count_versions)
        ({"limit": 2, "offset": 7}, "3", 1),  # empty past the end
        ({"limit": 5, "min": "rmse:99"}, "0", 0),  # nothing matches
    ]
    for params, total, counts in cases:
        before = len(counted)
        answer = client.get("/api/versions", params=params, headers=reader)
        assert answer.status_code == 200, answer.text
        assert (answer.headers[TOTAL_HEADER], len(counted) - before) == (total, counts), params


def test_sort_on_the_server(client: TestClient, reader: dict, names: list[str]) -> None:
    up = client.get("/api/versions", params={"sort": "rmse", "descending": "false"}, headers=reader)
    assert _versions(up) == names  # rmse grows with the seed
    down = client.get("/api/versions", params={"sort": "rmse", "limit": 1}, headers=reader)
    assert _versions(down) == [names[2]]


def test_metric_names_with_counts(client: TestClient, reader: dict, names: list[str]) -> None:
    answer = client.get("/api/metrics", headers=reader)
    assert answer.json() == {"direction_accuracy": 3, "profit_factor": 3, "rmse": 3}
    assert client.get("/api/metrics").status_code == 401


def test_the_remote_client_pages_and_counts(served: ModelRegistry, names: list[str]) -> None:
    from modelreg.query import VersionQuery
    from server.support import READ_TOKEN, running_server

    with running_server(served) as url:
        remote = ModelRegistry(url, token=READ_TOKEN)
        page = remote.list_versions(sort="rmse", descending=False, offset=1, limit=1)
        assert [v.version for v in page] == [names[1]]
        assert remote.count_versions(VersionQuery.checked(max_metrics={"rmse": 0.025})) == 1
        assert remote.metric_names() == {"direction_accuracy": 3, "profit_factor": 3, "rmse": 3}
