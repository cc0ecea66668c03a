"""An index of the second each event's version name was made in, for register's name lookup.

A register must know every name its second has had (deleted versions' included) and did so by
reading the whole audit log under the writers' lock, so its cost grew with the log. The index
on (model_id, substr(version, 1, 15)) makes that one indexed lookup. No rows change.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_modelreg_events_second",
        "modelreg_events",
        ["model_id", sa.text("substr(version, 1, 15)")],
    )


def downgrade() -> None:
    op.drop_index("ix_modelreg_events_second", table_name="modelreg_events")
