"""Import an office's own files into an area: households, grids, key places, teams, communities.

One family, one shape: a file (CSV/Excel through :mod:`geogrid.io.sheets`,
map files through :mod:`geogrid.io.vectors`) and a mapping TOML
(:mod:`geogrid.io.mappings`) -> :mod:`geogrid.registers` /
:mod:`geogrid.grids.imported` -> the area's writer
(:meth:`geogrid.io.workspace.Workspace.write_layer`, history kept) or a grid
version (:func:`geogrid.io.versions.save_version`, message ``imported``); with
``GEOGRID_STORE=postgresql://...`` the area of that database instead
(:class:`~geogrid.store.access.AreaAccess`: ``Store.write_layer`` / ``Store.save_version``,
each one transaction, so a failing import leaves the database as it was).

Every import:

* keeps the good rows and writes a rejects report (CSV, row and reason;
  default ``<file>.rejects.csv`` next to the imported file);
* refuses a whole file whose lon/lat fit the area only in another Chinese
  system (GCJ-02 given as WGS-84), saying so;
* changes nothing when run again on the same file (a layer is written,
  and a grid version saved, only when its content changes).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geogrid import grids as G
from geogrid import registers as R
from geogrid.crs import WGS84
from geogrid.errors import ConflictError, InputError
from geogrid.grids.imported import Move, check_features, repair_slivers, units_in_grids
from geogrid.io import geojson, versions
from geogrid.io.incidents import write_rejects
from geogrid.io.mappings import read_import_mapping
from geogrid.io.sheets import SheetOptions, read_sheet
from geogrid.io.vectors import VECTOR_SUFFIXES, read_vectors
from geogrid.io.workspace import AREA_LAYERS
from geogrid.layers import get_spec
from geogrid.services.grids import default_parent_code, repair_interrupted_save
from geogrid.store.access import AreaAccess
from geogrid.store.base import AreaRef

UNMATCHED = ("reject", "points")
_LAYER_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,40}$")


@dataclass
class ImportReport:
    """What an import did: rows read, kept, set aside; what it wrote."""

    source: Path
    kind: str
    rows: int
    kept: int
    rejects: R.Rejects
    rejects_path: Path | None
    #: the file written, or the layer of the database area (``GEOGRID_STORE``)
    written: Path | str | None
    summary: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [
            f"{self.source.name}: {self.rows} rows, {self.kept} used, {len(self.rejects)} rejected"
        ]
        out += self.summary
        out += [f"  rejected {reason}: {n}" for reason, n in self.rejects.counts().items()]
        if self.written is None and self.rows and not self.kept:
            out.append("nothing imported: every row was rejected")
        elif self.written is None:
            out.append("unchanged: the area already holds this file's content")
        else:
            out.append(f"wrote {self.written}")
        if len(self.rejects) and self.rejects_path is not None:
            out.append(f"rejects report (row and reason): {self.rejects_path}")
        out += [f"note: {n}" for n in self.notes]
        return out


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class _Rows:
    fields: pd.DataFrame
    geometry: gpd.GeoSeries | None
    where: str
    notes: tuple[str, ...] = ()


def _read_rows(source: Path, mapping: R.ImportMapping, *, vectors_only: bool = False) -> _Rows:
    """The mapped fields of a table or a map file (with its geometry in WGS-84)."""
    suffix = source.suffix.lower()
    if suffix in VECTOR_SUFFIXES or vectors_only:
        vectors = read_vectors(
            source,
            coordinates=mapping.coordinates,
            encoding=None if mapping.encoding == "auto" else mapping.encoding,
            layer=mapping.layer,
        )
        attrs = pd.DataFrame(vectors.frame.drop(columns=vectors.frame.geometry.name))
        fields = R.mapped_fields(attrs.astype(object), mapping, vectors.name)
        return _Rows(fields, vectors.frame.geometry, vectors.name, vectors.notes)
    options = SheetOptions(
        sheet=mapping.sheet,
        encoding=mapping.encoding,
        header_rows=mapping.header_rows,
        skip_rows=mapping.skip_rows,
        delimiter=mapping.delimiter,
    )
    sheet = read_sheet(source, options)
    return _Rows(R.mapped_fields(sheet.table, mapping, sheet.where), None, sheet.where)


def _reference(ws: AreaAccess) -> gpd.GeoSeries:
    """The area's streets and buildings, what lon/lat points should fit."""
    parts = []
    for name in ("buildings", "edges"):
        frame = ws.read_layer(name)
        if frame is not None and len(frame):
            parts.append(frame.geometry)
    if not parts:
        return gpd.GeoSeries([], crs=WGS84)
    return gpd.GeoSeries(pd.concat(parts, ignore_index=True), crs=WGS84)


