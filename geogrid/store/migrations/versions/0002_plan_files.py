"""Files of a shift's plan (route-sheet PDFs, uploaded tracks) for areas in the database.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06

A folder keeps them in ``plans/web/<day>/`` beside the plan; the web app serves
them from either store (``Store.save_plan_file`` / ``read_plan_file``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plan_files",
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column(
            "saved", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("area_id", "day", "name"),
    )


def downgrade() -> None:
    op.drop_table("plan_files")
