"""The PostGIS schema as SQLAlchemy tables (what the queries of :mod:`geogrid.store.postgis` use).

The database gets it from the Alembic migrations in ``geogrid/store/migrations/``
(``geogrid store migrate``), never from ``create_all``; a test checks the two
agree. Geometries are WGS-84 (SRID 4326) with GiST indexes. Every feature
keeps its GeoJSON members (``feature``, a ``json`` column: text and key
order kept) apart from its geometry, so a layer comes back byte for byte.

* ``areas``: one row per area (name, manifest, ``head`` = current grid version);
  saves lock it (``SELECT ... FOR UPDATE``);
* ``features``: layers (boundary, buildings, key locations, network...), one row
  per feature in file order;
* ``grid_versions`` (id, parent, author, time, message, meta), ``grid_undos``,
  ``grid_cells`` and ``grid_units`` (the grids and units of every version: history kept);
* ``incidents``: partitioned by month of ``time`` (``incidents_pYYYYMM``, made on
  insert), with ``grid``: the current grid that covers the point;
* ``teams``, ``plans``, ``plan_files`` (a shift's PDFs and tracks), ``area_files``
  (staff roster and staffings), ``patrol_logs``, ``users``.
"""

from __future__ import annotations

from geoalchemy2 import Geometry
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    func,
)

SRID = 4326
metadata = MetaData()


def geometry(kind: str = "GEOMETRY") -> Geometry:
    return Geometry(geometry_type=kind, srid=SRID, spatial_index=False)


def _area_id() -> Column[int]:
    return Column("area_id", Integer, ForeignKey("areas.id", ondelete="CASCADE"), nullable=False)


areas = Table(
    "areas",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False, unique=True),
    Column("manifest", JSON, nullable=False),
    Column("head", Integer, nullable=True),
    #: names of the layers the area has (an empty layer is there, a missing one is not)
    Column("layers", JSON, nullable=False),
    Column("updated", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

features = Table(
    "features",
    metadata,
    _area_id(),
    Column("layer", Text, nullable=False),
    Column("ord", Integer, nullable=False),
    Column("feature", JSON, nullable=False),
    Column("geom", geometry(), nullable=True),
    PrimaryKeyConstraint("area_id", "layer", "ord"),
    Index("ix_features_geom", "geom", postgresql_using="gist"),
)

grid_versions = Table(
    "grid_versions",
    metadata,
    _area_id(),
    Column("id", Integer, nullable=False),
    Column("parent", Integer, nullable=True),
    Column("author", Text, nullable=False),
    Column("time", DateTime(timezone=True), nullable=False),
    Column("message", Text, nullable=False),
    Column("meta", JSON, nullable=False),
    Column("has_units", Boolean, nullable=False),
    PrimaryKeyConstraint("area_id", "id"),
)

grid_undos = Table(
    "grid_undos",
    metadata,
    _area_id(),
    Column("seq", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("author", Text, nullable=False),
    Column("time", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("area_id", "seq"),
)


def _version_rows(name: str, key: str) -> Table:
    return Table(
        name,
        metadata,
        Column("area_id", Integer, nullable=False),
        Column("version_id", Integer, nullable=False),
        Column("ord", Integer, nullable=False),
        Column(key, Text, nullable=True),
        Column("feature", JSON, nullable=False),
        Column("geom", geometry(), nullable=True),
        PrimaryKeyConstraint("area_id", "version_id", "ord"),
        ForeignKeyConstraint(
            ["area_id", "version_id"],
            ["grid_versions.area_id", "grid_versions.id"],
            ondelete="CASCADE",
        ),
        Index(f"ix_{name}_geom", "geom", postgresql_using="gist"),
        Index(f"ix_{name}_{key}", "area_id", "version_id", key),
    )


grid_cells = _version_rows("grid_cells", "code")
grid_units = _version_rows("grid_units", "unit_id")

incidents = Table(
    "incidents",
    metadata,
    _area_id(),
    Column("id", Text, nullable=False),
    Column("time", DateTime(timezone=True), nullable=False),
    Column("ord", BigInteger, nullable=False),
    Column("category", Text, nullable=False),
    Column("grid", Text, nullable=True),
    Column("feature", JSON, nullable=False),
    Column("geom", geometry("POINT"), nullable=False),
    PrimaryKeyConstraint("area_id", "id", "time"),
    Index("ix_incidents_geom", "geom", postgresql_using="gist"),
    Index("ix_incidents_area_time", "area_id", "time"),
    Index("ix_incidents_area_grid", "area_id", "grid"),
    postgresql_partition_by="RANGE (time)",
)

teams = Table(
    "teams",
    metadata,
    _area_id(),
    Column("ord", Integer, nullable=False),
    Column("id", Text, nullable=False),
    Column("feature", JSON, nullable=False),
    Column("geom", geometry(), nullable=True),
    PrimaryKeyConstraint("area_id", "ord"),
    UniqueConstraint("area_id", "id", name="uq_teams_area_id"),
    Index("ix_teams_geom", "geom", postgresql_using="gist"),
)

plans = Table(
    "plans",
    metadata,
    _area_id(),
    Column("day", Text, nullable=False),  # '' for the CLI's plan
    Column("summary", JSON, nullable=True),
    Column("geojson", JSON, nullable=True),
    Column("saved", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("area_id", "day"),
)

#: files of a shift's plan (route-sheet PDFs, uploaded tracks): what a folder keeps in
#: ``plans/web/<day>/`` beside the plan
plan_files = Table(
    "plan_files",
    metadata,
    _area_id(),
    Column("day", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("saved", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("area_id", "day", "name"),
)

#: documents of an area kept whole (the staff roster, staffings and their history): what a
#: folder keeps as files under the same names
area_files = Table(
    "area_files",
    metadata,
    _area_id(),
    Column("name", Text, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("saved", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("area_id", "name"),
)

#: layers as they were before a write replaced them (what a folder keeps under ``history/``):
#: the GeoJSON text as the folder's file, who replaced them, when and why; an entry counts
#: one write of the layer (``Store.layer_revision``)
layer_history = Table(
    "layer_history",
    metadata,
    _area_id(),
    Column("seq", Integer, nullable=False),
    Column("layer", Text, nullable=False),
    Column("features", JSON, nullable=False),
    Column("author", Text, nullable=True),
    Column("message", Text, nullable=True),
    Column("replaced_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    #: the history file's name and its sidecar as a folder writes them (kept byte for byte)
    Column("file", Text, nullable=True),
    Column("sidecar", Text, nullable=True),
    #: only the records an incidents import changed (their old values), not the whole layer
    Column("partial", Boolean, nullable=False, server_default="false"),
    PrimaryKeyConstraint("area_id", "seq"),
    Index("ix_layer_history_area_layer", "area_id", "layer"),
)

patrol_logs = Table(
    "patrol_logs",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=True),
    _area_id(),
    Column("date", Date, nullable=False),
    Column("team", Text, nullable=False),
    Column("members", JSON, nullable=False),
    Column("planned", Integer, nullable=False),
    Column("done", Integer, nullable=False),
    Column("km", Float, nullable=False),
    Column("hours", Float, nullable=False),
    Index("ix_patrol_logs_area_date", "area_id", "date"),
)

users = Table(
    "users",
    metadata,
    Column("username", Text, primary_key=True),
    Column("role", Text, nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("disabled", Boolean, nullable=False, server_default="false"),
    Column("team", Text, nullable=True),
    Column("created", Text, nullable=False, server_default=""),
    Column("session_gen", Integer, nullable=False, server_default="0"),
)
