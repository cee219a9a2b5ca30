"""Grids on an area workspace: generate, edit, validate, undo, compare, report.

Orchestration only: reads the area through its store (:mod:`geogrid.store`: the
folder, the database of ``GEOGRID_STORE``, or a :class:`~geogrid.store.base.StoredArea`
the web app passes), computes with :mod:`geogrid.grids`, saves versions
through the store; ``parent`` makes a save from a version that is no longer
current a :class:`~geogrid.errors.ConflictError`. Communities import and
``grow`` write their layer through :class:`~geogrid.store.access.AreaAccess`
(the folder as before, or the database's area in one transaction).
Every edit re-validates the grids and returns the problems found. Reading
never writes; every command that writes first repairs a grid save that was
cut short (:func:`repair_interrupted_save`), under the area's lock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from geogrid import grids as G
from geogrid.crs import WGS84, to_metric
from geogrid.errors import InputError
from geogrid.grids.units import split_by_parents
from geogrid.io import geojson, versions
from geogrid.io.workspace import Area, Workspace
from geogrid.store import Store, area_store
from geogrid.store.access import AreaAccess
from geogrid.store.base import HEAD, AreaRef, Parent


@dataclass
class GridResult:
    """What a grid command did: the plan, the saved version and the problems left."""

    plan: G.GridPlan
    version: versions.GridVersion | None
    problems: list[G.GridProblem]

    def summary(self) -> list[str]:
        grids = self.plan.grids
        inside = sum(
            self.plan.band_of(str(p)).violation(h) == 0
            for p, h in zip(grids["parent_code"], grids["households"], strict=True)
        )
        lines = [
            f"{len(grids)} grids, {inside} inside their household band "
            f"({self.plan.default_band} by default), {int(grids['households'].sum())} households, "
            f"median Polsby-Popper {grids['polsby_popper'].median():.2f}",
        ]
        if self.version is not None:
            lines.append(
                f"saved as v{self.version.id:04d} by {self.version.author}: {self.version.message}"
            )
        lines += [f"note: {p}" for p in self.plan.problems]
        lines += [f"problem: {p}" for p in self.problems]
        return lines


def repair_interrupted_save(area_dir: Workspace | Path | str) -> bool:
    """Bring ``grids.geojson`` back in line with the current grid version if a save was
    killed between recording the version and writing the live file (under the lock).

    Returns True when it had to. Commands that write call it first; reading
    an area never does. A read-only copy of an area is left as it is.
    """
    ws = area_dir if isinstance(area_dir, Workspace) else Workspace(area_dir)
    try:
        with ws.lock():
            return versions.sync_live(ws.path)
    except OSError:  # a read-only copy of an area: nothing to write, nothing to repair
        return False


def read_communities(area_dir: Path | str) -> gpd.GeoDataFrame | None:
    """The area's ``communities.geojson`` (parent units), or None when absent."""
    return Workspace(area_dir).read_layer("communities")


def default_parent_code(admin_code: str | None) -> str:
    """12-digit parent code from an area admin code (6 digits + zeros; all zeros if none)."""
    digits = "".join(ch for ch in (admin_code or "") if ch.isdigit())
    return (digits + "0" * 12)[:12]


