"""Indexes of each channel's events, for an argument-free rollback's read of its moves.

A rollback needs the last few moves of one channel and read the model's whole audit log for
them, so its cost grew with every version registered. An index on (model_id, channel, id)
walks one channel's events newest first; a partial one on (model_id, channel) holds only the
recovered moves (`verify --repair`'s, rare), whose place only the whole log says, so their
presence is one lookup. No rows change.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_modelreg_events_channel", "modelreg_events", ["model_id", "channel", "id"])
    recovered = sa.text("action = 'recover'")
    op.create_index(
        "ix_modelreg_events_recovered",
        "modelreg_events",
        ["model_id", "channel"],
        sqlite_where=recovered,
        postgresql_where=recovered,
    )


def downgrade() -> None:
    op.drop_index("ix_modelreg_events_recovered", table_name="modelreg_events")
    op.drop_index("ix_modelreg_events_channel", table_name="modelreg_events")
