"""Grid files on disk: saved grid versions with undo, base units, household tables.

Every saved grid version lives in ``<area>/grid_versions/vNNNN/`` as
``grids.geojson`` (the grids layer) and ``units.geojson`` (the base units
with the grid each belongs to), and is listed in
``<area>/grid_versions/index.json`` with its author, UTC time, message, the
version it was made from (``parent``) and the household band. ``head`` is the
current version; its grids are also written to the area's ``grids.geojson``
through :func:`geogrid.io.geojson.write_layer` (atomic, previous file kept in
``history/grids/`` with author and message). :func:`undo` moves ``head``
back to the parent version and writes it again; nothing is deleted.

Every save, undo and repair runs under the area's lock
(:meth:`geogrid.io.workspace.Workspace.lock`), so two writers (a CLI edit and
a web save) never pick the same version id. Paths come from the
:class:`~geogrid.io.workspace.Workspace`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geogrid.crs import WGS84, to_wgs84
from geogrid.errors import InputError
from geogrid.io import geojson
from geogrid.io.atomic import copy_atomic, write_json_atomic, write_text_atomic
from geogrid.io.tables import write_csv_atomic
from geogrid.io.workspace import Workspace
from geogrid.layers import features_from_frame

SCHEMA = "geogrid-grid-versions/1"


@dataclass(frozen=True)
class GridVersion:
    """One saved grid version (see the module docstring)."""

    id: int
    parent: int | None
    author: str
    time: str
    message: str
    meta: dict[str, Any]

    @property
    def folder(self) -> str:
        return f"v{self.id:04d}"

    def line(self, head: int | None = None) -> str:
        mark = "*" if head == self.id else " "
        return f"{mark} v{self.id:04d}  {self.time}  {self.author}: {self.message}"


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def read_index(area_dir: Path | str) -> dict[str, Any]:
    """The version index of an area (an empty one when no grids were saved yet)."""
    path = Workspace(area_dir).versions_index_path
    if not path.exists():
        return {"schema": SCHEMA, "head": None, "versions": []}
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise InputError(
            f"{path}: malformed JSON at line {err.lineno}: {err.msg}; restore it or "
            "delete grid_versions/ and generate the grids again"
        ) from err
    return data


def list_versions(area_dir: Path | str) -> tuple[list[GridVersion], int | None]:
    """All saved versions (oldest first) and the id of the current one."""
    index = read_index(area_dir)
    versions = [
        GridVersion(
            id=int(v["id"]),
            parent=v.get("parent"),
            author=str(v.get("author", "")),
            time=str(v.get("time", "")),
            message=str(v.get("message", "")),
            meta=dict(v.get("meta", {})),
        )
        for v in index["versions"]
    ]
    return versions, index.get("head")


def _version(area_dir: Path, version_id: int | None) -> GridVersion:
    versions, head = list_versions(area_dir)
    wanted = head if version_id is None else version_id
    for v in versions:
        if v.id == wanted:
            return v
    if not versions:
        raise InputError(
            f"{area_dir}: no saved grids yet; "
            f"generate them first (`geogrid grids build {area_dir}`)"
        )
    known = ", ".join(f"v{v.id:04d}" for v in versions)
    raise InputError(f"{area_dir}: no grid version {wanted}; versions are {known}")


def units_features(units: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """Base units (index ``unit_id``) as GeoJSON feature dicts, lon/lat, 7 decimals."""
    frame = to_wgs84(units, "units").reset_index()
    geoms = shapely.transform(frame.geometry.to_numpy(), lambda xy: np.round(xy, 7))
    frame = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=WGS84))
    return features_from_frame(frame)


def write_units(units: gpd.GeoDataFrame, path: Path) -> None:
    """Write base units (index ``unit_id``) as GeoJSON, atomically, 7 decimals."""
    write_text_atomic(path, geojson.dumps_features(units_features(units)))


def read_units(
    path: Path | str, id_columns: tuple[str, ...] = ("unit_id", "id")
) -> gpd.GeoDataFrame:
    """Read base units from GeoJSON (blocks or buildings), indexed by ``unit_id``.

    The id comes from the first of ``id_columns`` present; features without
    one are numbered ``u0001``... Other properties are kept (``households``,
    ``population``, ``parent_code``, ``grid``, ``locked``).
    """
    path = Path(path)
    return units_from_features(
        geojson.read_geojson_features(path, allow_reproject=True), path.name, id_columns
    )


def units_from_features(
    features: list[Any], name: str, id_columns: tuple[str, ...] = ("unit_id", "id")
) -> gpd.GeoDataFrame:
    """Base units from GeoJSON feature dicts (see :func:`read_units`); ``name`` names the source."""
    problems = []
    for n, f in enumerate(features):
        geom = f.get("geometry") if isinstance(f, dict) else None
        if not isinstance(geom, dict) or geom.get("type") not in (
            "Polygon",
            "MultiPolygon",
            "Point",
        ):
            problems.append(
                f"{name} feature {n}: geometry must be a Polygon, MultiPolygon "
                "(blocks) or Point/Polygon (buildings)"
            )
    if problems:
        raise InputError(f"{name}: {len(problems)} bad features", problems[:20])
    if not features:
        raise InputError(f"{name}: no features; give at least one unit")
    units = gpd.GeoDataFrame.from_features(features, crs=WGS84)
    for col in id_columns:
        if col in units.columns and units[col].notna().all():
            units.index = pd.Index(units[col].astype(str), name="unit_id")
            units = units.drop(columns=[col])
            break
    else:
        units.index = pd.Index([f"u{i + 1:04d}" for i in range(len(units))], name="unit_id")
    if units.index.has_duplicates:
        dup = units.index[units.index.duplicated()].unique()[:5]
        raise InputError(f"{name}: unit ids repeat: {', '.join(dup)}; make them unique")
    if "households" in units.columns:
        units["households"] = (
            pd.to_numeric(units["households"], errors="coerce").fillna(0).astype("int64")
        )
    if "locked" in units.columns:
        units["locked"] = units["locked"].fillna(False).astype(bool)
    if "grid" in units.columns:
        units["grid"] = units["grid"].astype(object).where(units["grid"].notna(), None)
    return units


def read_household_table(path: Path | str) -> pd.DataFrame:
    """Read a CSV of building or unit id -> households (and optionally population).

    Columns: ``id`` (also accepted: ``building_id``, ``unit_id``),
    ``households``, optional ``population``. UTF-8 (a BOM is fine).
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: household table not found; check the path")
    try:
        table = pd.read_csv(
            path, dtype={"id": str, "building_id": str, "unit_id": str}, encoding="utf-8-sig"
        )
    except (UnicodeDecodeError, pd.errors.ParserError) as err:
        raise InputError(f"{path}: not a UTF-8 CSV table ({err}); save it as UTF-8 CSV") from err
    for alias in ("building_id", "unit_id"):
        if "id" not in table.columns and alias in table.columns:
            table = table.rename(columns={alias: "id"})
    if "id" not in table.columns or "households" not in table.columns:
        raise InputError(
            f"{path}: needs a header with id (or building_id / unit_id) and households; "
            f"found {', '.join(map(str, table.columns))}"
        )
    bad = [
        f"{path.name} row {i + 2}: households {v!r} is not a number >= 0"
        for i, v in enumerate(pd.to_numeric(table["households"], errors="coerce"))
        if pd.isna(v) or v < 0
    ]
    if bad:
        raise InputError(f"{path}: {len(bad)} bad rows; fix them and import again", bad[:50])
    table["households"] = pd.to_numeric(table["households"])
    return table


