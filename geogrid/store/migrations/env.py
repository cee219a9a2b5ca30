"""Alembic environment of the PostGIS store (run through :func:`geogrid.store.postgis.migrate`).

The caller hands over an open connection in ``config.attributes["connection"]``
(and, to migrate a schema other than the default, ``version_table_schema``);
without one (``alembic`` on the command line) the URL comes from
``sqlalchemy.url`` or ``GEOGRID_STORE``.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from geogrid.store.tables import metadata

VERSION_TABLE = "alembic_version"


def include_object(
    _obj: object, _name: str | None, kind: str, reflected: bool, compare_to: object
) -> bool:
    """Compare only our own tables: not PostGIS's, nor the monthly incident partitions."""
    return not (kind == "table" and reflected and compare_to is None)


def run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        # a caller that migrates another schema (search_path) keeps alembic_version there too
        version_table_schema=context.config.attributes.get("version_table_schema"),
        include_object=include_object,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    url = context.config.get_main_option("sqlalchemy.url") or os.environ["GEOGRID_STORE"]
    with create_engine(url).connect() as conn:
        run(conn)
        conn.commit()
