"""A read token's tag filters are bounded and checked by the one tag rule before any query runs.

`GET /api/versions?tag=K=V` turns each filter into a join (SQL) or a lookup (folder index), so
a hostile reader could ask for thousands of them, or for keys built to break out of a query.
The tag rule allows at most 64 filters and only plain keys: anything else is a 422 naming the
problem, and the listing behind it is never run.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from modelreg import ModelRegistry
from server.support import READ_TOKEN, auth, rich_result, running_server


def _listing(url: str, tags: list[str]) -> httpx.Response:
    return httpx.get(
        f"{url}/api/versions", params=[("tag", t) for t in tags], headers=auth(READ_TOKEN)
    )


def test_too_many_hostile_or_malformed_tag_filters_are_refused(tmp_path: Path) -> None:
    served = ModelRegistry(tmp_path / "served")
    name = served.register(rich_result(0))
    served.set_tags(name, {"owner": "alice"})
    with running_server(served) as url:
        too_many = _listing(url, [f"k{i}=v" for i in range(65)])
        assert too_many.status_code == 422
        assert "at most 64" in too_many.json()["message"]
        for hostile in ["x' OR '1'='1=v", "../etc=v", "owner", "owner=a\x01b"]:
            answer = _listing(url, [hostile])
            assert answer.status_code == 422, hostile
        repeated = _listing(url, ["owner=alice"] * 1000)  # one filter, however often it is sent
        assert repeated.status_code == 200
        assert [v["version"] for v in repeated.json()] == [name]
