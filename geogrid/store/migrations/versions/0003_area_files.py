"""Documents of an area kept whole (the staff roster, staffings and their history).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06

A folder keeps them as files under the same names (``staff/roster.json``...);
``Store.read_area_file`` / ``update_area_file`` reach them in either store.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "area_files",
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column(
            "saved", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("area_id", "name"),
    )


def downgrade() -> None:
    op.drop_table("area_files")
