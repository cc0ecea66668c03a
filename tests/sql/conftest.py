"""SQL-specific tests share the contract suite's services (a PostgreSQL database, moto's S3)."""

from __future__ import annotations

import importlib.util

from contract.conftest import postgres_schema_url, postgres_url, s3_endpoint  # noqa: F401

if importlib.util.find_spec("sqlalchemy") is None:  # without the sql extra there is nothing to test
    collect_ignore_glob = ["test_*.py"]
