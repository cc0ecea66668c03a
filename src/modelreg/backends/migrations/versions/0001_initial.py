"""The first catalog: models, versions, metrics, pointers, events, artifacts.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "modelreg_models",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "modelreg_versions",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("model_id", sa.Integer, sa.ForeignKey("modelreg_models.id"), nullable=False),
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("stamp", sa.DateTime(), nullable=False),
        sa.Column("counter", sa.Integer, nullable=False),
        sa.Column("training_date", sa.DateTime(), nullable=False),
        sa.Column("registered_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("meta", sa.JSON, nullable=False),
        sa.UniqueConstraint("model_id", "name", name="uq_modelreg_versions_model_name"),
    )
    op.create_index(
        "ix_modelreg_versions_order", "modelreg_versions", ["model_id", "stamp", "counter"]
    )
    op.create_index(
        "ix_modelreg_versions_trained", "modelreg_versions", ["model_id", "training_date"]
    )
    op.create_table(
        "modelreg_version_metrics",
        sa.Column(
            "version_id",
            BigId,
            sa.ForeignKey("modelreg_versions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("value", sa.Float, nullable=False),
    )
    op.create_index("ix_modelreg_metrics_value", "modelreg_version_metrics", ["name", "value"])
    op.create_table(
        "modelreg_pointers",
        sa.Column("model_id", sa.Integer, sa.ForeignKey("modelreg_models.id"), primary_key=True),
        sa.Column("channel", sa.String(63), primary_key=True),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "modelreg_events",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("model_id", sa.Integer, sa.ForeignKey("modelreg_models.id"), nullable=False),
        sa.Column("timestamp", sa.String(40), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("version", sa.String(32)),
        sa.Column("channel", sa.String(63)),
        sa.Column("body", sa.JSON, nullable=False),
    )
    op.create_index("ix_modelreg_events_model", "modelreg_events", ["model_id", "id"])
    op.create_table(
        "modelreg_artifacts",
        sa.Column(
            "version_id",
            BigId,
            sa.ForeignKey("modelreg_versions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("name", sa.String(1024), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("bytes", sa.BigInteger, nullable=False),
        sa.Column("uri", sa.Text, nullable=False),
    )
    op.create_index("ix_modelreg_artifacts_sha256", "modelreg_artifacts", ["sha256"])


def downgrade() -> None:
    for table in (
        "modelreg_artifacts",
        "modelreg_events",
        "modelreg_pointers",
        "modelreg_version_metrics",
        "modelreg_versions",
        "modelreg_models",
    ):
        op.drop_table(table)