def save_version(
    area_dir: Path | str,
    grids: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame | None,
    *,
    author: str,
    message: str,
    meta: dict[str, Any] | None = None,
) -> GridVersion:
    """Save grids (and their units) as a new version made from the current one; make it current.

    The area's ``grids.geojson`` is replaced through
    :func:`~geogrid.io.geojson.write_layer` (validated, atomic, the old file
    kept in ``history/`` with ``author`` and ``message``).
    """
    area_dir = Path(area_dir)
    if not author.strip():
        raise InputError("say who saves the grids (author), e.g. --author 'Wang Li'")
    ws = Workspace(area_dir)
    with ws.lock():  # the next id is picked and taken under one lock
        sync_live(area_dir)
        index = read_index(area_dir)
        new_id = max((int(v["id"]) for v in index["versions"]), default=0) + 1
        geojson.write_layer(grids, ws.version_grids_path(new_id), "grids", history=False)
        if units is not None:
            write_units(units, ws.version_units_path(new_id))
        _commit(ws, index, new_id, author, message, meta)
        return _version(area_dir, new_id)


def _commit(
    ws: Workspace,
    index: dict[str, Any],
    new_id: int,
    author: str,
    message: str,
    meta: dict[str, Any] | None,
) -> None:
    """Record version ``new_id`` in the index (the commit point), then write the live grids."""
    entry = {
        "id": new_id,
        "parent": index.get("head"),
        "author": author,
        "time": _now(),
        "message": message,
        "meta": meta or {},
    }
    index["versions"].append(entry)
    index["head"] = new_id
    # the index is the commit point: a crash before it leaves the old version current
    # (the new folder is an orphan); a crash after it is repaired by sync_live
    write_json_atomic(ws.versions_index_path, index)
    _write_live(ws.path, new_id, author, message)


