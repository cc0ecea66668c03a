"""Property-based run over the OpenAPI document: no generated request gets a server error."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from modelreg import ModelRegistry
from modelreg.serving.server import create_app

from .support import TOKENS, WRITE_TOKEN, auth, fill


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> schemathesis.BaseSchema:
    registry = ModelRegistry(tmp_path_factory.mktemp("fuzz") / "models", lock_timeout=5)
    names = fill(registry, 3)
    registry.promote(names[0])
    app = create_app(registry, tokens=TOKENS)
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_no_server_error(case: schemathesis.Case, tmp_path: Path) -> None:
    case.call_and_validate(headers=auth(WRITE_TOKEN), checks=[not_a_server_error])
