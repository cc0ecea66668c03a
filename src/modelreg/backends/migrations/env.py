"""Alembic's entry point for modelreg's catalog: always run on a connection we hand over.

`modelreg db upgrade` (and the first use of an empty catalog) passes its open connection in
`config.attributes["connection"]`; nothing here reads a URL or an ini file.
"""

from __future__ import annotations

from alembic import context

from modelreg.backends.sql_schema import SCHEMA_VERSION_TABLE, metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=SCHEMA_VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
