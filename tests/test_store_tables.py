"""The SQLAlchemy tables of the PostGIS store agree with what the migrations build.

Needs PostgreSQL + PostGIS (GEOGRID_TEST_DB, started by scripts/test.sh); skips otherwise.
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from store_db import db_url

from geogrid.store import tables as T
from geogrid.store.postgis import engine_for


def _ours(obj: object, name: str | None, kind: str, reflected: bool, compare_to: object) -> bool:
    return not (kind == "table" and reflected and compare_to is None)


def test_migrated_schema_matches_the_tables() -> None:
    """After `geogrid store migrate`, autogenerate finds nothing to change: the tables the
    queries use are the tables the migrations made."""
    with engine_for(db_url()).connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": _ours})
        diff = compare_metadata(context, T.metadata)
    assert diff == []


def test_tables_are_declared_once_with_wgs84_geometries() -> None:
    """Every geometry column is SRID 4326 and has a GiST index; incidents are partitioned."""
    for table in T.metadata.tables.values():
        for column in table.columns:
            if column.name == "geom":
                assert column.type.srid == T.SRID
                assert any(
                    i.dialect_options["postgresql"]["using"] == "gist" and "geom" in i.columns
                    for i in table.indexes
                ), table.name
    assert T.incidents.dialect_options["postgresql"]["partition_by"] == "RANGE (time)"
