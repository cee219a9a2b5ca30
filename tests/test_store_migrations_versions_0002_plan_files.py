"""Revision 0002 adds ``plan_files`` on top of 0001 and takes it away again (in a schema of
its own).

Needs PostgreSQL + PostGIS (GEOGRID_TEST_DB, started by scripts/test.sh); skips otherwise.
"""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect
from store_db import migration_schema


def test_upgrade_then_downgrade_plan_files() -> None:
    """0001 -> 0002 makes plan_files; back to 0001 removes only it."""
    with migration_schema() as (conn, config, schema):
        command.upgrade(config, "0001")
        before = set(inspect(conn).get_table_names(schema=schema))
        command.upgrade(config, "0002")
        assert set(inspect(conn).get_table_names(schema=schema)) == before | {"plan_files"}
        command.downgrade(config, "0001")
        assert set(inspect(conn).get_table_names(schema=schema)) == before