def sync_live(area_dir: Path | str) -> bool:
    """Make ``grids.geojson`` equal the current version's grids if a save was cut short.

    Returns True when the live file had to be rewritten (the old one goes to
    ``history/``). Areas without saved versions are left alone. Runs under the
    area's lock; reading an area never calls it, writers do (see
    :func:`geogrid.services.grids.repair_interrupted_save`).
    """
    ws = Workspace(area_dir)
    if not ws.versions_index_path.exists():
        return False
    with ws.lock():
        index = read_index(ws.path)
        if index.get("head") is None:
            return False
        version = _version(ws.path, None)
        saved = ws.version_grids_path(version.id)
        live = ws.grids_path
        if live.exists() and live.read_bytes() == saved.read_bytes():
            return False
        _write_live(
            ws.path, version.id, "geogrid", f"restore v{version.id:04d} after an interrupted save"
        )
        return True


def _write_live(area_dir: Path, version_id: int, author: str, message: str) -> None:
    """Make ``grids.geojson`` a byte copy of a saved version (old live file to history/)."""
    ws = Workspace(area_dir)
    live = ws.grids_path
    if live.exists():
        geojson.save_history(live, ws.history_dir, author=author, message=message)
    copy_atomic(ws.version_grids_path(version_id), live)


def load_version(
    area_dir: Path | str, version_id: int | None = None
) -> tuple[GridVersion, gpd.GeoDataFrame, gpd.GeoDataFrame | None]:
    """A saved version (the current one when ``version_id`` is None): meta, grids, units."""
    ws = Workspace(area_dir)
    version = _version(ws.path, version_id)
    grids = geojson.read_layer(ws.version_grids_path(version.id), "grids")
    units_path = ws.version_units_path(version.id)
    units = read_units(units_path) if units_path.exists() else None
    return version, grids, units


def undo(area_dir: Path | str, author: str) -> GridVersion:
    """Make the parent of the current version current again and write its grids."""
    ws = Workspace(area_dir)
    area_dir = ws.path
    with ws.lock():
        index = read_index(area_dir)
        current = _version(area_dir, None)
        if current.parent is None:
            raise InputError(
                f"{area_dir}: v{current.id:04d} is the first saved version; nothing to undo"
            )
        index["head"] = current.parent
        index.setdefault("undone", []).append(
            {"version": current.id, "author": author, "time": _now()}
        )
        write_json_atomic(ws.versions_index_path, index)
        _write_live(area_dir, current.parent, author, f"undo v{current.id:04d}: {current.message}")
        return _version(area_dir, current.parent)


def write_report(report: pd.DataFrame, csv_path: Path | None, json_path: Path | None) -> None:
    """Write the per-grid report as CSV and/or JSON (UTF-8, atomic)."""
    records = [
        {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()}
        for r in json.loads(report.to_json(orient="records", force_ascii=False))
    ]
    if csv_path is not None:
        rows: list[list[object]] = [list(report.columns)]
        rows += [["" if v is None else v for v in r.values()] for r in records]
        write_csv_atomic(Path(csv_path), rows)
    if json_path is not None:
        write_json_atomic(Path(json_path), records)