def import_communities(
    area_dir: AreaRef,
    osm_path: Path | str,
    *,
    admin_level: int | Sequence[int] = 10,
    street_code: str = "001",
    author: str = "geogrid grids communities",
) -> gpd.GeoDataFrame:
    """Store the OSM admin areas of ``admin_level`` inside the area as ``communities.geojson``.

    ``admin_level`` may be several levels (e.g. 9 and 10, where some streets
    have no communities mapped): where areas overlap the finer level (higher
    number) wins and a coarser one keeps only the rest. Codes are admin code
    (6) + ``street_code`` (3) + a 3-digit sequence numbered north to south,
    west to east. Raises when the OSM file has no such admin areas inside
    the area.
    """
    from geogrid.io.osm import describe_admin_levels, read_osm

    ws = AreaAccess.of(area_dir)
    if ws.folder is not None:
        repair_interrupted_save(ws.folder)
    area = ws.read(with_network=False)
    outline = shapely.union_all(area.boundary.geometry.to_numpy())
    extract = read_osm(Path(osm_path))
    admin = extract.admin
    levels = [admin_level] if isinstance(admin_level, int) else list(dict.fromkeys(admin_level))
    said = ", ".join(map(str, levels))
    chosen = admin[admin["admin_level"].isin(levels)] if len(admin) else admin
    chosen = chosen[chosen.geometry.intersects(outline)] if len(chosen) else chosen
    if not len(chosen):
        raise InputError(
            f"{osm_path}: no admin relation has admin_level {said} inside the area "
            f"{ws.where()}; levels present: {describe_admin_levels(extract, outline) or 'none'}; "
            "choose one with --admin-level or draw communities.geojson by hand",
            problems=[w for lv in levels for w in _why_no_communities(extract, outline, lv)],
        )
    # finer levels first, so that they win where a coarser area covers them
    chosen = chosen.iloc[(-chosen["admin_level"].astype(int)).to_numpy().argsort(kind="stable")]
    clipped = chosen.geometry.intersection(outline)
    frame = gpd.GeoDataFrame(
        {
            "name": chosen["name"].astype(object).to_numpy(),
            "admin_level": chosen["admin_level"].astype(int).to_numpy(),
            "source": [f"OSM {i}" for i in chosen["id"]],
        },
        geometry=clipped.to_numpy(),
        crs=WGS84,
    )
    frame = frame[
        ~frame.geometry.is_empty & frame.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
    ]
    frame = frame[to_metric(frame, area.metric_crs, "communities").area > G.TOLERANCE_M2]
    # the first admin area wins where two overlap
    taken = shapely.Polygon()
    geoms = []
    for geom in frame.geometry:
        geoms.append(shapely.difference(geom, taken))
        taken = shapely.union(taken, geom)
    frame = frame.set_geometry(geoms, crs=WGS84)
    if len(levels) > 1:  # a coarser area wholly covered by finer ones is left out
        frame = frame[to_metric(frame, area.metric_crs, "communities").area > G.TOLERANCE_M2]
    frame = G.order_rows(frame, area.metric_crs).reset_index(drop=True)
    prefix = default_parent_code(area.manifest.get("admin_code"))[:6] + street_code
    frame.insert(0, "code", [f"{prefix}{i + 1:03d}" for i in range(len(frame))])
    ws.write_layer(
        "communities",
        frame,
        author=author,
        message=f"admin_level={said.replace(' ', '')} areas from {Path(osm_path).name}",
    )
    return frame


def _why_no_communities(extract: Any, outline: shapely.Geometry, admin_level: int) -> list[str]:
    """Why no admin area of ``admin_level`` came out of an OSM extract, one line per cause."""
    admin = extract.admin
    if not len(admin) and not extract.skipped_admin:
        return ["the file has no boundary=administrative relation or closed way at all"]
    why = [
        f"admin_level {admin_level}: {s.name} ({s.id}) could not be assembled: {s.reason}"
        for s in extract.skipped_admin
        if s.admin_level == admin_level
    ]
    level = admin[admin["admin_level"] == admin_level] if len(admin) else admin
    why += [
        f"admin_level {admin_level}: {row.name} ({row.id}) lies outside the area"
        for row in level.itertuples()
        if not row.geometry.intersects(outline)
    ]
    if not why:
        why.append(f"the file has no admin relation with admin_level {admin_level}")
    return why


