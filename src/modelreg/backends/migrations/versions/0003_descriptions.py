"""A model's own record: its description and tags, one JSON column on the model's row.

Versions need no new column: their description and tags live in `modelreg_versions.meta`
(the tags also in `modelreg_version_tags`, for the filter). A catalog made before this gets
an empty record for each model, which reads as "no description, no tags".

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("modelreg_models") as batch:
        batch.add_column(sa.Column("meta", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("modelreg_models") as batch:
        batch.drop_column("meta")
