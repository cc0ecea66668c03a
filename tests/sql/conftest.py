"""SQL-specific tests share the contract suite's services (a PostgreSQL database, moto's S3)."""

from __future__ import annotations

from contract.conftest import postgres_schema_url, postgres_url, s3_endpoint  # noqa: F401
from contract.helpers import clock  # noqa: F401
