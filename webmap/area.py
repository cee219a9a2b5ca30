"""The area the app shows, from ONE cache per app, plus what the pages say about it.

The area lives in a store (:mod:`geogrid.store`): the folder ``AREA_PATH`` by
default, or the database named by ``STORE`` (config; default the environment's
``GEOGRID_STORE``), where it is the area ``AREA_NAME`` (default: the name of
the ``AREA_PATH`` folder, as ``geogrid store push`` names it). :func:`area_ref`
says which.

The cache holds the area as read for one *version tag* of the store
(:meth:`geogrid.store.base.Store.version_tag`: changes with every write of the
area, by this app, the CLI or anyone; a few ``stat`` calls for a folder, one
primary-key lookup for the database) and everything derived from it: the
released table, rendered maps, API bodies, the planner's state. Each request
compares the tag; when it changed the area is read again and the derived items
start afresh, so a saved grid version shows on the next request, and an
unchanged area is never read twice. ``AREA`` in the config (tests) is served as
it is.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, current_app
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from geogrid.errors import GeogridError
from geogrid.io.workspace import Area
from geogrid.release import MONTH_RE, ReleasedTable, Selection, release_area
from geogrid.store.base import ENV, StoredArea, folder_of, is_db_url, open_store

_EXTENSION = "webmap.area"
T = TypeVar("T")


class AreaUnavailableError(GeogridError):
    """The configured area cannot be read (missing, not built, invalid)."""


def store_setting(app: Flask) -> str:
    """``STORE`` of the config (a database URL or a folder of area folders), else
    ``GEOGRID_STORE`` of the environment when it is a database URL, as for the CLI
    (:func:`geogrid.store.base.area_store`); '' for neither."""
    configured = app.config.get("STORE")
    if configured is None:
        configured = os.environ.get(ENV, "").strip()
        return configured if is_db_url(configured) else ""
    return str(configured).strip()


def area_ref(app: Flask) -> StoredArea:
    """The app's area in its store: ``AREA_NAME`` (default: the ``AREA_PATH`` folder's name)
    in the database or folder of areas of ``STORE``, else the folder ``AREA_PATH``."""
    setting = store_setting(app)
    name = app.config.get("AREA_NAME") or Path(app.config["AREA_PATH"]).resolve().name
    if setting:
        return StoredArea(open_store(setting), str(name))
    store, folder_name = folder_of(app.config["AREA_PATH"])
    return StoredArea(store, folder_name)


def in_database(app: Flask) -> bool:
    """True when the app's area lives in a database (pages that need a folder say so)."""
    return is_db_url(store_setting(app))


@dataclass
class AreaEntry:
    """The area read for one version tag, and what was derived from it."""

    tag: str
    area: Area
    lock: threading.Lock = field(default_factory=threading.Lock)
    released: ReleasedTable | None = None
    derived: dict[str, OrderedDict[Hashable, Any]] = field(default_factory=dict)

    def released_table(self, cell_m: float) -> ReleasedTable:
        """The released table of this area (released once per version): the source of
        every public figure."""
        with self.lock:
            if self.released is None:
                self.released = release_area(self.area, cell_m)
            return self.released

    def cached(self, kind: str, key: Hashable, build: Callable[[], T], size: int = 64) -> T:
        """``build()`` once per (kind, key) for this area; the ``size`` latest kept per kind."""
        with self.lock:
            store = self.derived.setdefault(kind, OrderedDict())
            if key in store:
                store.move_to_end(key)
                return store[key]  # type: ignore[no-any-return]
        value = build()
        with self.lock:
            store[key] = value
            while len(store) > size:
                store.popitem(last=False)
        return value


