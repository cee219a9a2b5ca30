"""Revision 0005 adds ``file``, ``sidecar`` and ``partial`` to ``layer_history`` on top of 0004
and takes them away again (in a schema of its own).

Needs PostgreSQL + PostGIS (GEOGRID_TEST_DB, started by scripts/test.sh); skips otherwise.
"""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect
from store_db import migration_schema


def test_upgrade_then_downgrade_layer_history_files() -> None:
    """0004 -> 0005 adds the three columns (partial false by default); back to 0004 removes
    only them."""
    with migration_schema() as (conn, config, schema):
        command.upgrade(config, "0004")
        before = [c["name"] for c in inspect(conn).get_columns("layer_history", schema=schema)]
        command.upgrade(config, "0005")
        columns = {c["name"]: c for c in inspect(conn).get_columns("layer_history", schema=schema)}
        assert list(columns) == [*before, "file", "sidecar", "partial"]
        assert columns["file"]["nullable"] and columns["sidecar"]["nullable"]
        assert not columns["partial"]["nullable"] and "false" in columns["partial"]["default"]
        command.downgrade(config, "0004")
        after = [c["name"] for c in inspect(conn).get_columns("layer_history", schema=schema)]
        assert after == before
