"""Incidents, hot spots: Getis-Ord Gi* and the ranked list of patrol stops.

:func:`gi_star` (Getis-Ord Gi*, esda, Benjamini-Hochberg FDR);
:func:`rank_hotspots`, the ranked list the patrol planner takes as stops.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import stats
from scipy.spatial import cKDTree

from geogrid.crs import WGS84
from geogrid.incidents.cases import first_of_case
from geogrid.incidents.cells import cell_neighbours, h3_cells, hex_cells, tag_cells
from geogrid.incidents.counts import _has_hours


@dataclass(frozen=True)
class GiStar:
    """Getis-Ord Gi* per cell: ``z`` scores, one-sided ``p`` (hot), BH-adjusted ``p_fdr``."""

    z: np.ndarray
    p: np.ndarray
    p_fdr: np.ndarray
    fdr_threshold: float


def gi_star(counts: np.ndarray, neighbours: Sequence[Sequence[int]], alpha: float = 0.05) -> GiStar:
    """Getis-Ord Gi* on cell counts with binary contiguity weights (esda).

    The p-values are one-sided for hot spots (``z > 0``) under the normal
    approximation; ``p_fdr`` are Benjamini-Hochberg adjusted p-values, so a
    cell is a hot spot at false discovery rate ``alpha`` when
    ``p_fdr <= alpha`` (the same cells as esda's ``fdr`` threshold).
    """
    import esda
    import libpysal

    y = np.asarray(counts, dtype=float)
    n = len(y)
    if n < 3 or np.all(y == y[0]):
        ones = np.ones(n)
        return GiStar(np.zeros(n), ones, ones, 0.0)
    w = libpysal.weights.W({i: list(nb) for i, nb in enumerate(neighbours)}, silence_warnings=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = esda.G_Local(y, w, transform="B", permutations=0, star=True)
        z = np.nan_to_num(np.asarray(g.Zs, dtype=float))
        p = stats.norm.sf(z)
        threshold = float(esda.fdr(p, alpha)) if n else 0.0
    p_fdr = stats.false_discovery_control(p, method="bh")
    return GiStar(z, p, p_fdr, threshold)


HOTSPOT_COLUMNS = (
    "id",
    "rank",
    "score",
    "p_fdr",
    "count",
    "priority",
    "peak_hours",
    "window_start",
    "window_end",
    "dwell_min",
    "count_nearby",
    "top_category",
    "cell_kind",
)


def rank_hotspots(
    incidents: gpd.GeoDataFrame,
    metric_crs: str,
    cells: gpd.GeoDataFrame | None = None,
    *,
    resolution: int = 9,
    alpha: float = 0.05,
    window_h: int = 3,
    dwell_min: float = 12.0,
    cluster_radius_m: float = 60.0,
    timezone: str | None = None,
    top: int | None = None,
) -> gpd.GeoDataFrame:
    """Hot spots by Getis-Ord Gi* with FDR control, ranked, as patrol stops.

    Parameters
    ----------
    incidents
        Incidents frame.
    metric_crs
        The area's metric CRS (clusters are found in metres).
    cells
        Polygons to count in (grids, beats), index = id; None: H3 hexagons
        at ``resolution`` around the incidents plus one ring of empty ones.
    alpha
        False discovery rate.
    window_h
        Hours of the patrol window; the busiest such window of the day
        (circular) in the hot spot's incidents is its peak.
    dwell_min
        Suggested time at the stop (Koper curve: 10-15 min).
    cluster_radius_m
        Radius for finding the densest incident cluster in the cell.
    timezone
        Local zone for hours; the incidents' own when None.
    top
        Keep only the ``top`` hottest.

    Returns
    -------
    GeoDataFrame in EPSG:4326, hottest first: ``id`` (cell id), ``rank``
    (1 = hottest), ``score`` (Gi* z), ``p_fdr``, ``count`` (distinct cases in
    the cell, each at its first record; several offences of one case count
    once), ``priority`` (5 = top fifth of the list ... 1 = bottom fifth),
    ``peak_hours`` (``"18-21"``), ``window_start`` / ``window_end``
    (``"HH:MM"`` local, the peak window; 00:00-23:59 when the source has no
    hours), ``dwell_min``, ``count_nearby`` (cell plus neighbours: what Gi*
    weighs), ``top_category``, ``cell_kind`` (``h3`` or ``polygon``) and a
    Point: the cell centroid snapped to the nearest incident cluster in the
    cell (see :func:`_cluster_point`). Only
    cells with ``z > 0`` and ``p_fdr <= alpha``.
    """
    import h3

    if cells is None:
        lon = incidents.geometry.x.to_numpy()
        lat = incidents.geometry.y.to_numpy()
        tagged = incidents.assign(cell=h3_cells(lon, lat, resolution))
        cells = hex_cells(tagged["cell"].unique(), ring=1)
        pos = {c: i for i, c in enumerate(cells.index)}
        neighbours = [
            [pos[n] for n in h3.grid_disk(c, 1) if n != c and n in pos] for c in cells.index
        ]
        kind = "h3"
    else:
        tagged = tag_cells(incidents, cells)
        neighbours = cell_neighbours(cells)
        kind = "polygon"
    ids = cells.index.astype(str)
    offences = tagged  # every record: the categories of the cell
    tagged = tagged[first_of_case(tagged)]  # one record per case: counts, hours, clusters
    counts = tagged["cell"].value_counts().reindex(ids, fill_value=0).to_numpy()
    gi = gi_star(counts, neighbours, alpha)
    hot = np.flatnonzero((gi.z > 0) & (gi.p_fdr <= alpha))
    hot = hot[np.lexsort((-counts[hot], -gi.z[hot]))]
    if top is not None:
        hot = hot[:top]
    tz = timezone or str(incidents["time"].dt.tz)
    from pyproj import Transformer

    to_metric = Transformer.from_crs(WGS84, metric_crs, always_xy=True)
    to_wgs84 = Transformer.from_crs(metric_crs, WGS84, always_xy=True)
    lonlat = shapely.get_coordinates(tagged.geometry.to_numpy())
    mx, my = to_metric.transform(lonlat[:, 0], lonlat[:, 1])
    metric_xy = np.column_stack([mx, my])
    hourly = _has_hours(tagged)
    hours = tagged["time"].dt.tz_convert(tz).dt.hour.to_numpy()
    categories = offences["category"].astype(str).to_numpy()
    offence_members = offences.reset_index(drop=True).groupby("cell").indices
    members = tagged.reset_index(drop=True).groupby("cell").indices
    rows = []
    for rank, i in enumerate(hot, start=1):
        cid = ids[i]
        mine = members.get(cid, np.array([], dtype=np.int64))
        peak, start, end = _peak_window(hours[mine[hourly[mine]]], window_h)
        theirs = offence_members.get(cid, np.array([], dtype=np.int64))
        top_cat = str(pd.Series(categories[theirs]).mode().iloc[0]) if len(theirs) else ""
        centroid = shapely.centroid(cells.geometry.iloc[i])
        cx, cy = to_metric.transform(centroid.x, centroid.y)
        px, py = _cluster_point(metric_xy[mine], (cx, cy), cluster_radius_m)
        rows.append(
            {
                "id": str(cid),
                "rank": rank,
                "score": float(gi.z[i]),
                "p_fdr": float(gi.p_fdr[i]),
                "count": int(counts[i]),
                "peak_hours": peak,
                "window_start": start,
                "window_end": end,
                "dwell_min": float(dwell_min),
                "count_nearby": int(counts[i] + counts[list(neighbours[i])].sum()),
                "top_category": top_cat,
                "cell_kind": kind,
                "geometry": shapely.Point(*to_wgs84.transform(px, py)),
            }
        )
    n = len(rows)
    for r in rows:
        r["priority"] = int(5 - (5 * (r["rank"] - 1)) // max(n, 1))
    frame = gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=[*HOTSPOT_COLUMNS, "geometry"]),
        geometry="geometry",
        crs=WGS84,
    )
    return frame.astype(
        {
            "rank": int,
            "count": int,
            "priority": int,
            "count_nearby": int,
            "score": float,
            "p_fdr": float,
            "dwell_min": float,
        }
    )


def _peak_window(hours: np.ndarray, window_h: int) -> tuple[str, str, str]:
    """The busiest ``window_h``-hour window of the day (circular): "18-21", "18:00", "21:00"."""
    if len(hours) == 0:
        return "", "00:00", "23:59"
    per_hour = np.bincount(hours, minlength=24)
    sums = np.array([per_hour[(h + np.arange(window_h)) % 24].sum() for h in range(24)])
    h0 = int(np.argmax(sums))
    h1 = (h0 + window_h) % 24
    return f"{h0}-{h1 or 24}", f"{h0:02d}:00", f"{h1:02d}:00" if h1 else "23:59"


def _cluster_point(
    xy: np.ndarray, centroid: tuple[float, float], radius_m: float
) -> tuple[float, float]:
    """The cell centroid snapped to the nearest incident cluster (metric x, y).

    A cluster core is an incident with at least half as many neighbours within
    ``radius_m`` as the cell's densest incident (and at least 2); the point is
    the mean of the neighbours of the core nearest the centroid. The centroid
    itself when the cell has no incidents.
    """
    if len(xy) == 0:
        return centroid
    tree = cKDTree(xy)
    density = np.asarray(tree.query_ball_point(xy, radius_m, return_length=True))
    dist = np.hypot(xy[:, 0] - centroid[0], xy[:, 1] - centroid[1])
    dense = density >= max(2, 0.5 * density.max())  # cluster cores: at least half the peak
    if not dense.any():
        dense = density == density.max()
    best = int(np.flatnonzero(dense)[np.argmin(dist[dense])])
    members = tree.query_ball_point(xy[best], radius_m)
    cx, cy = xy[members].mean(axis=0)
    return float(cx), float(cy)
