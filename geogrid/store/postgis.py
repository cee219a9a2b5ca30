"""The PostgreSQL + PostGIS backend (SQLAlchemy 2, GeoAlchemy2, psycopg 3).

:class:`PostgisStore` answers the :class:`~geogrid.store.base.Store` protocol
over the tables of :mod:`geogrid.store.tables`, made by the Alembic migrations
in ``geogrid/store/migrations/`` (:func:`migrate`, ``geogrid store migrate``).

* Every change is one transaction: a grid save or an undo locks the area's row
  (``SELECT ... FOR UPDATE``), compares the current version with the one the
  change was made from (:class:`~geogrid.errors.ConflictError` when another
  planner saved first), writes the version's grids and units as rows and moves
  ``head``. Nothing is deleted: every version stays.
* Incidents live in a table partitioned by month (``incidents_pYYYYMM``, made
  when the first incident of a month arrives); each gets, at insert, the code of
  the current grid that covers it (``ST_Covers``, first grid in layer order),
  and all of an area's are assigned again whenever its current grids change.
* Layers are stored one row per feature: its GeoJSON members in a ``json``
  column (text and key order kept) and its geometry in a PostGIS column, so a
  folder pushed and pulled back gives byte-identical layer files.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from geoalchemy2.shape import from_shape
from shapely.geometry import mapping, shape
from sqlalchemy import (
    JSON,
    Connection,
    Engine,
    Text,
    any_,
    bindparam,
    cast,
    create_engine,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import make_url

from geogrid.errors import InputError
from geogrid.io.geojson import checked_features, dumps_features, frame_from_features
from geogrid.io.versions import GridVersion, units_features, units_from_features
from geogrid.io.workspace import AREA_LAYERS, PLACES_SPEC, Area
from geogrid.layers import get_spec
from geogrid.store import incident_sql
from geogrid.store import tables as T
from geogrid.store.base import (
    HEAD,
    AreaDump,
    Feature,
    LayerHistoryEntry,
    Parent,
    PatrolLog,
    PlanDocument,
    UserRecord,
    VersionHistory,
    conflict,
    history_entry,
    layer_conflict,
    newer_than,
    utc_time,
)

MIGRATIONS = Path(__file__).with_name("migrations")
#: layers kept in their own tables rather than ``features``
OWN_TABLES = ("incidents", "teams")
_ENGINES: dict[str, Engine] = {}
_ENGINES_LOCK = threading.Lock()


def sqlalchemy_url(url: str) -> str:
    """``postgresql://`` (or ``postgres://``) URL with the psycopg 3 driver SQLAlchemy needs."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain) :]
    return url


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def engine_for(url: str) -> Engine:
    """One engine (connection pool) per database URL and process."""
    url = sqlalchemy_url(url)
    with _ENGINES_LOCK:
        if url not in _ENGINES:
            _ENGINES[url] = create_engine(url, json_serializer=_dumps, pool_pre_ping=True)
        return _ENGINES[url]


