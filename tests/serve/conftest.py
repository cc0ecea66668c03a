"""The serving tests share the contract suite's PostgreSQL database."""

from __future__ import annotations

from contract.conftest import postgres_schema_url, postgres_url  # noqa: F401