def make_units(
    area: Area,
    communities: gpd.GeoDataFrame | None,
    *,
    units_path: Path | str | None = None,
    households_csv: Path | str | None = None,
    max_households: int = G.DEFAULT_MAX_HOUSEHOLDS,
) -> gpd.GeoDataFrame:
    """Base units of an area: street blocks (blocks over the max split by building) or a file.

    A units file with Point features or an ``id`` per building is treated as
    buildings (one Voronoi cell each); polygons are blocks. A household CSV
    (id -> households, population) names buildings or units.
    """
    from geogrid.io.versions import read_household_table, read_units

    buildings = area.buildings
    table = read_household_table(households_csv) if households_csv else None
    if (
        table is not None
        and len(buildings)
        and table["id"].astype(str).isin(buildings["id"].astype(str)).any()
    ):
        buildings = G.apply_household_table(buildings, table, what=Path(str(households_csv)).name)
        table = None
    default = default_parent_code(area.manifest.get("admin_code"))
    if units_path is not None:
        given = read_units(units_path)
        if (given.geometry.geom_type == "Point").any():
            as_buildings = given.reset_index().rename(columns={"unit_id": "id"})
            units = G.units_from_buildings(
                as_buildings, area.boundary, area.metric_crs, communities
            )
            if "households" in as_buildings.columns:
                units = G.count_households(units, as_buildings, area.metric_crs)
            else:
                units = G.count_households(units, buildings, area.metric_crs)
        else:
            units = given
            if communities is not None and len(communities):  # cut along hand-drawn edges
                units = split_by_parents(units, communities, area.metric_crs)
            elif "parent_code" not in units.columns:
                units["parent_code"] = _parents_of(units, communities, area.metric_crs, default)
            if "households" not in units.columns:
                units = G.count_households(units, buildings, area.metric_crs)
            elif "population" not in units.columns:
                units["population"] = (units["households"] * G.PERSONS_PER_HOUSEHOLD).round(1)
    else:
        edges = area.require_streets("drawing grids from street blocks (or give --units)")[1]
        units = G.units_from_streets(area.boundary, edges, area.metric_crs, communities)
        if communities is None:
            units["parent_code"] = default
        units = G.count_households(units, buildings, area.metric_crs)
        units = G.refine_units(units, buildings, area.metric_crs, max_households)
    if table is not None:
        units = G.apply_household_table(units, table, what=Path(str(households_csv)).name)
    return units


def _parents_of(
    units: gpd.GeoDataFrame, communities: gpd.GeoDataFrame | None, metric_crs: str, default: str
) -> list[str]:
    if communities is None or not len(communities):
        return [default] * len(units)
    points = to_metric(units, metric_crs, "units").geometry.representative_point().to_numpy()
    tree = shapely.STRtree(to_metric(communities, metric_crs, "communities").geometry.to_numpy())
    nearest = tree.query_nearest(points, all_matches=False)[1]
    return [str(c) for c in communities["code"].to_numpy()[nearest]]


def _band_meta(plan: G.GridPlan) -> dict[str, Any]:
    return {
        "band": [plan.default_band.min_households, plan.default_band.max_households],
        "bands": {k: [b.min_households, b.max_households] for k, b in plan.bands.items()},
    }


def _bands_from(meta: Mapping[str, Any]) -> tuple[G.Band, dict[str, G.Band]]:
    band = G.Band(*meta.get("band", (G.DEFAULT_MIN_HOUSEHOLDS, G.DEFAULT_MAX_HOUSEHOLDS)))
    bands = {k: G.Band(*v) for k, v in meta.get("bands", {}).items()}
    return band, bands


def check(
    area: Area, plan: G.GridPlan, communities: gpd.GeoDataFrame | None, require_worker: bool = False
) -> list[G.GridProblem]:
    return G.validate_grids(
        plan.grids,
        area.metric_crs,
        boundary=area.boundary,
        parents=communities,
        band=plan.default_band,
        bands=plan.bands,
        require_worker=require_worker,
    )


def generate(
    area_dir: AreaRef,
    *,
    band: G.Band | None = None,
    bands: Mapping[str, G.Band] | None = None,
    seed: int = 0,
    units_path: Path | str | None = None,
    households_csv: Path | str | None = None,
    keep_locked: bool = True,
    author: str = "geogrid grids build",
    message: str | None = None,
    restarts: int = 4,
    parent: Parent = HEAD,
) -> GridResult:
    """Generate grids for an area and save them as a new version.

    Grids locked in the current version (``locked``) are kept as they are
    when ``keep_locked``; unchanged grids keep their codes. ``parent``: the
    version the caller saw (ConflictError when it is no longer current).
    """
    store, name = area_store(area_dir)
    with store.lock(
        name
    ):  # folder: nobody saves between reading and saving; database: parent check
        store.repair(name)
        return _generate(
            store,
            store.read_area(name),
            band=band,
            bands=bands,
            seed=seed,
            units_path=units_path,
            households_csv=households_csv,
            keep_locked=keep_locked,
            author=author,
            message=message,
            restarts=restarts,
            parent=parent,
        )


