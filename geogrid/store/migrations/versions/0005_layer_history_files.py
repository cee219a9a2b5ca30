"""Layer history as files: the history file's name and sidecar, and partial entries.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06

``layer_history`` gets ``file`` and ``sidecar`` (what a folder keeps under
``history/<layer>/``, byte for byte, so ``geogrid store push`` / ``pull`` carry the history
both ways) and ``partial`` (an incidents import into the database keeps only the records it
changed, not a copy of the whole layer). Entries kept before get a file name made from their
time when they are copied out.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("layer_history", sa.Column("file", sa.Text(), nullable=True))
    op.add_column("layer_history", sa.Column("sidecar", sa.Text(), nullable=True))
    op.add_column(
        "layer_history",
        sa.Column("partial", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("layer_history", "partial")
    op.drop_column("layer_history", "sidecar")
    op.drop_column("layer_history", "file")
