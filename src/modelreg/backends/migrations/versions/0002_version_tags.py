"""Tags on versions: one row a key, so `list_versions(tags=...)` filters in the database.

The tags themselves live in each version's metadata (`meta["tags"]`); this table indexes them.
A catalog made before it gets the table and the rows of every version that already holds tags.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    from modelreg.tags import tags_of

    table = op.create_table(
        "modelreg_version_tags",
        sa.Column(
            "version_id",
            BigId,
            sa.ForeignKey("modelreg_versions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(256), nullable=False),
    )
    op.create_index("ix_modelreg_tags_lookup", "modelreg_version_tags", ["key", "value"])
    versions = sa.table("modelreg_versions", sa.column("id", BigId), sa.column("meta", sa.JSON))
    conn = op.get_bind()
    rows = [
        {"version_id": vid, "key": key, "value": value}
        for vid, meta in conn.execute(sa.select(versions.c.id, versions.c.meta))
        for key, value in tags_of(meta or {}).items()
    ]
    if rows:
        op.bulk_insert(table, rows)


def downgrade() -> None:
    op.drop_index("ix_modelreg_tags_lookup", table_name="modelreg_version_tags")
    op.drop_table("modelreg_version_tags")