def _generate(
    store: Store,
    area: Area,
    *,
    band: G.Band | None,
    bands: Mapping[str, G.Band] | None,
    seed: int,
    units_path: Path | str | None,
    households_csv: Path | str | None,
    keep_locked: bool,
    author: str,
    message: str | None,
    restarts: int,
    parent: Parent = HEAD,
) -> GridResult:
    name = area.path.name
    communities = area.communities
    band = band or G.Band()
    bands = dict(bands or {})
    units = make_units(
        area,
        communities,
        units_path=units_path,
        households_csv=households_csv,
        max_households=min([band.max_households, *(b.max_households for b in bands.values())]),
    )
    locked_grids: list[str] = []
    previous = area.grids if len(area.grids) else None
    saved, head = store.list_versions(name)
    if parent != HEAD:
        head = parent
    if keep_locked and saved and units_path is None:
        _, old_grids, old_units = store.load_version(name)
        if old_units is not None and "locked" in old_grids.columns:
            locked_grids = sorted(
                old_grids.loc[old_grids["locked"].fillna(False).astype(bool), "code"].astype(str)
            )
            if locked_grids:  # keep the saved units so locked grids stay exactly as they are
                units = G.count_households(
                    old_units[["parent_code", "grid", "geometry"]], area.buildings, area.metric_crs
                )
    plan = G.build_grids(
        units,
        area.metric_crs,
        band=band,
        bands=bands,
        seed=seed,
        locked_grids=locked_grids,
        previous=previous,
        restarts=restarts,
    )
    problems = check(area, plan, communities)
    version = store.save_version(
        name,
        plan.grids,
        plan.units,
        author=author,
        message=message or f"generated, band {band}, seed {seed}",
        meta={**_band_meta(plan), "seed": seed},
        parent=head,
    )
    return GridResult(plan=plan, version=version, problems=problems)


def load_plan(area_dir: AreaRef, version_id: int | None = None) -> G.GridPlan:
    """The plan of a saved version (current by default)."""
    store, name = area_store(area_dir)
    version, grids, units = store.load_version(name, version_id)
    if units is None:
        raise InputError(
            f"{area_dir}: v{version.id:04d} has no units (hand-drawn grids); edit the grids "
            "in a GIS, or generate grids to edit them here"
        )
    band, bands = _bands_from(version.meta)
    return G.plan_from_layers(grids, units, store.read_manifest(name)["metric_crs"], band, bands)


def current_plan(
    area: Area, where: AreaRef | None = None
) -> tuple[G.GridPlan, list[G.GridProblem]] | None:
    """The current saved plan of a loaded area and its problems; None before any save.

    ``where``: the area's store and name (default: found from ``area.path``)."""
    where = area.path if where is None else where
    store, name = area_store(where)
    head = store.list_versions(name)[1]
    if head is None:
        return None
    plan = load_plan(where, head)
    return plan, check(area, plan, area.communities)


EDITS = ("reassign", "split", "merge", "rename", "lock", "unlock", "worker")


def edit(
    area_dir: AreaRef,
    operation: str,
    *,
    author: str,
    message: str | None = None,
    codes: Sequence[str] = (),
    units: Sequence[str] = (),
    to_code: str | None = None,
    new_code: str | None = None,
    name: str | None = None,
    worker: str | None = None,
    seed: int = 0,
    parent: Parent = HEAD,
) -> GridResult:
    """Apply one edit to the current grids, re-validate, and save a new version.

    Operations: ``reassign`` (``units`` to ``to_code``), ``split`` (``codes[0]``),
    ``merge`` (``codes``, into the first), ``rename`` (``codes[0]`` to
    ``new_code`` and/or ``name``), ``lock`` / ``unlock`` (``codes``),
    ``worker`` (``codes[0]`` gets ``worker``). ``parent``: the version the edit was made
    on (ConflictError when it is no longer current; default: whatever is current).
    """
    store, area_name = area_store(area_dir)
    with store.lock(
        area_name
    ):  # folder: nobody saves between loading and saving; database: parent check
        store.repair(area_name)
        return _edit(
            store,
            area_name,
            area_dir,
            operation,
            author=author,
            message=message,
            codes=codes,
            units=units,
            to_code=to_code,
            new_code=new_code,
            name=name,
            worker=worker,
            seed=seed,
            parent=parent,
        )


