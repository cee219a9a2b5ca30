"""Revision 0003 adds ``area_files`` on top of 0002 and takes it away again (in a schema of
its own).

Needs PostgreSQL + PostGIS (GEOGRID_TEST_DB, started by scripts/test.sh); skips otherwise.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text
from store_db import db_url, unique_name

from geogrid.store.postgis import MIGRATIONS, engine_for


def test_upgrade_then_downgrade_area_files() -> None:
    """0002 -> 0003 makes area_files; back to 0002 removes only it."""
    engine = engine_for(db_url())
    schema = unique_name("mig")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        conn.execute(text(f'SET LOCAL search_path TO "{schema}", public'))
        config.attributes["connection"] = conn
        config.attributes["version_table_schema"] = schema
        command.upgrade(config, "0002")
        before = set(inspect(conn).get_table_names(schema=schema))
        command.upgrade(config, "0003")
        assert set(inspect(conn).get_table_names(schema=schema)) == before | {"area_files"}
        command.downgrade(config, "0002")
        assert set(inspect(conn).get_table_names(schema=schema)) == before
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
