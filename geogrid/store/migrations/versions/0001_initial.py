"""Initial schema: areas, layers, grid versions, partitioned incidents, teams, plans, logs, users.

Revision ID: 0001
Revises:
Create Date: 2026-12-05

PostGIS is created if missing (``CREATE EXTENSION IF NOT EXISTS postgis``);
a role that may not create it needs a superuser to run that first (docs/DEPLOY.md).
Incident partitions (one per month) are made on insert, not here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def geometry(kind: str = "GEOMETRY") -> Geometry:
    return Geometry(geometry_type=kind, srid=4326, spatial_index=False)


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "areas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("manifest", sa.JSON(), nullable=False),
        sa.Column("head", sa.Integer(), nullable=True),
        sa.Column("layers", sa.JSON(), nullable=False),
        sa.Column(
            "updated", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "users",
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("disabled", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("team", sa.Text(), nullable=True),
        sa.Column("created", sa.Text(), server_default="", nullable=False),
        sa.Column("session_gen", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("username"),
    )
    op.create_table(
        "features",
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("layer", sa.Text(), nullable=False),
        sa.Column("ord", sa.Integer(), nullable=False),
        sa.Column("feature", sa.JSON(), nullable=False),
        sa.Column("geom", geometry(), nullable=True),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("area_id", "layer", "ord"),
    )
    op.create_index("ix_features_geom", "features", ["geom"], unique=False, postgresql_using="gist")
    op.create_table(
        "grid_undos",
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("area_id", "seq"),
    )
    op.create_table(
        "grid_versions",
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parent", sa.Integer(), nullable=True),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("has_units", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("area_id", "id"),
    )
    op.create_table(
        "incidents",
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ord", sa.BigInteger(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("grid", sa.Text(), nullable=True),
        sa.Column("feature", sa.JSON(), nullable=False),
        sa.Column("geom", geometry("POINT"), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("area_id", "id", "time"),
        postgresql_partition_by="RANGE (time)",
    )
    op.create_index("ix_incidents_area_grid", "incidents", ["area_id", "grid"], unique=False)
    op.create_index("ix_incidents_area_time", "incidents", ["area_id", "time"], unique=False)
    op.create_index(
        "ix_incidents_geom", "incidents", ["geom"], unique=False, postgresql_using="gist"
    )
    op.create_table(
        "patrol_logs",
        sa.Column("seq", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("team", sa.Text(), nullable=False),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("planned", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("km", sa.Float(), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_index("ix_patrol_logs_area_date", "patrol_logs", ["area_id", "date"], unique=False)
    op.create_table(
        "plans",
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Text(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("geojson", sa.JSON(), nullable=True),
        sa.Column(
            "saved", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("area_id", "day"),
    )
    op.create_table(
        "teams",
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("ord", sa.Integer(), nullable=False),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("feature", sa.JSON(), nullable=False),
        sa.Column("geom", geometry(), nullable=True),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("area_id", "ord"),
        sa.UniqueConstraint("area_id", "id", name="uq_teams_area_id"),
    )
    op.create_index("ix_teams_geom", "teams", ["geom"], unique=False, postgresql_using="gist")
    op.create_table(
        "grid_cells",
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("ord", sa.Integer(), nullable=False),
        sa.Column("code", sa.Text(), nullable=True),
        sa.Column("feature", sa.JSON(), nullable=False),
        sa.Column("geom", geometry(), nullable=True),
        sa.ForeignKeyConstraint(
            ["area_id", "version_id"],
            ["grid_versions.area_id", "grid_versions.id"],
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("area_id", "version_id", "ord"),
    )
    op.create_index(
        "ix_grid_cells_code", "grid_cells", ["area_id", "version_id", "code"], unique=False
    )
    op.create_index(
        "ix_grid_cells_geom", "grid_cells", ["geom"], unique=False, postgresql_using="gist"
    )
    op.create_table(
        "grid_units",
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("ord", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Text(), nullable=True),
        sa.Column("feature", sa.JSON(), nullable=False),
        sa.Column("geom", geometry(), nullable=True),
        sa.ForeignKeyConstraint(
            ["area_id", "version_id"],
            ["grid_versions.area_id", "grid_versions.id"],
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("area_id", "version_id", "ord"),
    )
    op.create_index(
        "ix_grid_units_geom", "grid_units", ["geom"], unique=False, postgresql_using="gist"
    )
    op.create_index(
        "ix_grid_units_unit_id", "grid_units", ["area_id", "version_id", "unit_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_grid_units_unit_id", table_name="grid_units")
    op.drop_index("ix_grid_units_geom", table_name="grid_units", postgresql_using="gist")
    op.drop_table("grid_units")
    op.drop_index("ix_grid_cells_geom", table_name="grid_cells", postgresql_using="gist")
    op.drop_index("ix_grid_cells_code", table_name="grid_cells")
    op.drop_table("grid_cells")
    op.drop_index("ix_teams_geom", table_name="teams", postgresql_using="gist")
    op.drop_table("teams")
    op.drop_table("plans")
    op.drop_index("ix_patrol_logs_area_date", table_name="patrol_logs")
    op.drop_table("patrol_logs")
    op.drop_index("ix_incidents_geom", table_name="incidents", postgresql_using="gist")
    op.drop_index("ix_incidents_area_time", table_name="incidents")
    op.drop_index("ix_incidents_area_grid", table_name="incidents")
    op.drop_table("incidents")
    op.drop_table("grid_versions")
    op.drop_table("grid_undos")
    op.drop_index("ix_features_geom", table_name="features", postgresql_using="gist")
    op.drop_table("features")
    op.drop_table("users")
    op.drop_table("areas")