def _edit(
    store: Store,
    area_name: str,
    area_dir: AreaRef,
    operation: str,
    *,
    author: str,
    message: str | None,
    codes: Sequence[str],
    units: Sequence[str],
    to_code: str | None,
    new_code: str | None,
    name: str | None,
    worker: str | None,
    seed: int,
    parent: Parent = HEAD,
) -> GridResult:
    head = store.list_versions(area_name)[1] if parent == HEAD else parent
    plan = load_plan(area_dir, head)
    before = plan
    if operation == "reassign":
        if not units or to_code is None:
            raise InputError("reassign needs unit ids and --to CODE")
        plan = G.reassign_units(plan, units, to_code)
        what = f"moved {', '.join(units)} to {to_code}"
    elif operation == "split":
        plan = G.split_grid(plan, _one(codes, operation), seed=seed, new_code=new_code)
        what = f"split {codes[0]}"
    elif operation == "merge":
        if len(codes) < 2:
            raise InputError("merge needs at least two grid codes")
        plan = G.merge_grids(plan, codes)
        what = f"merged {', '.join(codes)}"
    elif operation == "rename":
        plan = G.rename_grid(plan, _one(codes, operation), new_code=new_code, name=name)
        what = (
            f"renamed {codes[0]}"
            + (f" to {new_code}" if new_code else "")
            + (f" ({name})" if name else "")
        )
    elif operation in ("lock", "unlock"):
        for code in codes:
            plan = G.set_grid(plan, code, locked=operation == "lock")
        what = f"{operation}ed {', '.join(codes)}"
    elif operation == "worker":
        if worker is None:
            raise InputError("worker needs a name: --worker NAME")
        plan = G.set_grid(plan, _one(codes, operation), worker=worker)
        what = f"worker of {codes[0]}: {worker}"
    else:
        raise InputError(f"unknown edit {operation!r}; choose one of {', '.join(EDITS)}")
    check_complete(before, plan, what)
    area = store.read_area(area_name, with_network=False)
    problems = check(area, plan, area.communities)
    version = store.save_version(
        area_name,
        plan.grids,
        plan.units,
        author=author,
        message=message or what,
        meta=_band_meta(plan),
        parent=head,
    )
    return GridResult(plan=plan, version=version, problems=problems)


def check_complete(before: G.GridPlan, after: G.GridPlan, what: str = "the edit") -> None:
    """Refuse (InputError) an edited plan that lost a unit or a household.

    Every unit of ``before`` must be in ``after``, assigned to a grid that
    exists there, and the household total must be unchanged: an edit moves
    units between grids, it never drops them.
    """
    units, grids = after.units, after.grids
    codes = {c for c in grids["code"] if isinstance(c, str)}
    problems = []
    missing = before.units.index.difference(units.index)
    if len(missing):
        problems.append(f"{len(missing)} units would disappear")
    assigned = units["grid"].map(lambda g: isinstance(g, str) and g in codes)
    orphans = units.loc[~assigned.astype(bool)]
    if len(orphans):
        problems.append(
            f"{len(orphans)} units ({int(orphans['households'].sum())} households) "
            f"would belong to no grid"
        )
    total_before, total_after = (
        int(before.units["households"].sum()),
        int(units["households"].sum()),
    )
    if total_before != total_after:
        problems.append(f"households would change from {total_before} to {total_after}")
    if int(grids["households"].sum()) != total_after:
        problems.append(
            f"the grids would count {int(grids['households'].sum())} of {total_after} households"
        )
    if problems:
        raise InputError(
            f"{what}: not saved, "
            + "; ".join(problems)
            + "; every unit must stay in exactly one grid"
        )


def _one(codes: Sequence[str], operation: str) -> str:
    if len(codes) != 1:
        raise InputError(f"{operation} takes exactly one grid code")
    return codes[0]


def validate(
    area_dir: AreaRef,
    *,
    band: G.Band | None = None,
    grids_path: Path | str | None = None,
    require_worker: bool = True,
) -> list[G.GridProblem]:
    """Problems of the area's grids layer (or another grids file), generated or hand-drawn."""
    store, name = area_store(area_dir)
    area = store.read_area(name, with_network=False)
    grids = geojson.read_layer(Path(grids_path), "grids") if grids_path else area.grids
    bands: dict[str, G.Band] = {}
    if band is None:
        saved, _ = store.list_versions(name)
        if saved:
            band, bands = _bands_from(store.load_version(name)[0].meta)
    return G.validate_grids(
        grids,
        area.metric_crs,
        boundary=area.boundary,
        parents=area.communities,
        band=band,
        bands=bands,
        buildings=area.buildings,
        require_worker=require_worker,
    )


