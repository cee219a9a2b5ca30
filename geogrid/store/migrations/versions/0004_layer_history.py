"""Layers as they were before a write replaced them (``layer_history``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06

What a folder keeps under ``history/<layer>/`` (the old file and a sidecar with who replaced
it, when and why): ``Store.write_layer`` / ``write_layers`` keep the replaced features here,
so the imports run with ``GEOGRID_STORE`` keep their history as into a folder.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "layer_history",
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("layer", sa.Text(), nullable=False),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.Column("author", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column(
            "replaced_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("area_id", "seq"),
    )
    op.create_index("ix_layer_history_area_layer", "layer_history", ["area_id", "layer"])


def downgrade() -> None:
    op.drop_index("ix_layer_history_area_layer", table_name="layer_history")
    op.drop_table("layer_history")
