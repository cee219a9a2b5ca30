"""Shared fixtures of the store tests (not a test module).

The PostGIS tests need a database with PostGIS: ``GEOGRID_TEST_DB`` (a
``postgresql+psycopg://`` URL), which ``scripts/test.sh`` sets after starting
PostgreSQL 15 + PostGIS from Debian packages (when it runs as root with apt).
Without it they skip and say why. Every test works on areas of its own
(unique names), so tests never see each other's rows.

:func:`template_area` is one small SYNTHETIC area (tests/grids_area.py) with
grids generated once per session; :func:`area_copy` gives each test its own
copy, as a folder or pushed into the database.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ENV = "GEOGRID_TEST_DB"


def db_url() -> str:
    """The test database URL, migrated; skips the test when there is none."""
    url = os.environ.get(ENV, "").strip()
    if not url:
        pytest.skip(
            f"{ENV} is not set: the PostGIS store tests need PostgreSQL + PostGIS "
            "(scripts/test.sh starts them when it runs as root with apt)"
        )
    from sqlalchemy.exc import OperationalError

    from geogrid.store.postgis import migrate

    try:
        migrate(url)
    except OperationalError as err:
        pytest.skip(f"{ENV}={url}: cannot connect ({err.orig})")
    return url


def unique_name(prefix: str = "t") -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


@contextmanager
def migration_schema() -> Iterator[tuple[Any, Any, str]]:
    """(connection, Alembic config, schema name) on a fresh schema of its own, with the store's
    migrations; the schema is dropped at the end (one transaction)."""
    from alembic.config import Config
    from sqlalchemy import text

    from geogrid.store.postgis import MIGRATIONS, engine_for

    engine = engine_for(db_url())
    schema = unique_name("mig")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        conn.execute(text(f'SET LOCAL search_path TO "{schema}", public'))
        config.attributes["connection"] = conn
        config.attributes["version_table_schema"] = schema
        yield conn, config, schema
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def make_template(folder: Path) -> Path:
    """The synthetic grids area with two communities and one generated grid version."""
    from grids_area import make_area

    from geogrid.services import grids as S

    make_area(folder, with_communities=True)
    S.generate(folder, seed=1, restarts=1)
    return folder


def area_copy(template: Path, backend: str, tmp_path: Path):
    """(store, area name) holding a fresh copy of ``template`` in ``backend``."""
    from geogrid.store.folder import FolderStore
    from geogrid.store.postgis import PostgisStore
    from geogrid.store.transfer import copy_area

    name = unique_name()
    root = tmp_path / "areas"
    shutil.copytree(template, root / name, ignore=shutil.ignore_patterns(".lock"))
    folder = FolderStore(root)
    if backend == "folder":
        return folder, name
    store = PostgisStore(db_url())
    copy_area(folder, name, store, name)
    return store, name
