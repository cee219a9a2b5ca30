"""Revision 0001 builds the whole schema and takes it down again (in a schema of its own).

Needs PostgreSQL + PostGIS (GEOGRID_TEST_DB, started by scripts/test.sh); skips otherwise.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text
from store_db import db_url, unique_name

from geogrid.store import tables as T
from geogrid.store.postgis import MIGRATIONS, engine_for


def test_upgrade_then_downgrade_in_a_fresh_schema() -> None:
    """Upgrading an empty schema makes every table of geogrid.store.tables but the later
    plan_files and area_files (incidents partitioned), and downgrading removes them all."""
    engine = engine_for(db_url())
    schema = unique_name("mig")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        conn.execute(text(f'SET LOCAL search_path TO "{schema}", public'))
        config.attributes["connection"] = conn
        config.attributes["version_table_schema"] = schema
        command.upgrade(config, "0001")
        made = set(inspect(conn).get_table_names(schema=schema))
        assert set(T.metadata.tables) - {"plan_files", "area_files"} <= made  # later revisions
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
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