def migrate(url: str, revision: str = "head") -> str | None:
    """Bring the database at ``url`` to ``revision`` (the newest by default); returns the
    revision it is at. Safe to run again: done migrations are skipped."""
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext

    engine = engine_for(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _iso(when: datetime) -> str:
    """A time as geogrid writes it: UTC, whole seconds, ``Z`` (``2024-06-01T12:00:00Z``)."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _when(iso: str) -> datetime:
    return utc_time(iso).to_pydatetime()


def _spec_of(name: str) -> str:
    return AREA_LAYERS[name][1] if name in AREA_LAYERS else PLACES_SPEC


def _source_of(name: str) -> str:
    """The layer's file name in messages (``grids.geojson``, ``layers/schools.geojson``)."""
    if name in AREA_LAYERS:
        return AREA_LAYERS[name][0]
    return f"layers/{name}.geojson"


def _rows_of(features: Sequence[Feature]) -> list[dict[str, Any]]:
    """Feature dicts as rows: ``ord``, ``feature`` (members, geometry left null in place)
    and ``geom`` (WKB, SRID 4326)."""
    rows = []
    for n, f in enumerate(features):
        geom = f.get("geometry")
        member = {k: (None if k == "geometry" else v) for k, v in f.items()}
        rows.append(
            {
                "ord": n,
                "feature": member,
                "geom": None if geom is None else from_shape(shape(geom), srid=T.SRID),
            }
        )
    return rows


def _features_of(rows: Iterable[Any]) -> list[Feature]:
    """Rows of (feature, wkb) back to feature dicts, geometry in its place."""
    rows = list(rows)
    geoms = shapely.from_wkb(
        np.array([None if r.wkb is None else bytes(r.wkb) for r in rows], dtype=object)
    )
    out = []
    for r, geom in zip(rows, geoms, strict=True):
        feature = dict(r.feature)
        feature["geometry"] = None if geom is None else mapping(geom)
        out.append(feature)
    return out


def _prop(feature: Feature, key: str) -> Any:
    return (feature.get("properties") or {}).get(key)


class PostgisStore:
    """Areas in a PostgreSQL + PostGIS database at ``url`` (migrated: :func:`migrate`)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = engine_for(url)

    def __repr__(self) -> str:
        return f"PostgisStore({self.shown_url()!r})"

    def shown_url(self) -> str:
        """The database's URL as a message shows it: without the password."""
        return make_url(sqlalchemy_url(self.url)).render_as_string(hide_password=True)

    # ------------------------------------------------------------------ areas

    def _area(self, conn: Connection, area: str, *, for_update: bool = False) -> Any:
        query = select(T.areas.c.id, T.areas.c.head, T.areas.c.manifest, T.areas.c.layers).where(
            T.areas.c.name == area
        )
        row = conn.execute(query.with_for_update() if for_update else query).one_or_none()
        if row is None:
            from geogrid.store.access import missing_area

            raise missing_area(self, area)
        return row

    def list_areas(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.scalars(select(T.areas.c.name).order_by(T.areas.c.name)))

    def read_manifest(self, area: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            return dict(self._area(conn, area).manifest)

    def read_area(self, area: str, *, with_network: bool = True) -> Area:
        with self.engine.connect() as conn:
            row = self._area(conn, area)
            present = set(row.layers)
            required = ["boundary", "grids", "buildings"] + (
                ["nodes", "edges"] if with_network else []
            )
            missing = [n for n in required if n not in present]
            if missing:
                raise InputError(
                    f"area {area} (database) lacks layers",
                    [f"{_source_of(n)}: missing; push the area again" for n in missing],
                )

            def layer(name: str) -> gpd.GeoDataFrame | None:
                return self._frame(conn, row.id, name) if name in present else None

            places = sorted(n for n in present if n not in AREA_LAYERS)
            boundary, grids, buildings = layer("boundary"), layer("grids"), layer("buildings")
            assert boundary is not None and grids is not None and buildings is not None
            return Area(
                path=Path(area),
                manifest=dict(row.manifest),
                boundary=boundary,
                grids=grids,
                buildings=buildings,
                layers={n: f for n in places if (f := layer(n)) is not None},
                incidents=layer("incidents"),
                teams=layer("teams"),
                nodes=layer("nodes") if with_network else None,
                edges=layer("edges") if with_network else None,
                communities=layer("communities"),
                residential_land=layer("residential_land"),
            )

    def lock(self, area: str) -> AbstractContextManager[Any]:
        """Nothing to hold: saves are checked against their parent version in the database."""
        del area  # the same for every area
        return nullcontext()

    def repair(self, area: str) -> bool:
        """Nothing to repair: a save is one transaction."""
        del area  # the same for every area
        return False

    def version_tag(self, area: str) -> str:
        """The area's row id and the time of its last write (``areas.updated``, set to
        ``clock_timestamp()`` in the writing transaction while it holds the row): one
        primary-key lookup. Pushing the area again makes a new row, hence a new tag."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(T.areas.c.id, T.areas.c.updated).where(T.areas.c.name == area)
            ).one_or_none()
        if row is None:
            return "-"
        return f"{row.id}.{row.updated.timestamp():.6f}"

    @staticmethod
    def _touch(conn: Connection, area_id: int) -> None:
        """Record a write of the area (its version tag changes), in the caller's transaction."""
        conn.execute(
            update(T.areas).where(T.areas.c.id == area_id).values(updated=func.clock_timestamp())
        )

    # ------------------------------------------------------------------ layers

    def layer_names(self, area: str) -> list[str]:
        with self.engine.connect() as conn:
            return sorted(n for n in self._area(conn, area).layers if n not in AREA_LAYERS)

    def _features(self, conn: Connection, area_id: int, name: str) -> list[Feature]:
        if name == "incidents":
            t = T.incidents
            query = (
                select(t.c.feature, func.ST_AsBinary(t.c.geom).label("wkb"))
                .where(t.c.area_id == area_id)
                .order_by(t.c.ord)
            )
        elif name == "teams":
            t = T.teams
            query = (
                select(t.c.feature, func.ST_AsBinary(t.c.geom).label("wkb"))
                .where(t.c.area_id == area_id)
                .order_by(t.c.ord)
            )
        else:
            t = T.features
            query = (
                select(t.c.feature, func.ST_AsBinary(t.c.geom).label("wkb"))
                .where(t.c.area_id == area_id, t.c.layer == name)
                .order_by(t.c.ord)
            )
        return _features_of(conn.execute(query))

    def _frame(self, conn: Connection, area_id: int, name: str) -> gpd.GeoDataFrame:
        frame = frame_from_features(self._features(conn, area_id, name), get_spec(_spec_of(name)))
        frame.attrs["problems"] = []
        return frame

    def read_layer(self, area: str, name: str) -> gpd.GeoDataFrame | None:
        with self.engine.connect() as conn:
            row = self._area(conn, area)
            return self._frame(conn, row.id, name) if name in row.layers else None

    def _revision(self, conn: Connection, row: Any, name: str) -> int:
        t = T.layer_history
        kept = conn.scalar(
            select(func.count()).select_from(t).where(t.c.area_id == row.id, t.c.layer == name)
        )
        return int(kept or 0) + (1 if name in row.layers else 0)

    def layer_revision(self, area: str, name: str) -> int:
        """Rows of ``layer_history`` of the layer, plus one when the area has the layer."""
        with self.engine.connect() as conn:
            return self._revision(conn, self._area(conn, area), name)

    def _check_revision(
        self, conn: Connection, area: str, row: Any, name: str, expected: int | None
    ) -> None:
        """With the area's row held: refuse a write of ``name`` made from another revision."""
        if expected is None:
            return
        now = self._revision(conn, row, name)
        if now != expected:
            raise layer_conflict(area, name, expected, now, self._history_of(conn, row.id, name))

    def write_layer(
        self,
        area: str,
        name: str,
        frame: gpd.GeoDataFrame,
        *,
        author: str,
        message: str,
        expected: int | None = None,
    ) -> None:
        self.write_layers(
            area,
            {name: frame},
            author=author,
            message=message,
            expected=None if expected is None else {name: expected},
        )

    def write_layers(
        self,
        area: str,
        layers: Mapping[str, gpd.GeoDataFrame],
        *,
        author: str,
        message: str,
        manifest: dict[str, Any] | None = None,
        expected: Mapping[str, int] | None = None,
    ) -> None:
        """Every layer checked first, then all written in one transaction holding the area's
        row: every ``expected`` revision checked (ConflictError, nothing written), each
        replaced layer's features kept in ``layer_history``, the version tag changed,
        incidents given their grid again when incidents or grids changed."""
        checked = {
            name: checked_features(
                frame,
                _spec_of(name),
                _source_of(name),
                where=f"{_source_of(name)} of {area} (database)",
            )
            for name, frame in layers.items()
        }
        self._ensure_partitions(checked.get("incidents", []))
        with self.engine.begin() as conn:
            row = self._area(conn, area, for_update=True)
            for name, revision in (expected or {}).items():
                self._check_revision(conn, area, row, name, revision)
            for name, features in checked.items():
                if name in row.layers:
                    self._keep_history(conn, row.id, name, author=author, message=message)
                self._put_layer(conn, row.id, name, features)
            values: dict[str, Any] = {
                "layers": sorted({*row.layers, *checked}),
                "updated": func.clock_timestamp(),
            }
            if manifest is not None:
                values["manifest"] = manifest
            conn.execute(update(T.areas).where(T.areas.c.id == row.id).values(**values))
            if {"incidents", "grids"} & set(checked):
                self._assign_grids(conn, row.id)

    def _keep_history(
        self, conn: Connection, area_id: int, name: str, *, author: str, message: str
    ) -> None:
        """Keep layer ``name`` as it is now in ``layer_history`` (in the caller's transaction,
        the area's row held), as the file a folder would keep."""
        when = self._now(conn)
        text_ = dumps_features(self._features(conn, area_id, name))
        self._add_history(
            conn, area_id, history_entry(name, text_, when, author=author, message=message)
        )

    @staticmethod
    def _now(conn: Connection) -> datetime:
        """The database's clock (``clock_timestamp()``), as a history entry's time."""
        when = conn.scalar(select(func.clock_timestamp()))
        assert isinstance(when, datetime)
        return when

    def _add_history(self, conn: Connection, area_id: int, entry: LayerHistoryEntry) -> None:
        """Append one history entry (its GeoJSON text kept as written)."""
        t = T.layer_history
        seq = conn.scalar(
            select(func.coalesce(func.max(t.c.seq), 0) + 1).where(t.c.area_id == area_id)
        )
        conn.execute(
            insert(t).values(
                area_id=area_id,
                seq=seq,
                layer=entry.layer,
                features=cast(literal(entry.text, Text), JSON),
                author=entry.author,
                message=entry.message,
                replaced_at=(
                    _when(entry.replaced_at) if entry.replaced_at else func.clock_timestamp()
                ),
                file=entry.file,
                sidecar=entry.sidecar,
                partial=entry.partial,
            )
        )

    def _history_of(self, conn: Connection, area_id: int, name: str) -> list[dict[str, Any]]:
        t = T.layer_history
        rows = conn.execute(
            select(t.c.author, t.c.message, t.c.replaced_at)
            .where(t.c.area_id == area_id, t.c.layer == name)
            .order_by(t.c.seq)
        )
        return [
            {
                "layer": name,
                "replaced_at": _iso(r.replaced_at),
                "author": r.author,
                "message": r.message,
            }
            for r in rows
        ]

    def layer_history(self, area: str, name: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return self._history_of(conn, self._area(conn, area).id, name)

    def _history_entries(self, conn: Connection, area_id: int) -> list[LayerHistoryEntry]:
        """Every history entry of the area as a folder keeps it, oldest first (entries kept
        before their file and sidecar were stored get them made as a folder would)."""
        t = T.layer_history
        rows = conn.execute(
            select(
                t.c.layer,
                t.c.file,
                cast(t.c.features, Text).label("text"),
                t.c.sidecar,
                t.c.replaced_at,
                t.c.author,
                t.c.message,
                t.c.partial,
            )
            .where(t.c.area_id == area_id)
            .order_by(t.c.seq)
        )
        entries: list[LayerHistoryEntry] = []
        taken: set[tuple[str, str]] = set()
        for r in rows:
            text_ = r.text if not r.text.lstrip().startswith("[") else None
            if text_ is None:  # 0004 kept a list of features
                text_ = dumps_features(json.loads(r.text))
            entry = history_entry(
                r.layer,
                text_,
                r.replaced_at,
                author=r.author,
                message=r.message,
                partial=r.partial,
                file=r.file,
            )
            if r.sidecar is not None:
                entry = replace(entry, sidecar=r.sidecar)
            n, stem = 1, entry.file.removesuffix(".geojson")
            while (entry.layer, entry.file) in taken:
                entry = replace(entry, file=f"{stem}-{n}.geojson")
                n += 1
            taken.add((entry.layer, entry.file))
            entries.append(entry)
        return entries

    def _put_layer(
        self, conn: Connection, area_id: int, name: str, features: Sequence[Feature]
    ) -> None:
        """Replace a layer's rows (in the caller's transaction)."""
        rows = _rows_of(features)
        if name == "incidents":
            conn.execute(delete(T.incidents).where(T.incidents.c.area_id == area_id))
            self._insert_incidents(conn, area_id, rows)
            return
        if name == "teams":
            conn.execute(delete(T.teams).where(T.teams.c.area_id == area_id))
            if rows:
                conn.execute(
                    insert(T.teams),
                    [{**r, "area_id": area_id, "id": str(_prop(r["feature"], "id"))} for r in rows],
                )
            return
        conn.execute(
            delete(T.features).where(T.features.c.area_id == area_id, T.features.c.layer == name)
        )
        if rows:
            conn.execute(
                insert(T.features), [{**r, "area_id": area_id, "layer": name} for r in rows]
            )

    # ------------------------------------------------------------------ grid versions

    def _versions(self, conn: Connection, area_id: int) -> list[GridVersion]:
        t = T.grid_versions
        return [
            GridVersion(
                id=r.id,
                parent=r.parent,
                author=r.author,
                time=_iso(r.time),
                message=r.message,
                meta=dict(r.meta),
            )
            for r in conn.execute(select(t).where(t.c.area_id == area_id).order_by(t.c.id))
        ]

    def list_versions(self, area: str) -> tuple[list[GridVersion], int | None]:
        with self.engine.connect() as conn:
            row = self._area(conn, area)
            return self._versions(conn, row.id), row.head

    def _version_features(
        self, conn: Connection, area_id: int, version_id: int, table: Any
    ) -> list[Feature]:
        query = (
            select(table.c.feature, func.ST_AsBinary(table.c.geom).label("wkb"))
            .where(table.c.area_id == area_id, table.c.version_id == version_id)
            .order_by(table.c.ord)
        )
        return _features_of(conn.execute(query))

    def load_version(
        self, area: str, version_id: int | None = None
    ) -> tuple[GridVersion, gpd.GeoDataFrame, gpd.GeoDataFrame | None]:
        with self.engine.connect() as conn:
            row = self._area(conn, area)
            saved = self._versions(conn, row.id)
            wanted = row.head if version_id is None else version_id
            version = next((v for v in saved if v.id == wanted), None)
            if version is None:
                if not saved:
                    raise InputError(
                        f"{area}: no saved grids yet; generate them first "
                        f"(`geogrid grids build {area}`)"
                    )
                known = ", ".join(f"v{v.id:04d}" for v in saved)
                raise InputError(f"{area}: no grid version {wanted}; versions are {known}")
            grids = frame_from_features(
                self._version_features(conn, row.id, version.id, T.grid_cells), get_spec("grids")
            )
            has_units = conn.scalar(
                select(T.grid_versions.c.has_units).where(
                    T.grid_versions.c.area_id == row.id, T.grid_versions.c.id == version.id
                )
            )
            units = None
            if has_units:
                units = units_from_features(
                    self._version_features(conn, row.id, version.id, T.grid_units), "units"
                )
            return version, grids, units

    def _check_parent(self, conn: Connection, area: str, row: Any, parent: Parent) -> None:
        if parent not in (HEAD, row.head):
            raise conflict(area, parent, row.head, newer_than(self._versions(conn, row.id), parent))

    def _insert_version(
        self,
        conn: Connection,
        area_id: int,
        version: GridVersion,
        grids: Sequence[Feature],
        units: Sequence[Feature] | None,
    ) -> None:
        conn.execute(
            insert(T.grid_versions).values(
                area_id=area_id,
                id=version.id,
                parent=version.parent,
                author=version.author,
                time=_when(version.time),
                message=version.message,
                meta=version.meta,
                has_units=units is not None,
            )
        )
        key = {"area_id": area_id, "version_id": version.id}
        if grids:
            conn.execute(
                insert(T.grid_cells),
                [
                    {**r, **key, "code": _none_or_str(_prop(r["feature"], "code"))}
                    for r in _rows_of(grids)
                ],
            )
        if units:
            conn.execute(
                insert(T.grid_units),
                [
                    {**r, **key, "unit_id": _none_or_str(_prop(r["feature"], "unit_id"))}
                    for r in _rows_of(units)
                ],
            )

    def _make_current(self, conn: Connection, row: Any, head: int | None) -> None:
        """Point ``head`` at a version, make its grids the live grids layer, re-assign incidents."""
        grids = [] if head is None else self._version_features(conn, row.id, head, T.grid_cells)
        self._put_layer(conn, row.id, "grids", grids)
        conn.execute(
            update(T.areas)
            .where(T.areas.c.id == row.id)
            .values(
                head=head, layers=sorted({*row.layers, "grids"}), updated=func.clock_timestamp()
            )
        )
        self._assign_grids(conn, row.id)

    def save_version(
        self,
        area: str,
        grids: gpd.GeoDataFrame,
        units: gpd.GeoDataFrame | None,
        *,
        author: str,
        message: str,
        meta: dict[str, Any] | None = None,
        parent: Parent = HEAD,
    ) -> GridVersion:
        if not author.strip():
            raise InputError("say who saves the grids (author), e.g. --author 'Wang Li'")
        grid_features = checked_features(
            grids, "grids", "grids.geojson", where=f"the grid versions of {area} (database)"
        )
        unit_features = None if units is None else units_features(units)
        with self.engine.begin() as conn:
            row = self._area(conn, area, for_update=True)  # one saver at a time per area
            self._check_parent(conn, area, row, parent)
            last = conn.scalar(
                select(func.max(T.grid_versions.c.id)).where(T.grid_versions.c.area_id == row.id)
            )
            version = GridVersion(
                id=int(last or 0) + 1,
                parent=row.head,
                author=author,
                time=_iso(datetime.now(UTC)),
                message=message,
                meta=dict(meta or {}),
            )
            self._insert_version(conn, row.id, version, grid_features, unit_features)
            self._make_current(conn, row, version.id)
            return version

    def undo(self, area: str, author: str, *, parent: Parent = HEAD) -> GridVersion:
        with self.engine.begin() as conn:
            row = self._area(conn, area, for_update=True)
            self._check_parent(conn, area, row, parent)
            saved = {v.id: v for v in self._versions(conn, row.id)}
            if row.head is None:
                raise InputError(
                    f"{area}: no saved grids yet; generate them first "
                    f"(`geogrid grids build {area}`)"
                )
            current = saved[row.head]
            if current.parent is None:
                raise InputError(
                    f"{area}: v{current.id:04d} is the first saved version; nothing to undo"
                )
            seq = conn.scalar(
                select(func.count())
                .select_from(T.grid_undos)
                .where(T.grid_undos.c.area_id == row.id)
            )
            conn.execute(
                insert(T.grid_undos).values(
                    area_id=row.id,
                    seq=int(seq or 0) + 1,
                    version=current.id,
                    author=author,
                    time=_when(_iso(datetime.now(UTC))),
                )
            )
            self._make_current(conn, row, current.parent)
            return saved[current.parent]

    def list_undos(self, area: str) -> list[dict[str, Any]]:
        u = T.grid_undos
        with self.engine.connect() as conn:
            row = self._area(conn, area)
            return [
                {"version": r.version, "author": r.author, "time": _iso(r.time)}
                for r in conn.execute(select(u).where(u.c.area_id == row.id).order_by(u.c.seq))
            ]

    # ------------------------------------------------------------------ incidents

    def _ensure_partitions(self, features: Sequence[Feature]) -> None:
        """Make the monthly partitions the incidents need, in their own short transaction."""
        months = sorted(
            {(t.year, t.month) for t in (_when(str(_prop(f, "time"))) for f in features)}
        )
        if not months:
            return
        with self.engine.begin() as conn:
            existing = set(
                conn.scalars(
                    text(
                        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                        "WHERE i.inhparent = 'incidents'::regclass"
                    )
                )
            )
            wanted = [(y, m) for y, m in months if f"incidents_p{y:04d}{m:02d}" not in existing]
            if not wanted:
                return
            conn.execute(
                text("SELECT pg_advisory_xact_lock(hashtext('geogrid incident partitions'))")
            )
            for y, m in wanted:
                ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
                conn.execute(
                    text(
                        f"CREATE TABLE IF NOT EXISTS incidents_p{y:04d}{m:02d} "
                        "PARTITION OF incidents "
                        f"FOR VALUES FROM ('{y:04d}-{m:02d}-01 00:00:00+00') "
                        f"TO ('{ny:04d}-{nm:02d}-01 00:00:00+00')"
                    )
                )

    def _insert_incidents(
        self, conn: Connection, area_id: int, rows: list[dict[str, Any]], first_ord: int = 0
    ) -> None:
        if not rows:
            return
        conn.execute(
            insert(T.incidents),
            [
                {
                    **r,
                    "ord": first_ord + r["ord"],
                    "area_id": area_id,
                    "id": str(_prop(r["feature"], "id")),
                    "time": _when(str(_prop(r["feature"], "time"))),
                    "category": str(_prop(r["feature"], "category")),
                }
                for r in rows
            ],
        )

    def _assign_grids(
        self, conn: Connection, area_id: int, ids: Sequence[str] | None = None
    ) -> None:
        """Give incidents the code of the first current grid (layer order) that covers them
        (set-based SQL of :mod:`geogrid.store.incident_sql`)."""
        incident_sql.assign_grids(conn, area_id, ids)

    def add_incidents(
        self, area: str, incidents: gpd.GeoDataFrame, *, author: str | None = None
    ) -> tuple[int, int]:
        from geogrid.incidents import incidents_to_layer

        features = checked_features(
            incidents_to_layer(incidents),
            "incidents",
            "incidents.geojson",
            where=f"incidents of {area} (database)",
        )
        self._ensure_partitions(features)
        with self.engine.begin() as conn:
            row = self._area(conn, area, for_update=True)  # one import at a time per area
            ids = [str(_prop(f, "id")) for f in features]
            known = set(
                conn.scalars(
                    select(T.incidents.c.id).where(
                        T.incidents.c.area_id == row.id, T.incidents.c.id.in_(ids)
                    )
                )
            )
            fresh, seen = [], set(known)
            for f, i in zip(features, ids, strict=True):
                if i not in seen:
                    fresh.append(f)
                    seen.add(i)
            last = conn.scalar(
                select(func.max(T.incidents.c.ord)).where(T.incidents.c.area_id == row.id)
            )
            self._insert_incidents(
                conn, row.id, _rows_of(fresh), first_ord=0 if last is None else int(last) + 1
            )
            if fresh:
                if "incidents" in row.layers:  # one more write of the layer, as a folder's
                    self._keep_records(
                        conn,
                        row.id,
                        [],
                        author=author,
                        message=f"import: {len(fresh)} incidents added",
                    )
                self._assign_grids(conn, row.id, [str(_prop(f, "id")) for f in fresh])
                self._touch(conn, row.id)  # the web shows the new incidents at its next request
            if "incidents" not in row.layers:
                conn.execute(
                    update(T.areas)
                    .where(T.areas.c.id == row.id)
                    .values(layers=sorted({*row.layers, "incidents"}))
                )
            total = conn.scalar(
                select(func.count()).select_from(T.incidents).where(T.incidents.c.area_id == row.id)
            )
            return len(fresh), int(total or 0)

    def _keep_records(
        self,
        conn: Connection,
        area_id: int,
        old: Sequence[Feature],
        *,
        author: str | None,
        message: str,
    ) -> None:
        """A history entry of the incidents layer holding only ``old`` (the records a write
        replaced), not the whole layer."""
        when = self._now(conn)
        self._add_history(
            conn,
            area_id,
            history_entry(
                "incidents",
                dumps_features(old),
                when,
                author=author,
                message=message,
                partial=True,
            ),
        )

    def _incident_rows(self, conn: Connection, area_id: int, ids: Sequence[str]) -> list[Any]:
        t = T.incidents
        chosen = bindparam("ids", list(ids), type_=ARRAY(Text))
        return list(
            conn.execute(
                select(t.c.feature, func.ST_AsBinary(t.c.geom).label("wkb"), t.c.grid)
                .where(t.c.area_id == area_id, t.c.id == any_(chosen))
                .order_by(t.c.ord)
            )
        )

    def count_incidents(self, area: str) -> int:
        t = T.incidents
        with self.engine.connect() as conn:
            row = self._area(conn, area)
            total = conn.scalar(select(func.count()).select_from(t).where(t.c.area_id == row.id))
        return int(total or 0)

    def incidents_with_ids(self, area: str, ids: Sequence[str]) -> gpd.GeoDataFrame | None:
        with self.engine.connect() as conn:
            row = self._area(conn, area)
            if "incidents" not in row.layers:
                return None
            rows = self._incident_rows(conn, row.id, ids) if ids else []
        frame = frame_from_features(_features_of(rows), get_spec("incidents"))
        frame.attrs["problems"] = []
        return frame

    def update_incidents(
        self,
        area: str,
        added: gpd.GeoDataFrame,
        corrected: gpd.GeoDataFrame,
        *,
        author: str,
        message: str,
        expected: int | None = None,
    ) -> int:
        """One transaction holding the area's row: the revision checked, the corrected records
        updated in place (their old values kept in ``layer_history``, nothing else), the added
        ones inserted after the last (partitions made, grid assigned at insert), and only those
        given their grid; the rest of the layer is not touched."""
        where = f"incidents of {area} (database)"
        fixed = checked_features(corrected, "incidents", "incidents.geojson", where=where)
        fresh = checked_features(added, "incidents", "incidents.geojson", where=where)
        self._ensure_partitions([*fixed, *fresh])
        t = T.incidents
        with self.engine.begin() as conn:
            row = self._area(conn, area, for_update=True)
            self._check_revision(conn, area, row, "incidents", expected)
            fixed_ids = [str(_prop(f, "id")) for f in fixed]
            if "incidents" in row.layers:
                old = _features_of(self._incident_rows(conn, row.id, fixed_ids)) if fixed else []
                self._keep_records(conn, row.id, old, author=author, message=message)
            if fixed:
                conn.execute(
                    update(t)
                    .where(t.c.area_id == row.id, t.c.id == bindparam("b_id"))
                    .values(
                        feature=bindparam("b_feature", type_=JSON),
                        geom=bindparam("b_geom", type_=t.c.geom.type),
                        time=bindparam("b_time", type_=t.c.time.type),
                        category=bindparam("b_category"),
                        grid=None,
                    ),
                    [
                        {
                            "b_id": i,
                            "b_feature": r["feature"],
                            "b_geom": r["geom"],
                            "b_time": _when(str(_prop(r["feature"], "time"))),
                            "b_category": str(_prop(r["feature"], "category")),
                        }
                        for i, r in zip(fixed_ids, _rows_of(fixed), strict=True)
                    ],
                )
            last = conn.scalar(select(func.max(t.c.ord)).where(t.c.area_id == row.id))
            self._insert_incidents(
                conn, row.id, _rows_of(fresh), first_ord=0 if last is None else int(last) + 1
            )
            changed = [*fixed_ids, *(str(_prop(f, "id")) for f in fresh)]
            if changed:
                self._assign_grids(conn, row.id, changed)
            conn.execute(
                update(T.areas)
                .where(T.areas.c.id == row.id)
                .values(layers=sorted({*row.layers, "incidents"}), updated=func.clock_timestamp())
            )
            total = conn.scalar(select(func.count()).select_from(t).where(t.c.area_id == row.id))
            return int(total or 0)

    def read_incidents(
        self, area: str, *, start: str | None = None, end: str | None = None
    ) -> gpd.GeoDataFrame | None:
        t = T.incidents
        with self.engine.connect() as conn:
            row = self._area(conn, area)
            if "incidents" not in row.layers:
                return None
            query = select(t.c.feature, func.ST_AsBinary(t.c.geom).label("wkb"), t.c.grid).where(
                t.c.area_id == row.id
            )
            if start is not None:
                query = query.where(t.c.time >= _when(start))
            if end is not None:
                query = query.where(t.c.time < _when(end))
            rows = list(conn.execute(query.order_by(t.c.ord)))
        frame = frame_from_features(_features_of(rows), get_spec("incidents"))
        frame["grid"] = pd.Series([r.grid for r in rows], index=frame.index, dtype=object)
        frame.attrs["problems"] = []
        return frame

    # ------------------------------------------------------------------ plans, logs

    def save_plan(self, area: str, plan: PlanDocument) -> None:
        with self.engine.begin() as conn:
            row = self._area(conn, area)
            stmt = pg_insert(T.plans).values(
                area_id=row.id, day=plan.day or "", summary=plan.summary, geojson=plan.geojson
            )
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["area_id", "day"],
                    set_={
                        "summary": stmt.excluded.summary,
                        "geojson": stmt.excluded.geojson,
                        "saved": func.now(),
                    },
                )
            )
            self._touch(conn, row.id)

    def update_plan(
        self, area: str, day: str | None, change: Callable[[PlanDocument | None], PlanDocument]
    ) -> PlanDocument:
        """Read, change and store the day's plan in one transaction holding the area's row
        (``FOR UPDATE``), so parts of a plan saved at once never drop each other's teams."""
        with self.engine.begin() as conn:
            row = self._area(conn, area, for_update=True)
            found = conn.execute(
                select(T.plans.c.summary, T.plans.c.geojson).where(
                    T.plans.c.area_id == row.id, T.plans.c.day == (day or "")
                )
            ).one_or_none()
            old = (
                None
                if found is None or found.summary is None or found.geojson is None
                else PlanDocument(day=day, summary=found.summary, geojson=found.geojson)
            )
            plan = change(old)
            stmt = pg_insert(T.plans).values(
                area_id=row.id, day=day or "", summary=plan.summary, geojson=plan.geojson
            )
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["area_id", "day"],
                    set_={
                        "summary": stmt.excluded.summary,
                        "geojson": stmt.excluded.geojson,
                        "saved": func.now(),
                    },
                )
            )
            self._touch(conn, row.id)
        return plan

    def read_plan(self, area: str, day: str | None = None) -> PlanDocument | None:
        with self.engine.connect() as conn:
            row = self._area(conn, area)
            found = conn.execute(
                select(T.plans.c.summary, T.plans.c.geojson).where(
                    T.plans.c.area_id == row.id, T.plans.c.day == (day or "")
                )
            ).one_or_none()
        if found is None or found.summary is None or found.geojson is None:
            return None
        return PlanDocument(day=day, summary=found.summary, geojson=found.geojson)

    def plan_days(self, area: str) -> list[str]:
        with self.engine.connect() as conn:
            row = self._area(conn, area)
            return list(
                conn.scalars(
                    select(T.plans.c.day)
                    .where(
                        T.plans.c.area_id == row.id,
                        T.plans.c.day != "",
                        T.plans.c.summary.is_not(None),
                        T.plans.c.geojson.is_not(None),
                    )
                    .order_by(T.plans.c.day)
                )
            )

    def save_plan_file(self, area: str, day: str, name: str, data: bytes | None) -> None:
        t = T.plan_files
        with self.engine.begin() as conn:
            area_id = self._area(conn, area).id
            if data is None:
                conn.execute(
                    delete(t).where(t.c.area_id == area_id, t.c.day == day, t.c.name == name)
                )
            else:
                stmt = pg_insert(t).values(area_id=area_id, day=day, name=name, data=data)
                conn.execute(
                    stmt.on_conflict_do_update(
                        index_elements=["area_id", "day", "name"],
                        set_={"data": stmt.excluded.data, "saved": func.now()},
                    )
                )
            self._touch(conn, area_id)

    def read_plan_file(self, area: str, day: str, name: str) -> bytes | None:
        t = T.plan_files
        with self.engine.connect() as conn:
            area_id = self._area(conn, area).id
            data = conn.scalar(
                select(t.c.data).where(t.c.area_id == area_id, t.c.day == day, t.c.name == name)
            )
        return None if data is None else bytes(data)

    def read_area_file(self, area: str, name: str) -> bytes | None:
        t = T.area_files
        with self.engine.connect() as conn:
            area_id = self._area(conn, area).id
            data = conn.scalar(select(t.c.data).where(t.c.area_id == area_id, t.c.name == name))
        return None if data is None else bytes(data)

    def area_file_names(self, area: str, prefix: str) -> list[str]:
        t = T.area_files
        folder = prefix.rstrip("/") + "/"
        with self.engine.connect() as conn:
            area_id = self._area(conn, area).id
            names = conn.scalars(
                select(t.c.name).where(t.c.area_id == area_id, t.c.name.startswith(folder))
            )
            return sorted(n for n in names if "/" not in n[len(folder) :])

    def update_area_file(
        self, area: str, name: str, change: Callable[[bytes | None], bytes | None]
    ) -> tuple[bytes | None, bytes | None]:
        """One transaction holding the area's row (``FOR UPDATE``): read, change, write."""
        t = T.area_files
        with self.engine.begin() as conn:
            area_id = self._area(conn, area, for_update=True).id
            found = conn.scalar(select(t.c.data).where(t.c.area_id == area_id, t.c.name == name))
            old = None if found is None else bytes(found)
            new = change(old)
            if new is None:
                conn.execute(delete(t).where(t.c.area_id == area_id, t.c.name == name))
            else:
                stmt = pg_insert(t).values(area_id=area_id, name=name, data=new)
                conn.execute(
                    stmt.on_conflict_do_update(
                        index_elements=["area_id", "name"],
                        set_={"data": stmt.excluded.data, "saved": func.now()},
                    )
                )
            self._touch(conn, area_id)
        return old, new

    def add_patrol_log(self, area: str, log: PatrolLog) -> None:
        with self.engine.begin() as conn:
            area_id = self._area(conn, area).id
            self._add_logs(conn, area_id, [log])
            self._touch(conn, area_id)

    def _add_logs(self, conn: Connection, area_id: int, logs: Sequence[PatrolLog]) -> None:
        if logs:
            conn.execute(
                insert(T.patrol_logs),
                [
                    {
                        "area_id": area_id,
                        "date": date.fromisoformat(g.date),
                        "team": g.team,
                        "members": list(g.members),
                        "planned": g.planned,
                        "done": g.done,
                        "km": g.km,
                        "hours": g.hours,
                    }
                    for g in logs
                ],
            )

    def patrol_logs(
        self, area: str, *, start: str | None = None, end: str | None = None
    ) -> list[PatrolLog]:
        t = T.patrol_logs
        with self.engine.connect() as conn:
            query = select(t).where(t.c.area_id == self._area(conn, area).id)
            if start is not None:
                query = query.where(t.c.date >= date.fromisoformat(start))
            if end is not None:
                query = query.where(t.c.date <= date.fromisoformat(end))
            return [
                PatrolLog(
                    date=r.date.isoformat(),
                    team=r.team,
                    members=tuple(r.members),
                    planned=r.planned,
                    done=r.done,
                    km=r.km,
                    hours=r.hours,
                )
                for r in conn.execute(query.order_by(t.c.seq))
            ]

    # ------------------------------------------------------------------ users

    def get_user(self, username: str) -> UserRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(T.users).where(T.users.c.username == username)).one_or_none()
        return None if row is None else UserRecord(**row._asdict())

    def list_users(self) -> list[UserRecord]:
        with self.engine.connect() as conn:
            return [
                UserRecord(**r._asdict())
                for r in conn.execute(select(T.users).order_by(T.users.c.username))
            ]

    def put_user(self, user: UserRecord) -> None:
        values = {
            "username": user.username,
            "role": user.role,
            "password_hash": user.password_hash,
            "disabled": user.disabled,
            "team": user.team,
            "created": user.created,
            "session_gen": user.session_gen,
        }
        stmt = pg_insert(T.users).values(**values)
        with self.engine.begin() as conn:
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["username"],
                    set_={k: getattr(stmt.excluded, k) for k in values if k != "username"},
                )
            )

    # ------------------------------------------------------------------ copies

    def export_area(self, area: str) -> AreaDump:
        with self.engine.connect() as conn:
            row = self._area(conn, area)
            layers = {name: self._features(conn, row.id, name) for name in _layer_order(row.layers)}
            history = VersionHistory(head=row.head, versions=self._versions(conn, row.id))
            has_units = {
                r.id: r.has_units
                for r in conn.execute(
                    select(T.grid_versions.c.id, T.grid_versions.c.has_units).where(
                        T.grid_versions.c.area_id == row.id
                    )
                )
            }
            for v in history.versions:
                history.grids[v.id] = self._version_features(conn, row.id, v.id, T.grid_cells)
                history.units[v.id] = (
                    self._version_features(conn, row.id, v.id, T.grid_units)
                    if has_units[v.id]
                    else None
                )
            u = T.grid_undos
            history.undone = [
                {"version": r.version, "author": r.author, "time": _iso(r.time)}
                for r in conn.execute(select(u).where(u.c.area_id == row.id).order_by(u.c.seq))
            ]
            manifest = dict(row.manifest)
            manifest_text = conn.scalar(
                select(cast(T.areas.c.manifest, Text)).where(T.areas.c.id == row.id)
            )
            layer_history = self._history_entries(conn, row.id)
        days = [None, *self.plan_days(area)]
        plans = [p for day in days if (p := self.read_plan(area, day)) is not None]
        return AreaDump(
            documents=self._documents(area),
            manifest=manifest,
            layers=layers,
            history=history,
            plans=plans,
            patrol_logs=self.patrol_logs(area),
            manifest_text=manifest_text,
            layer_history=layer_history,
        )

    def _documents(self, area: str) -> dict[str, bytes]:
        """Every document of the area kept whole (``area_files``), by name."""
        t = T.area_files
        with self.engine.connect() as conn:
            area_id = self._area(conn, area).id
            rows = conn.execute(
                select(t.c.name, t.c.data).where(t.c.area_id == area_id).order_by(t.c.name)
            )
            return {r.name: bytes(r.data) for r in rows}

    def import_area(self, area: str, dump: AreaDump) -> None:
        """Replace ``area`` in the database with ``dump``, in one transaction.

        The layer history is appended to, not replaced: the entries the database had for an
        area of that name (writes made there since it was pushed) stay, with the dump's
        entries it lacked (by layer and file), in time order."""
        if not area or "/" in area:
            raise InputError(f"{area!r} is not an area name")
        self._ensure_partitions(dump.layers.get("incidents", []))
        with self.engine.begin() as conn:
            before = conn.scalar(
                select(T.areas.c.id).where(T.areas.c.name == area).with_for_update()
            )
            kept = [] if before is None else self._history_entries(conn, before)
            known = {(e.layer, e.file) for e in kept}
            entries = kept + [e for e in dump.layer_history if (e.layer, e.file) not in known]
            conn.execute(delete(T.areas).where(T.areas.c.name == area))
            manifest: Any = dump.manifest
            if dump.manifest_text is not None:  # json keeps the text as written
                manifest = cast(literal(dump.manifest_text, Text), JSON)
            area_id = conn.scalar(
                insert(T.areas)
                .values(
                    name=area,
                    manifest=manifest,
                    head=None,
                    layers=sorted(dump.layers),
                )
                .returning(T.areas.c.id)
            )
            assert area_id is not None
            for name, features in dump.layers.items():
                self._put_layer(conn, area_id, name, features)
            h = dump.history
            for v in h.versions:
                self._insert_version(conn, area_id, v, h.grids[v.id], h.units.get(v.id))
            for seq, undo in enumerate(h.undone, start=1):
                conn.execute(
                    insert(T.grid_undos).values(
                        area_id=area_id,
                        seq=seq,
                        version=int(undo["version"]),
                        author=str(undo.get("author", "")),
                        time=_when(str(undo["time"])),
                    )
                )
            conn.execute(update(T.areas).where(T.areas.c.id == area_id).values(head=h.head))
            for plan in dump.plans:
                conn.execute(
                    insert(T.plans).values(
                        area_id=area_id,
                        day=plan.day or "",
                        summary=plan.summary,
                        geojson=plan.geojson,
                    )
                )
            self._add_logs(conn, area_id, dump.patrol_logs)
            for entry in sorted(entries, key=lambda e: (e.replaced_at, e.layer, e.file)):
                self._add_history(conn, area_id, entry)
            if dump.documents:
                conn.execute(
                    insert(T.area_files),
                    [
                        {"area_id": area_id, "name": name, "data": data}
                        for name, data in dump.documents.items()
                    ],
                )
            self._assign_grids(conn, area_id)


def _layer_order(names: Iterable[str]) -> list[str]:
    """Area layers in their declared order, then key-location layers by name."""
    names = set(names)
    return [n for n in AREA_LAYERS if n in names] + sorted(n for n in names if n not in AREA_LAYERS)


def _none_or_str(value: Any) -> str | None:
    return None if value is None else str(value)
