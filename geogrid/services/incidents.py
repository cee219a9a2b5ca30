"""Incidents of an area (or of a loose incidents file): import, summaries, hot spots, release.

Orchestration only: reads through :mod:`geogrid.io` (the area through its
:class:`~geogrid.io.workspace.Workspace`), computes with
:mod:`geogrid.incidents` and :mod:`geogrid.release`, writes atomically. The
``geogrid incidents`` commands parse their options, call one function here
and print what it returns.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geogrid.crs import metric_crs_for
from geogrid.errors import ConflictError, InputError
from geogrid.incidents import (
    DEFAULT_TIMEZONE,
    Cleaned,
    grid_cells,
    period_change,
    rank_hotspots,
    summarize,
)
from geogrid.incidents.mapping import incidents_from_layer, incidents_to_layer
from geogrid.io.atomic import write_text_atomic
from geogrid.io.geojson import (
    dumps_features,
    frame_from_features,
    read_geojson_features,
    read_vector,
    write_layer,
)
from geogrid.io.incidents import (
    Saved,
    import_incidents,
    load_incidents,
    publish_dataset,
    read_mapping,
    save_incidents,
    write_rejects,
)
from geogrid.io.tables import frame_csv
from geogrid.layers import features_from_frame, get_spec
from geogrid.store.access import AreaAccess
from geogrid.store.base import AreaRef

IMPORT_AUTHOR = "geogrid incidents import"


@dataclass(frozen=True)
class IncidentData:
    """Incidents to work with, and where to count them.

    ``cells`` are the area's grids (or the given zones) as cells, None when
    there are none (H3 hexagons are used then); ``timezone`` is the local zone.
    """

    incidents: gpd.GeoDataFrame
    metric_crs: str
    cells: gpd.GeoDataFrame | None
    timezone: str


@dataclass(frozen=True)
class ImportReport:
    """What :func:`import_file` did."""

    source: Path
    result: Cleaned
    saved: Saved
    rejects_path: Path
    #: the database area written (``GEOGRID_STORE``); None for a file
    stored_in: str | None = None

    def lines(self) -> list[str]:
        result, saved = self.result, self.saved
        corrected = f", {saved.corrected} corrected" if saved.corrected else ""
        where = self.stored_in or saved.path
        out = [
            f"{self.source.name}: {result.rows} rows, {len(result.incidents)} good, "
            f"{len(result.rejects)} rejected; {saved.added} new{corrected}, "
            f"{saved.total} in {where}"
        ]
        out += [f"  rejected {reason}: {n}" for reason, n in result.reject_counts().items()]
        if saved.corrected:
            out.append(
                f"  corrected: {saved.corrected} records of the same source and id had other "
                + (
                    "values and were replaced (the previous file is in "
                    f"{saved.path.parent}/history/)"
                    if self.stored_in is None
                    else "values and were replaced"
                )
            )
        if saved.differ:
            out.append(
                f"  WARNING: {saved.differ} records of the same source and id have other values "
                "here and were NOT replaced (--keep-existing); import without it to correct them"
            )
        for ident, changed in saved.examples:
            out.append(f"    id {ident}: {changed}")
        if saved.other_source:
            out.append(
                f"  kept: {saved.other_source} ids already stored from another source; "
                "their rows here were left out"
            )
        if len(result.rejects):
            out.append(f"rejects report: {self.rejects_path}")
        return out


def zones_from_file(path: Path | str, id_column: str | None = None) -> gpd.GeoDataFrame:
    """Polygons from any vector file as cells (index = the id column, EPSG:4326).

    Without ``id_column`` the first text column names the zones.
    """
    path = Path(path)
    zones = read_vector(path, "zones file")
    if id_column is None:
        texts = [c for c in zones.columns if c != "geometry" and zones[c].dtype.kind in "OUT"]
        texts = texts or [c for c in zones.columns if c != "geometry"]
        if not texts:
            raise InputError(f"{path.name}: no attribute to name the zones; add one")
        id_column = texts[0]
    if id_column not in zones.columns:
        raise InputError(
            f"{path.name}: no column {id_column!r}; it has {', '.join(map(str, zones.columns))}"
        )
    cells = zones[["geometry"]].copy()
    cells.index = zones[id_column].astype(str).rename("cell")
    return cells


def load(
    area_dir: AreaRef | None = None,
    incidents_file: Path | str | None = None,
    *,
    timezone: str | None = None,
    zones_file: Path | str | None = None,
    zone_id: str | None = None,
) -> IncidentData:
    """The incidents of an area (``area_dir``) or of a file (``incidents_file``), exactly one.

    The time zone is ``timezone``, else the area's ``timezone``, else
    Asia/Shanghai. Cells are the zones of ``zones_file`` when given, else
    the area's grids when it has some.
    """
    if (area_dir is None) == (incidents_file is None):
        raise InputError("give either --area DIR or --incidents FILE.geojson")
    cells = None
    if area_dir is not None:
        ws = AreaAccess.of(area_dir)
        manifest = ws.read_manifest()
        ws.read_layer("boundary", required=True)  # an area without its outline is broken
        grids = ws.read_layer("grids")
        timezone = timezone or str(manifest.get("timezone") or DEFAULT_TIMEZONE)
        if ws.folder is not None:
            frame = load_incidents(ws.folder.incidents_path, timezone)
        else:
            layer = ws.read_layer("incidents")
            if layer is None:
                raise InputError(
                    f"{ws.where()}: no incidents to work with; import some first "
                    "(geogrid incidents import)"
                )
            frame = incidents_from_layer(layer, timezone)
        metric = str(manifest["metric_crs"])
        if grids is not None and len(grids):
            cells = grid_cells(grids)
    else:
        assert incidents_file is not None
        timezone = timezone or DEFAULT_TIMEZONE
        frame = load_incidents(incidents_file, timezone)
        metric = metric_crs_for(tuple(frame.total_bounds))
    if len(frame) == 0:
        raise InputError("no incidents to work with; import some first (geogrid incidents import)")
    if zones_file is not None:
        cells = zones_from_file(zones_file, zone_id)
    return IncidentData(frame, metric, cells, timezone)


def import_file(
    source: Path | str,
    mapping_path: Path | str,
    *,
    area_dir: AreaRef | None = None,
    out_path: Path | str | None = None,
    rejects_path: Path | str | None = None,
    author: str = IMPORT_AUTHOR,
    correct: bool = True,
) -> ImportReport:
    """Import ``source`` through a mapping into an area's incidents (or a loose file).

    Good rows are merged by id (importing twice changes nothing); a row whose id is stored
    from the same source (the mapping's name) with other values corrects the stored record
    (``correct=False``: kept and reported); points outside the area's boundary are rejected;
    bad rows go to a rejects report (default ``<source name>.rejects.csv`` next to the
    source file, as the office imports write theirs).
    """
    if (area_dir is None) == (out_path is None):
        raise InputError("give either --area DIR or --out FILE.geojson")
    source = Path(source)
    mapping = read_mapping(mapping_path)
    stored_in = None
    if area_dir is not None:
        ws = AreaAccess.of(area_dir)
        ws.read_manifest()
        boundary = ws.read_layer("boundary", required=True)
        assert boundary is not None
        result = import_incidents(source, mapping, area=boundary.geometry.union_all())
        if ws.folder is not None:
            with ws.lock():
                saved = save_incidents(
                    result.incidents, ws.folder.incidents_path, author=author, correct=correct
                )
        else:
            saved = _save_stored(ws, result.incidents, author=author, correct=correct)
            stored_in = ws.where()
    else:
        assert out_path is not None
        result = import_incidents(source, mapping, area=None)
        saved = save_incidents(result.incidents, Path(out_path), author=author, correct=correct)
    rejects = Path(rejects_path) if rejects_path else source.with_name(f"{source.name}.rejects.csv")
    write_rejects(result.rejects, rejects, source.name)
    return ImportReport(source, result, saved, rejects, stored_in)


def _text_of(values: pd.Series) -> np.ndarray:
    """Values as compared by :func:`_unchanged`: None/NaN empty, everything else ``str``."""

    def text(v: object) -> str:
        return "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)

    out: np.ndarray = values.map(text).to_numpy(dtype=object)
    return out


def _unchanged(stored: gpd.GeoDataFrame | None, layer: gpd.GeoDataFrame) -> np.ndarray:
    """Which new records (rows of the incidents ``layer``) are stored exactly as they are: the
    same id once in ``layer``, every column of the layer there with the same text, the same
    geometry. Stricter than :func:`geogrid.io.incidents.save_incidents`'s own comparison, so a
    record set aside here would have been left as it is there too."""
    keep = np.zeros(len(layer), dtype=bool)
    if stored is None or not len(stored) or not layer["id"].astype(str).is_unique:
        return keep
    if not set(layer.columns) <= set(stored.columns):
        return keep
    ids = layer["id"].astype(str)
    by_id = stored.assign(_id=stored["id"].astype(str)).drop_duplicates("_id").set_index("_id")
    found = ids.isin(by_id.index).to_numpy()
    if not found.any():
        return keep
    new = layer[found]
    old = by_id.loc[ids[found]]
    same = np.ones(len(new), dtype=bool)
    for column in layer.columns:
        if column == "geometry":
            same &= np.asarray(
                shapely.equals_exact(new.geometry.to_numpy(), old.geometry.to_numpy(), 0.0),
                dtype=bool,
            )
        elif column != "id":
            same &= _text_of(new[column]) == _text_of(old[column])
    keep[np.flatnonzero(found)[same]] = True
    return keep


#: how many times a database import merges again from fresh data when another write of the
#: incidents came in between its read and its write
MERGE_ATTEMPTS = 3


def _save_stored(
    ws: AreaAccess, incidents: gpd.GeoDataFrame, *, author: str, correct: bool
) -> Saved:
    """:func:`save_incidents` on an area of a database, writing only what changed.

    The stored records of the new ids (and the layer's revision) are read; they are merged
    with the new ones exactly as a file would be (the same ids added, the same corrections,
    the same counts and examples); then only the added records are inserted and the
    corrected ones updated in place (``Store.update_incidents``: grids assigned to those,
    their old values kept in the history) from that revision. Another import in between is
    a conflict: the merge is made again from the fresh records, at most
    :data:`MERGE_ATTEMPTS` times. Nothing is written when nothing is new or different."""
    given = incidents_to_layer(incidents)
    ids = given["id"].astype(str).unique().tolist()
    for attempt in range(1, MERGE_ATTEMPTS + 1):
        revision = ws.layer_revision("incidents")
        stored = ws.store.incidents_with_ids(ws.name, ids)
        unchanged = _unchanged(stored, given)
        new = incidents
        if unchanged.any():  # identical records change nothing and count in nothing: set aside
            assert stored is not None
            same = set(given["id"].astype(str)[unchanged])
            new = incidents[~unchanged]
            stored = stored[~stored["id"].astype(str).isin(same)]
        with tempfile.TemporaryDirectory(prefix="geogrid-incidents-") as tmp:
            path = Path(tmp) / "incidents.geojson"
            before: list[dict[str, Any]] = []
            if stored is not None:
                write_layer(stored, path, "incidents", history=False)
                before = read_geojson_features(path)
            saved = save_incidents(new, path, author=author, correct=correct)
            if stored is not None and not saved.added and not saved.corrected:
                return replace(saved, total=ws.store.count_incidents(ws.name))
            features = read_geojson_features(path)  # written and checked by save_incidents
        fixed = [f for f, old in zip(features, before, strict=False) if f != old]
        spec = get_spec("incidents")
        what = f"import: {saved.added} incidents added" + (
            f", {saved.corrected} corrected" if saved.corrected else ""
        )
        try:
            total = ws.store.update_incidents(
                ws.name,
                frame_from_features(features[len(before) :], spec),
                frame_from_features(fixed, spec),
                author=author,
                message=what,
                expected=revision,
            )
        except ConflictError:
            if attempt == MERGE_ATTEMPTS:
                raise
            continue
        return replace(saved, total=total)
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class Summary:
    """Counts by place and period, and the change of one period when asked for."""

    table: pd.DataFrame
    change: Any | None


def summary(
    data: IncidentData,
    *,
    freq: str = "month",
    level: str = "cell",
    resolution: int = 9,
    period: str | None = None,
    csv_path: Path | str | None = None,
) -> Summary:
    """Counts (and rates per 1,000 households with grids) by place and period.

    Writes the whole table as CSV (UTF-8 with BOM) when ``csv_path`` is given.
    """
    table = summarize(data.incidents, data.cells, level=level, freq=freq, resolution=resolution)
    change = period_change(data.incidents, period) if period else None
    if csv_path is not None:
        write_text_atomic(Path(csv_path), frame_csv(table))
    return Summary(table, change)


def hotspots(
    data: IncidentData,
    *,
    resolution: int = 9,
    alpha: float = 0.05,
    top: int | None = None,
    out_path: Path | str | None = None,
) -> gpd.GeoDataFrame:
    """Hot spots (Gi* with FDR ``alpha``) ranked as patrol stops, hottest first.

    Written as GeoJSON (7 decimals) when ``out_path`` is given.
    """
    spots = rank_hotspots(
        data.incidents,
        data.metric_crs,
        data.cells,
        resolution=resolution,
        alpha=alpha,
        top=top,
        timezone=data.timezone,
    )
    if out_path is not None:
        rounded = spots.set_geometry(
            shapely.transform(spots.geometry.to_numpy(), lambda xy: np.round(xy, 7)), crs=spots.crs
        )
        write_text_atomic(Path(out_path), dumps_features(features_from_frame(rounded)))
    return spots


def publish(
    data: IncidentData,
    out_dir: Path | str,
    *,
    k: int = 5,
    freq: str = "month",
    by_category: bool = True,
    resolution: int = 8,
) -> tuple[gpd.GeoDataFrame, list[Path]]:
    """The public dataset: counts by cell and period through the release rules, written."""
    from geogrid.release import ReleaseRules, public_counts

    released = public_counts(
        data.incidents,
        data.cells,
        rules=ReleaseRules(k=k),
        freq=freq,
        by_category=by_category,
        resolution=resolution,
    )
    return released, publish_dataset(released, Path(out_dir))
