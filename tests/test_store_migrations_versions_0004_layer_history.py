"""Revision 0004 adds ``layer_history`` on top of 0003 and takes it away again (in a schema
of its own).

Needs PostgreSQL + PostGIS (GEOGRID_TEST_DB, started by scripts/test.sh); skips otherwise.
"""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect
from store_db import migration_schema


def test_upgrade_then_downgrade_layer_history() -> None:
    """0003 -> 0004 makes layer_history (with its index); back to 0003 removes only it."""
    with migration_schema() as (conn, config, schema):
        command.upgrade(config, "0003")
        before = set(inspect(conn).get_table_names(schema=schema))
        command.upgrade(config, "0004")
        assert set(inspect(conn).get_table_names(schema=schema)) == before | {"layer_history"}
        indexes = inspect(conn).get_indexes("layer_history", schema=schema)
        assert [i["column_names"] for i in indexes] == [["area_id", "layer"]]
        command.downgrade(config, "0003")
        assert set(inspect(conn).get_table_names(schema=schema)) == before