def undo(area_dir: AreaRef, author: str, *, parent: Parent = HEAD) -> versions.GridVersion:
    """Go back to the version the current one was made from (``parent``: the version the
    caller saw as current; ConflictError when it no longer is)."""
    store, name = area_store(area_dir)
    with store.lock(name):
        store.repair(name)
        return store.undo(name, author, parent=parent)


def _grids_of(area_dir: AreaRef, ref: str) -> gpd.GeoDataFrame:
    path = Path(ref)
    if path.suffix == ".geojson" and path.exists():
        return geojson.read_layer(path, "grids")
    digits = ref.lstrip("vV")
    if not digits.isdigit():
        raise InputError(f"{ref!r}: give a version (v0003 or 3) or a grids .geojson file")
    store, name = area_store(area_dir)
    return store.load_version(name, int(digits))[1]


def compare(area_dir: AreaRef, a: str, b: str) -> G.GridDiff:
    """Compare two grid versions (ids like v0002) or grids files over the area's buildings."""
    store, name = area_store(area_dir)
    area = store.read_area(name, with_network=False)
    return G.compare_grids(
        _grids_of(area_dir, a), _grids_of(area_dir, b), area.buildings, area.metric_crs
    )


def report(
    area_dir: AreaRef, csv_path: Path | str | None = None, json_path: Path | str | None = None
) -> pd.DataFrame:
    """Per-grid report of the area's grids; written as CSV and/or JSON when paths are given."""
    store, name = area_store(area_dir)
    area = store.read_area(name, with_network=False)
    table = G.grid_report(area.grids, area.metric_crs)
    from geogrid.grids.micro import micro_counts

    table["micro_grids"] = micro_counts(area.grids, store.read_layer(name, "micro_grids"))
    versions.write_report(
        table, Path(csv_path) if csv_path else None, Path(json_path) if json_path else None
    )
    return table


@dataclass
class RebalanceRun:
    """What ``geogrid grids rebalance`` did: the rebalance, the saved version (None on a dry run).

    ``per_worker``: per grid worker, the units and the buildings with
    households that leave or join each of their grids (kind ``unit`` or
    ``building``; :func:`geogrid.grids.diff.worker_changes`). ``area_tag``:
    the store's ``version_tag`` of the area the rebalance read (a preview
    is accepted only while it is unchanged, :func:`accept_rebalance`).
    """

    result: G.RebalanceResult
    version: versions.GridVersion | None
    problems: list[G.GridProblem]
    per_worker: pd.DataFrame
    area_tag: str = ""


def _today_units(
    area: Area, plan: G.GridPlan, households_csv: Path | str | None
) -> gpd.GeoDataFrame:
    """The plan's units with today's households: recounted from the buildings, or from a CSV."""
    units = plan.units
    if len(area.buildings):
        units = G.count_households(
            units.drop(columns=["households", "population"]), area.buildings, area.metric_crs
        )
    if households_csv is not None:
        units = G.apply_household_table(
            units,
            versions.read_household_table(households_csv),
            what=Path(str(households_csv)).name,
        )
    return units


def _per_worker(
    area: Area, before: G.GridPlan, after: G.GridPlan, unit_moves: pd.DataFrame
) -> pd.DataFrame:
    """Units (from the moves) and buildings (placed in the grids) that change grid, per worker."""
    buildings = G.compare_grids(
        before.grids, after.grids, area.buildings, area.metric_crs
    ).per_worker
    units = G.worker_changes(
        unit_moves[unit_moves["households"] > 0].rename(columns={"unit_id": "id"}),
        G.workers_of(before.grids),
        G.workers_of(after.grids),
        "unit",
    )
    frames = [t for t in (units, buildings) if len(t)]
    table = pd.concat(frames, ignore_index=True) if frames else units
    return table.sort_values(["worker", "code", "direction", "kind"], kind="stable").reset_index(
        drop=True
    )


def write_per_worker(table: pd.DataFrame, csv_path: Path | str) -> Path:
    """The per-worker table as CSV (UTF-8 with BOM, formula cells neutralised), atomically."""
    from geogrid.io.atomic import write_text_atomic
    from geogrid.io.tables import frame_csv

    path = Path(csv_path)
    write_text_atomic(path, frame_csv(table))
    return path