class AreaCache:
    """The one area cache of an app (see the module docstring); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entry: AreaEntry | None = None
        #: how many times the area was read from disk (tests count them)
        self.reads = 0

    def entry(self, app: Flask) -> AreaEntry:
        configured = app.config.get("AREA")
        if configured is not None:
            with self._lock:
                if self._entry is None or self._entry.area is not configured:
                    self._entry = AreaEntry("config", configured)
                return self._entry
        where = area_ref(app)
        tag = where.store.version_tag(where.name)
        with self._lock:
            if self._entry is None or self._entry.tag != tag:
                self._entry = AreaEntry(tag, _load(where))
                self.reads += 1
            return self._entry


def area_cache(app: Flask) -> AreaCache:
    """The app's area cache (made on first use)."""
    cache = app.extensions.get(_EXTENSION)
    if cache is None:
        cache = app.extensions.setdefault(_EXTENSION, AreaCache())
    return cache


def current_entry() -> AreaEntry:
    """The app's area as it is in its store now, with its derived items."""
    return area_cache(current_app).entry(current_app)


def current_area() -> Area:
    """The app's area: ``AREA`` from the config, else the store's, read when it changed."""
    return current_entry().area


def area_of(app: Flask) -> Area:
    return area_cache(app).entry(app).area


def _load(where: StoredArea) -> Area:
    what = f"area {where.name} in {where.store!r}"
    try:
        return where.store.read_area(where.name)
    except GeogridError as err:
        raise AreaUnavailableError(
            f"{what} cannot be read: {err} (the app reads the folder named by "
            "FLASK_AREA_PATH, or the area FLASK_AREA_NAME of the database GEOGRID_STORE)"
        ) from err
    except OSError as err:
        raise AreaUnavailableError(f"{what} cannot be read: {err}") from err


def incidents_are_synthetic(area: Area) -> bool:
    """True when the manifest or the incident rows say the incidents are synthetic."""
    flag = area.manifest.get("synthetic")
    if flag is True or (isinstance(flag, dict) and flag.get("incidents")):
        return True
    incidents = area.incidents
    if incidents is not None and "synthetic" in incidents.columns and len(incidents):
        return bool(incidents["synthetic"].fillna(False).astype(bool).any())
    return False


def source_attributions(area: Area) -> list[dict[str, str]]:
    """Distinct attributions of the manifest's sources.

    Each is a dict with ``text``, ``url`` (may be empty) and ``licence``.
    """
    seen: set[str] = set()
    out: list[dict[str, str]] = []
    for source in area.manifest.get("sources", []) or []:
        if not isinstance(source, dict):
            continue
        text = str(source.get("attribution") or "").strip()
        if not text or text in seen:
            continue
        seen.add(text)
        url = str(source.get("url") or "")
        if not url and "openstreetmap" in text.lower():
            url = "https://www.openstreetmap.org/copyright"
        licence = str(source.get("licence") or source.get("license") or "")
        out.append({"text": text, "url": url, "licence": licence})
    return out


def current_released() -> ReleasedTable:
    """The app's released table (released once per area version from the area and
    DENSITY_CELL_M)."""
    return current_entry().released_table(float(current_app.config["DENSITY_CELL_M"]))


def selection_from_args(args: MultiDict[str, str], table: ReleasedTable) -> Selection:
    """The month range and categories asked for in the query string, checked.

    ``from`` / ``to``: ``YYYY-MM`` (inclusive); ``category``: repeated or
    comma-separated category codes. Raises ``BadRequest`` (400) naming what is wrong.
    """
    problems: list[str] = []
    months: dict[str, str | None] = {}
    for key in ("from", "to"):
        value = (args.get(key) or "").strip()
        if value and not MONTH_RE.fullmatch(value):
            problems.append(f"{key}={value!r}: write a month as YYYY-MM, e.g. 2025-06")
        months[key] = value or None
    if months["from"] and months["to"] and months["from"] > months["to"]:
        problems.append(f"from={months['from']} is after to={months['to']}")
    wanted = [c.strip() for raw in args.getlist("category") for c in raw.split(",") if c.strip()]
    unknown = sorted(set(wanted) - set(table.categories))
    if unknown:
        known = ", ".join(table.categories) or "none"
        problems.append(f"unknown category {', '.join(unknown)}; public categories: {known}")
    if problems:
        raise BadRequest(description="bad filter: " + "; ".join(problems))
    return Selection(months["from"], months["to"], tuple(sorted(set(wanted))))
