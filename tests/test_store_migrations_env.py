"""The Alembic environment runs programmatically on a connection the caller hands over.

Needs PostgreSQL + PostGIS (GEOGRID_TEST_DB, started by scripts/test.sh); skips otherwise.
"""

from __future__ import annotations

from store_db import db_url

from geogrid.store.postgis import MIGRATIONS, migrate


def test_migrate_twice_is_harmless_and_reports_head() -> None:
    """migrate() brings the database to the newest revision and running it again changes nothing."""
    url = db_url()
    assert migrate(url) == "0005"
    assert migrate(url) == "0005"
    assert (MIGRATIONS / "env.py").exists() and (MIGRATIONS / "script.py.mako").exists()