def rebalance(
    area_dir: AreaRef,
    *,
    band: G.Band | None = None,
    bands: Mapping[str, G.Band] | None = None,
    also: tuple[str, G.Band] | None = None,
    households_csv: Path | str | None = None,
    compactness_tolerance: float = G.COMPACTNESS_TOLERANCE,
    time_limit_s: float = 60.0,
    seed: int = 0,
    dry_run: bool = False,
    author: str = "geogrid grids rebalance",
    message: str | None = None,
) -> RebalanceRun:
    """Bring the current grids back into their band with the fewest households moved.

    Households are recounted from the area's buildings (or set from a CSV
    ``id,households`` of unit ids); bands default to the saved version's. A
    unit over its max with several buildings (or register points) inside is
    cut by building first (``RebalanceResult.split``; not when the CSV gives
    the households).
    Without ``dry_run`` the result is saved as a new grid version, under the
    area's lock from reading to saving; a dry run (a preview) holds the lock
    only while it reads.
    """
    store, name = area_store(area_dir)
    if dry_run:
        with store.lock(name):  # read one consistent state; the search runs without the lock
            tag = store.version_tag(name)  # first: a write after it makes the preview stale
            head = store.list_versions(name)[1]
            plan = load_plan(area_dir, head)
            area = store.read_area(name, with_network=False)
        return _rebalance(
            area,
            plan,
            band=band,
            bands=bands,
            also=also,
            households_csv=households_csv,
            compactness_tolerance=compactness_tolerance,
            time_limit_s=time_limit_s,
            seed=seed,
            area_tag=tag,
        )
    with store.lock(name):  # folder: nobody saves between loading and saving; database: parent
        store.repair(name)
        tag = store.version_tag(name)
        head = store.list_versions(name)[1]
        plan = load_plan(area_dir, head)
        area = store.read_area(name, with_network=False)
        run = _rebalance(
            area,
            plan,
            band=band,
            bands=bands,
            also=also,
            households_csv=households_csv,
            compactness_tolerance=compactness_tolerance,
            time_limit_s=time_limit_s,
            seed=seed,
            area_tag=tag,
        )
        result = run.result
        what = (
            f"rebalance: {result.households_moved} households in {result.units_moved} units moved"
            + (f", created {', '.join(result.created)}" if result.created else "")
            + (f", retired {', '.join(result.retired)}" if result.retired else "")
        )
        run.version = store.save_version(
            name,
            result.plan.grids,
            result.plan.units,
            author=author,
            message=f"rebalance: {message}" if message else what,
            meta=_band_meta(result.plan),
            parent=head,
        )
        return run


def _rebalance(
    area: Area,
    plan: G.GridPlan,
    *,
    band: G.Band | None,
    bands: Mapping[str, G.Band] | None,
    also: tuple[str, G.Band] | None,
    households_csv: Path | str | None,
    compactness_tolerance: float,
    time_limit_s: float,
    seed: int,
    area_tag: str,
) -> RebalanceRun:
    units = _today_units(area, plan, households_csv)
    result = G.rebalance(
        plan,
        units,
        band=band or plan.default_band,
        parent_band={**plan.bands, **dict(bands or {})},
        also=also,
        compactness_tolerance=compactness_tolerance,
        time_limit_s=time_limit_s,
        seed=seed,
        # units over the max are cut by building only when the buildings give the households
        buildings=area.buildings if len(area.buildings) and households_csv is None else None,
    )
    problems = check(area, result.plan, area.communities)
    return RebalanceRun(
        result=result,
        version=None,
        problems=problems,
        per_worker=_per_worker(area, plan, result.plan, result.moves),
        area_tag=area_tag,
    )


