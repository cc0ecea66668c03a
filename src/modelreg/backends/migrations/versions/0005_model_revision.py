"""A revision per model, bumped by every write transaction of that model.

A server answers repeated reads (production metadata, a listing page, a small download) from
memory while nothing changed. Whether anything changed is asked of the catalog, never of a
message that may still be on its way, so a client that wrote through one server process and
reads through another sees its write: every write transaction adds one to its model's
`revision` under the model's writers' lock, and a reader compares the number with the one its
answer was made at (one indexed statement). Existing rows start at 0.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "modelreg_models",
        sa.Column("revision", sa.BigInteger(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    with op.batch_alter_table("modelreg_models") as batch:
        batch.drop_column("revision")
