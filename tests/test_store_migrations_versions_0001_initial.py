"""Revision 0001 builds the whole schema and takes it down again (in a schema of its own).

Needs PostgreSQL + PostGIS (GEOGRID_TEST_DB, started by scripts/test.sh); skips otherwise.
"""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text
from store_db import migration_schema

from geogrid.store import tables as T


def test_upgrade_then_downgrade_in_a_fresh_schema() -> None:
    """Upgrading an empty schema makes every table of geogrid.store.tables but the later
    plan_files, area_files and layer_history (incidents partitioned), and downgrading removes
    them all."""
    with migration_schema() as (conn, config, schema):
        command.upgrade(config, "0001")
        made = set(inspect(conn).get_table_names(schema=schema))
        later = {"plan_files", "area_files", "layer_history"}  # later revisions
        assert set(T.metadata.tables) - later <= made
        kind = conn.scalar(
            text(
                "SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = :s AND c.relname = 'incidents'"
            ),
            {"s": schema},
        )
        assert kind == "p"  # a partitioned table
        command.downgrade(config, "base")
        assert set(inspect(conn).get_table_names(schema=schema)) <= {"alembic_version"}
