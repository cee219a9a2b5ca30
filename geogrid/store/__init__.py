"""Where areas live: one :class:`Store` interface, two backends (see :mod:`geogrid.store.base`).

``FolderStore`` (the GeoJSON area folders, the default) and ``PostgisStore``
(PostgreSQL + PostGIS, ``GEOGRID_STORE=postgresql://...``). The database
backend is imported only when a database URL is opened.
"""

from geogrid.store.base import (
    HEAD,
    AreaDump,
    PatrolLog,
    PlanDocument,
    Store,
    UserRecord,
    area_store,
    is_db_url,
    open_store,
)

__all__ = [
    "HEAD",
    "AreaDump",
    "PatrolLog",
    "PlanDocument",
    "Store",
    "UserRecord",
    "area_store",
    "is_db_url",
    "open_store",
]