def accept_rebalance(
    area_dir: AreaRef,
    moves: pd.DataFrame,
    *,
    area_tag: str,
    author: str,
    message: str | None = None,
    reasons: Sequence[str] = (),
) -> GridResult:
    """Save the unit moves of a rebalance preview (a dry run) as a new grid version.

    ``moves`` is ``RebalanceResult.moves`` (unit_id, from_code, to_code,
    households) of a dry run that read the area when it had ``area_tag``
    (:attr:`RebalanceRun.area_tag`). Refused (ConflictError) when anything
    of the area was written since: households are recounted from the
    buildings as the preview did, so the saved grids are the preview's.
    """
    from geogrid.errors import ConflictError

    store, name = area_store(area_dir)
    with store.lock(name):
        head = store.list_versions(name)[1]
        if store.version_tag(name) != area_tag:
            raise ConflictError(
                f"{name}: the area changed since the rebalance was computed; "
                "nothing saved: rebalance again"
            )
        plan = load_plan(area_dir, head)
        area = store.read_area(name, with_network=False)
        new = G.apply_moves(
            plan,
            moves,
            _today_units(area, plan, None),
            problems=reasons,
            buildings=area.buildings if len(area.buildings) else None,
        )
        problems = check(area, new, area.communities)
        households = int(moves["households"].sum()) if len(moves) else 0
        what = f"rebalance: {households} households in {len(moves)} units moved"
        version = store.save_version(
            name,
            new.grids,
            new.units,
            author=author,
            message=f"rebalance: {message}" if message else what,
            meta=_band_meta(new),
            parent=head,  # database: a save between the tag check and here is a conflict
        )
    return GridResult(plan=new, version=version, problems=problems)


@dataclass
class Growth:
    """What :func:`grow` added: the estate's building records and the buildings file."""

    buildings: gpd.GeoDataFrame
    path: Path | str  #: the buildings file, or the database area's layer
    units: list[str]

    def summary(self) -> list[str]:
        total = int(self.buildings["households"].sum())
        return [
            f"added {total} households in {len(self.buildings)} building record(s) "
            f"({', '.join(self.buildings['id'])}) on units {', '.join(self.units)}",
            f"written to {self.path}; run 'geogrid grids rebalance' to bring the grids "
            "around it back into their band",
        ]


def grow(
    area_dir: AreaRef,
    polygon_path: Path | str,
    households: int,
    *,
    estate_id: str | None = None,
    name: str | None = None,
    coordinates: str | None = None,
    author: str = "geogrid grids grow",
) -> Growth:
    """Add a new estate (小区) with its households to the area's buildings.

    The outline (any vector file and CRS, :func:`geogrid.io.vectors.read_vectors`;
    all its polygons form one estate) is cut along the units of the current
    grids (:func:`geogrid.grids.estate_buildings`) and written to the
    buildings layer (history kept). The grids are not changed: a rebalance
    afterwards moves only the grids around the estate.
    """
    from geogrid.io.vectors import read_vectors

    ws = AreaAccess.of(area_dir)
    with ws.lock():
        if ws.folder is not None:
            repair_interrupted_save(ws.folder)
        plan = load_plan(ws.ref)
        area = ws.read(with_network=False)
        frame = read_vectors(polygon_path, coordinates=coordinates).frame
        polygons = frame[
            frame.geometry.notna() & frame.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
        ]
        if not len(polygons):
            raise InputError(
                f"{polygon_path}: no polygon in the file; give the estate's outline as a polygon"
            )
        outline = shapely.union_all(polygons.geometry.to_numpy())
        boundary = shapely.union_all(area.boundary.geometry.to_numpy())
        if not outline.intersects(boundary):
            raise InputError(
                f"{polygon_path}: the estate lies outside the area {ws.name}; "
                "check its coordinates (--coordinates gcj02/bd09/EPSG code)"
            )
        taken = set(area.buildings["id"].astype(str)) if len(area.buildings) else set()
        if estate_id is None:
            n = 1
            while any(i == f"estate/{n}" or i.startswith(f"estate/{n}/") for i in taken):
                n += 1
            estate_id = f"estate/{n}"
        elif any(i == estate_id or i.startswith(f"{estate_id}/") for i in taken):
            raise InputError(f"estate id {estate_id!r} is taken by a building; choose another --id")
        added = G.estate_buildings(
            outline, int(households), plan.units, area.metric_crs, estate_id, name
        )
        where = G.count_households(
            plan.units[["geometry"]].assign(households=0), added, area.metric_crs
        )
        units = [str(u) for u in where.index[where["households"] > 0]]
        buildings = (
            pd.concat([area.buildings, added], ignore_index=True) if len(area.buildings) else added
        )
        path = ws.write_layer(
            "buildings",
            gpd.GeoDataFrame(buildings, geometry="geometry", crs=added.crs),
            author=author,
            message=f"estate {name or estate_id}: {int(households)} households",
        )
    return Growth(buildings=added, path=path, units=units)