def _check_offset(rows: _Rows, mapping: R.ImportMapping, ws: AreaAccess, metric_crs: str) -> None:
    if not mapping.offset_check:
        return
    if rows.geometry is None:
        if not mapping.has_xy or mapping.coordinates is None:
            return
        x = pd.to_numeric(rows.fields["x"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        y = pd.to_numeric(rows.fields["y"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        stated = mapping.coordinates
    else:
        if mapping.coordinates not in (None, "wgs84") or not len(rows.geometry):
            return
        pts = rows.geometry[rows.geometry.notna() & ~rows.geometry.is_empty].representative_point()
        x, y, stated = pts.x.to_numpy(), pts.y.to_numpy(), "wgs84"
    offset = R.detect_offset(x, y, stated, _reference(ws), metric_crs, outline=_outline(ws))
    if offset is not None:
        raise InputError(
            f"{rows.where}: nothing imported: "
            "the whole file seems to be in another coordinate system",
            [offset.message(rows.where)],
        )


def _rejects_path(source: Path, rejects_path: Path | str | None) -> Path:
    return Path(rejects_path) if rejects_path else source.with_name(f"{source.name}.rejects.csv")


def _same_layer(old: gpd.GeoDataFrame | None, new: gpd.GeoDataFrame, spec: str) -> bool:
    """Would writing ``new`` give the same file as ``old``?"""
    if old is None:
        return False
    layer = get_spec(spec)
    a = geojson.dumps_features(geojson.prepare_features(old, layer, spec))
    b = geojson.dumps_features(geojson.prepare_features(new, layer, spec))
    return a == b


def _write(
    ws: AreaAccess,
    name: str,
    old: gpd.GeoDataFrame | None,
    new: gpd.GeoDataFrame,
    *,
    author: str,
    message: str,
    expected: int,
) -> Path | str | None:
    """Write ``new`` over ``old`` (read at revision ``expected``) unless they are the same;
    a layer written since is a ConflictError (nothing written)."""
    spec = AREA_LAYERS[name][1] if name in AREA_LAYERS else "places"
    if _same_layer(old, new, spec):
        return None
    return ws.write_layer(name, new, author=author, message=message, expected=expected)


#: how many times a merge by id is made again from the layer as it is now, when another
#: import wrote the layer between our read and our write
MERGE_ATTEMPTS = 3


def _merge_write(
    ws: AreaAccess,
    name: str,
    merge: Callable[[gpd.GeoDataFrame | None], gpd.GeoDataFrame | None],
    *,
    author: str,
    message: str,
) -> tuple[Path | str | None, gpd.GeoDataFrame | None]:
    """Read layer ``name`` (and its revision), ``merge`` the new rows into it and write the
    result from that revision; when another write came in between, read and merge again
    (the merge is made from the fresh layer, so nothing of theirs is lost), at most
    :data:`MERGE_ATTEMPTS` times. Returns (where it was written or None, the merged layer)."""
    for attempt in range(1, MERGE_ATTEMPTS + 1):
        revision = ws.layer_revision(name)
        old = ws.read_layer(name)
        merged = merge(old)
        if merged is None:
            return None, old
        try:
            return (
                _write(ws, name, old, merged, author=author, message=message, expected=revision),
                merged,
            )
        except ConflictError:
            if attempt == MERGE_ATTEMPTS:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _finish(report: ImportReport, source: Path, rejects_path: Path | str | None) -> ImportReport:
    path = _rejects_path(source, rejects_path)
    write_rejects(report.rejects.table, path, source.name)
    report.rejects_path = path
    return report


def _outline(ws: AreaAccess) -> shapely.Geometry:
    boundary = ws.read_layer("boundary", required=True)
    assert boundary is not None
    return shapely.union_all(boundary.geometry.to_numpy())


# --------------------------------------------------------------------------- households


def import_households(
    area_dir: AreaRef,
    source: Path | str,
    mapping_path: Path | str,
    *,
    unmatched: str = "reject",
    rejects_path: Path | str | None = None,
    author: str = "geogrid households import",
) -> ImportReport:
    """Sum a household register into the area's buildings (``households_source="register"``).

    Rows find their building by ``building_id`` or by their point (inside
    it, or within ``match_m``). Rows matching no building are rejected
    (``unmatched="reject"``) or become point units (``"points"``, a 4 m
    square in the buildings layer); rows outside the area are rejected.
    The point units an earlier import of the same register (mapping
    ``name``) made are replaced, and point units never count as buildings.
    """
    if unmatched not in UNMATCHED:
        raise InputError(f"--unmatched {unmatched!r}: choose {' or '.join(UNMATCHED)}")
    source = Path(source)
    mapping = read_import_mapping(mapping_path, "households")
    ws = AreaAccess.of(area_dir)
    manifest = ws.read_manifest()
    metric = str(manifest["metric_crs"])
    outline = _outline(ws)
    revision = ws.layer_revision("buildings")
    buildings = ws.read_layer("buildings", required=True)
    assert buildings is not None
    rows = _read_rows(source, mapping)
    fields = rows.fields
    rejects = R.duplicate_ids(fields)
    households, bad = R.parse_households(fields)
    rejects = rejects.plus(bad)
    fields = fields.drop(index=list(rejects.table["row"]))
    _check_offset(rows, mapping, ws, metric)
    located: pd.DataFrame | gpd.GeoDataFrame
    if rows.geometry is not None:
        located = gpd.GeoDataFrame(
            fields, geometry=rows.geometry.loc[fields.index].to_numpy(), crs=WGS84
        )
    elif mapping.has_xy:
        by_id = (
            fields["building_id"].notna()
            if "building_id" in fields.columns
            else pd.Series(False, index=fields.index)
        )
        points = R.points_from_table(fields[~by_id], mapping, area=outline, where=rows.where)
        rejects = rejects.plus(points.rejects)
        named = gpd.GeoDataFrame(fields[by_id], geometry=[None] * int(by_id.sum()), crs=WGS84)
        located = gpd.GeoDataFrame(
            pd.concat([named, points.rows]).sort_index(), geometry="geometry", crs=WGS84
        )
    else:
        located = fields
    # This register's point units from an earlier import are replaced, and no point
    # unit counts as a building: a row 10 m from another address's point unit
    # would overwrite that address's households.
    kind = buildings["building"] if "building" in buildings.columns else None
    points_before = (
        kind.astype(str).eq(R.POINT_UNIT_KIND).to_numpy()
        if kind is not None
        else np.zeros(len(buildings), dtype=bool)
    )
    mine = points_before & buildings["id"].astype(str).str.startswith(f"{mapping.name}/").to_numpy()
    kept = buildings[~mine]
    matched = R.match_buildings(located, kept[~points_before[~mine]], metric, mapping.match_m)
    missing = matched.building.isna()
    has_point = (
        located.geometry.notna() & ~located.geometry.is_empty
        if isinstance(located, gpd.GeoDataFrame)
        else pd.Series(False, index=located.index)
    )
    as_points = (
        missing & has_point if unmatched == "points" else pd.Series(False, index=located.index)
    )
    refused = missing & ~as_points
    details = []
    for row in located.index[refused]:
        bid = located.at[row, "building_id"] if "building_id" in located.columns else None
        if bid is not None and pd.notna(bid):
            details.append(f"building id {bid!r} is no building of the area; check the id")
        else:
            details.append(
                f"no building within {mapping.match_m:g} m of the point; check the row, raise "
                "[source] match_m, or import with --unmatched points"
            )
    ids = located.loc[refused, "id"] if "id" in located.columns else None
    rejects = rejects.plus(
        R.reject_rows(
            located.index[refused], "no_building", details, None if ids is None else list(ids)
        )
    )
    updated, n_buildings = R.households_to_buildings(kept, households, matched)
    point_rows = located[as_points]
    units = R.point_units(point_rows, households, mapping, metric) if len(point_rows) else None
    if units is not None:
        updated = R.merge_by_id(updated, units)
    used = int((~refused).sum())
    total = int(households.reindex(located.index[~refused]).sum())
    written = _write(
        ws,
        "buildings",
        buildings,
        updated,
        author=author,
        message=f"households from {source.name}: {n_buildings} buildings"
        + (f", {len(units)} point units" if units is not None else ""),
        expected=revision,  # the buildings matched are the ones read: a stale read is refused
    )
    report = ImportReport(
        source,
        "households",
        len(rows.fields),
        used,
        rejects,
        None,
        written,
        summary=[
            f"{total} households into {n_buildings} buildings"
            + (f" and {len(units)} point units" if units is not None else "")
        ],
        notes=list(rows.notes),
    )
    return _finish(report, source, rejects_path)


# --------------------------------------------------------------------------- grids


@dataclass
class GridImport:
    """What :func:`import_grids` did: the version saved (None if unchanged) and what is left."""

    report: ImportReport
    version: versions.GridVersion | None
    problems: list[G.GridProblem]
    moves: list[Move]

    def lines(self) -> list[str]:
        out = self.report.lines()
        if self.version is not None:
            out.append(
                f"saved as v{self.version.id:04d} by {self.version.author}: {self.version.message}"
            )
        out += [f"repaired {m}" for m in self.moves]
        out += [f"problem: {p}" for p in self.problems]
        if self.version is not None or self.report.written is None:
            out.append(
                "next: edit (geogrid grids reassign/split/merge) or rebalance (geogrid grids build)"
            )
        return out


def import_grids(
    area_dir: AreaRef,
    source: Path | str,
    mapping_path: Path | str,
    *,
    repair_slivers_m2: float | None = None,
    band: G.Band | None = None,
    author: str = "geogrid grids import",
    rejects_path: Path | str | None = None,
) -> GridImport:
    """Import an office's grid layer as a new grid version (message ``imported``).

    Features without geometry are set aside (rejects report); a layer with
    codes missing or repeated, or grids overlapping each other, is refused
    whole, naming the features (small overlaps can be repaired with
    ``repair_slivers_m2``). The grids are checked like drawn ones
    (:func:`geogrid.grids.validate_grids`) and saved with units cut along the
    street blocks, so they can be edited and rebalanced.
    """
    source = Path(source)
    mapping = read_import_mapping(mapping_path, "grids")
    ws = AreaAccess.of(area_dir)
    with ws.lock():
        if ws.folder is not None:
            repair_interrupted_save(ws.folder)
        area = ws.read()
        metric = area.metric_crs
        rows = _read_rows(source, mapping, vectors_only=True)
        assert rows.geometry is not None
        frame = gpd.GeoDataFrame(rows.fields, geometry=rows.geometry.to_numpy(), crs=WGS84)
        frame.index = rows.fields.index
        empty = frame.geometry.isna() | frame.geometry.is_empty
        rejects = R.reject_rows(
            frame.index[empty],
            "no_geometry",
            ["the feature has no geometry; draw it or delete the row"] * int(empty.sum()),
            list(frame.loc[empty, "code"]),
        )
        frame = frame[~empty]
        outline = shapely.union_all(area.boundary.geometry.to_numpy())
        if mapping.offset_check and mapping.coordinates in (None, "wgs84"):
            offset = R.detect_area_offset(frame.geometry.to_numpy(), outline, metric)
            if offset is not None:
                raise InputError(
                    f"{rows.where}: nothing imported: the grids lie off the area",
                    [offset.message(rows.where)],
                )
        tolerance = max(G.TOLERANCE_M2, repair_slivers_m2 or 0.0)
        good, problems, notes = check_features(frame, metric, tolerance_m2=tolerance)
        if problems:
            raise InputError(
                f"{rows.where}: {len(problems)} "
                f"feature problem{'s' if len(problems) != 1 else ''}; nothing was saved",
                [f"{rows.where} {p}" for p in problems],
            )
        moves: list[Move] = []
        if repair_slivers_m2:
            good, moves = repair_slivers(good, metric, repair_slivers_m2, boundary=area.boundary)
        grids = _grids_layer(good, area, metric)
        blocks = None
        if area.edges is not None and len(area.edges):
            blocks = G.units_from_streets(area.boundary, area.edges, metric, area.communities)
        units = G.count_households(units_in_grids(grids, metric, blocks), area.buildings, metric)
        band = band or G.Band()
        found = G.validate_grids(
            grids,
            metric,
            boundary=area.boundary,
            parents=area.communities,
            band=band,
            require_worker="worker" in mapping.columns,
        )
        meta: dict[str, Any] = {
            "band": [band.min_households, band.max_households],
            "bands": {},
            "source": source.name,
        }
        version = _save_grids(ws, grids, units, author=author, meta=meta)
    report = ImportReport(
        source,
        "grids",
        len(rows.fields),
        len(grids),
        rejects,
        None,
        None if version is None else ws.layer_where("grids"),
        summary=[f"{len(grids)} grids, {int(grids['households'].sum())} households"],
        notes=[*rows.notes, *notes],
    )
    return GridImport(_finish(report, source, rejects_path), version, found, moves)


def _save_grids(
    ws: AreaAccess,
    grids: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    *,
    author: str,
    meta: dict[str, Any],
) -> versions.GridVersion | None:
    """Save imported grids as a version ``imported``, unless the current one is the same."""
    text = geojson.dumps_features(geojson.prepare_features(grids, get_spec("grids"), "grids"))
    if ws.folder is not None:
        folder = ws.folder
        current = versions.list_versions(folder.path)[1]
        if (
            current is not None
            and folder.version_grids_path(current).read_text(encoding="utf-8") == text
        ):
            return None
        return versions.save_version(
            folder.path, grids, units, author=author, message="imported", meta=meta
        )
    head = ws.store.list_versions(ws.name)[1]
    if head is not None:
        stored = ws.store.load_version(ws.name, head)[1]
        again = geojson.dumps_features(geojson.prepare_features(stored, get_spec("grids"), "grids"))
        if json.loads(again) == json.loads(text):  # the database keeps no key order of a frame
            return None
    return ws.store.save_version(
        ws.name, grids, units, author=author, message="imported", meta=meta, parent=head
    )


def _grids_layer(good: gpd.GeoDataFrame, area: object, metric: str) -> gpd.GeoDataFrame:
    """The grids layer of imported features: codes, names, workers, parents, households."""
    from geogrid.io.workspace import Area

    assert isinstance(area, Area)
    frame = gpd.GeoDataFrame(
        {
            c: good[c].to_numpy() if c in good.columns else None
            for c in ("code", "name", "worker", "parent_code")
        },
        geometry=good.geometry.to_numpy(),
        crs=WGS84,
    )
    if frame["parent_code"].isna().any():
        default = default_parent_code(area.manifest.get("admin_code"))
        parents = area.communities
        guess = [default] * len(frame)
        if parents is not None and len(parents):
            pm = parents.to_crs(metric)
            gm = frame.to_crs(metric)
            for i, geom in enumerate(gm.geometry):
                shares = pm.geometry.intersection(geom).area.to_numpy()
                if shares.max() > 0:
                    guess[i] = str(pm["code"].iloc[int(np.argmax(shares))])
        frame["parent_code"] = frame["parent_code"].where(
            frame["parent_code"].notna(), pd.Series(guess)
        )
    frame["parent_code"] = frame["parent_code"].astype(str)
    if len(area.buildings):
        frame = G.count_households(frame, area.buildings, metric)
    elif "households" in good.columns:
        hh = pd.to_numeric(good["households"], errors="coerce").to_numpy()
        frame["households"] = np.where(np.isnan(hh), 0, hh).astype("int64")
        frame["population"] = (frame["households"] * G.PERSONS_PER_HOUSEHOLD).round(1)
    metric_geoms = frame.to_crs(metric).geometry
    frame["area_m2"] = metric_geoms.area.round(1)
    perimeter = metric_geoms.length
    frame["polsby_popper"] = (4 * np.pi * metric_geoms.area / perimeter**2).clip(0, 1).round(4)
    frame["locked"] = False
    frame = G.order_rows(frame, metric).reset_index(drop=True)
    for col in ("name", "worker"):
        frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    return frame


# --------------------------------------------------------------------------- places


def import_places(
    area_dir: AreaRef,
    source: Path | str,
    layer: str,
    mapping_path: Path | str,
    *,
    rejects_path: Path | str | None = None,
    author: str = "geogrid layers import",
) -> ImportReport:
    """Key places (schools, police posts, markets, cameras ...) into layer ``layer``.

    From a table with x/y columns or any vector file (points or polygons);
    merged by id into ``layers/<layer>.geojson`` (same id: replaced).
    """
    if not _LAYER_NAME.match(layer) or layer in AREA_LAYERS:
        raise InputError(
            f"--layer {layer!r}: give a short lower-case name (schools, police, cameras, "
            "risk_points) that is not one of the area's own layers "
            f"({', '.join(AREA_LAYERS)}); for parents use --as communities"
        )
    source = Path(source)
    mapping = read_import_mapping(mapping_path, "places")
    ws = AreaAccess.of(area_dir)
    metric = str(ws.read_manifest()["metric_crs"])
    outline = _outline(ws)
    rows = _read_rows(source, mapping)
    fields = rows.fields
    rejects = R.duplicate_ids(fields)
    fields = fields.drop(index=list(rejects.table["row"]))
    _check_offset(rows, mapping, ws, metric)
    if rows.geometry is not None:
        geoms = rows.geometry.loc[fields.index]
        usable = (
            geoms.notna()
            & ~geoms.is_empty
            & geoms.geom_type.isin(["Point", "Polygon", "MultiPolygon"])
        )
        rejects = rejects.plus(
            R.reject_rows(
                fields.index[~usable],
                "no_geometry",
                ["no point or polygon; a key place is a point or an area"] * int((~usable).sum()),
            )
        )
        inside = usable & geoms.intersects(outline)
        rejects = rejects.plus(
            R.reject_rows(
                fields.index[usable & ~inside],
                "outside_area",
                ["the place lies outside the area"] * int((usable & ~inside).sum()),
            )
        )
        located = gpd.GeoDataFrame(fields[inside], geometry=geoms[inside].to_numpy(), crs=WGS84)
    else:
        if not mapping.has_xy:
            raise InputError(f"{rows.where}: a table of places needs x and y in [columns]")
        points = R.points_from_table(fields, mapping, area=outline, where=rows.where)
        rejects = rejects.plus(points.rejects)
        located = points.rows
    places = R.places_from_rows(located, mapping, layer)
    written, merged = _merge_write(
        ws,
        layer,
        lambda old: R.merge_by_id(old, places),
        author=author,
        message=f"{len(places)} places from {source.name}",
    )
    assert merged is not None
    report = ImportReport(
        source,
        "places",
        len(rows.fields),
        len(places),
        rejects,
        None,
        written,
        summary=[f"{len(places)} places in layer {layer} ({len(merged)} in all)"],
        notes=list(rows.notes),
    )
    return _finish(report, source, rejects_path)


def import_communities(
    area_dir: AreaRef,
    source: Path | str,
    mapping_path: Path | str,
    *,
    rejects_path: Path | str | None = None,
    author: str = "geogrid layers import",
) -> ImportReport:
    """Parents of the grids (社区, or 街道 with 9-digit codes) from any vector file.

    Replaces ``communities.geojson`` (history kept); codes become 12 digits.
    """
    source = Path(source)
    mapping = read_import_mapping(mapping_path, "communities")
    ws = AreaAccess.of(area_dir)
    ws.read_manifest()
    outline = _outline(ws)
    rows = _read_rows(source, mapping, vectors_only=True)
    assert rows.geometry is not None
    features = gpd.GeoDataFrame(rows.fields, geometry=rows.geometry.to_numpy(), crs=WGS84)
    features.index = rows.fields.index
    communities, rejects = R.communities_from_rows(features, outline, mapping)
    revision = ws.layer_revision("communities")
    old = ws.read_layer("communities")
    written = _write(
        ws,
        "communities",
        old,
        communities,
        author=author,
        message=f"{len(communities)} communities from {source.name}",
        expected=revision,  # replaces the layer whole: another import's since is a conflict
    )
    report = ImportReport(
        source,
        "communities",
        len(rows.fields),
        len(communities),
        rejects,
        None,
        written,
        summary=[f"{len(communities)} communities (grid parents)"],
        notes=list(rows.notes),
    )
    return _finish(report, source, rejects_path)


# --------------------------------------------------------------------------- teams


def import_teams(
    area_dir: AreaRef,
    source: Path | str,
    mapping_path: Path | str,
    *,
    rejects_path: Path | str | None = None,
    author: str = "geogrid teams import",
) -> ImportReport:
    """Teams and their members from a roster; the base by coordinates or a key place's name.

    Merged by team id into ``teams.geojson`` (same id: replaced).
    """
    source = Path(source)
    mapping = read_import_mapping(mapping_path, "teams")
    ws = AreaAccess.of(area_dir)
    metric = str(ws.read_manifest()["metric_crs"])
    outline = _outline(ws)
    rows = _read_rows(source, mapping)
    fields = rows.fields
    rejects = R.Rejects.empty()
    points = None
    if rows.geometry is not None:
        points = rows.geometry[rows.geometry.notna() & ~rows.geometry.is_empty]
    elif mapping.has_xy:
        given = fields["x"].notna() | fields["y"].notna()
        _check_offset(_Rows(fields[given], None, rows.where), mapping, ws, metric)
        located = R.points_from_table(fields[given], mapping, area=outline, where=rows.where)
        rejects = rejects.plus(located.rejects)
        fields = fields.drop(index=list(located.rejects.table["row"]))
        points = located.rows.geometry
    places = [ws.read_layer(name) for name in ws.layer_names()]
    frames = [p for p in places if p is not None and len(p)]
    all_places = (
        gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=WGS84) if frames else None
    )
    teams, bad = R.teams_from_rows(fields, points, all_places, mapping)
    rejects = rejects.plus(bad)
    written = None
    if len(teams):
        written, _ = _merge_write(
            ws,
            "teams",
            lambda old: R.merge_by_id(old, teams),
            author=author,
            message=f"{len(teams)} teams from {source.name}",
        )
    used = len(rows.fields) - len(rejects)
    report = ImportReport(
        source,
        "teams",
        len(rows.fields),
        used,
        rejects,
        None,
        written,
        summary=[f"{len(teams)} teams, {used} roster rows"],
        notes=list(rows.notes),
    )
    return _finish(report, source, rejects_path)
