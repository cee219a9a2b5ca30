"""Shared fixtures for the patrol and coverage tests (not a test module).

* :func:`street_grid` - a small synthetic street grid as network frames;
* :func:`grid_count_hotspots` - a SIMPLE FALLBACK for hot spots (incident
  counts on a 200 m grid) shaped like ``geogrid.incidents.rank_hotspots``
  output, used only until that module exists; it is not a hot-spot method.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

UTM_50N = "EPSG:32650"


def street_grid(side: int = 6, spacing_m: float = 100.0) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, str]:
    """A ``side x side`` two-way street grid in Haidian (nodes, edges, metric CRS)."""
    ix, iy = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    x = 440_000.0 + ix.ravel() * spacing_m
    y = 4_425_000.0 + iy.ravel() * spacing_m
    ids = 5_000_000 + np.arange(side * side, dtype=np.int64)
    grid = np.arange(side * side).reshape(side, side)
    u = np.concatenate([grid[:-1, :].ravel(), grid[:, :-1].ravel()])
    v = np.concatenate([grid[1:, :].ravel(), grid[:, 1:].ravel()])
    lines = [shapely.LineString([(x[a], y[a]), (x[b], y[b])]) for a, b in zip(u, v, strict=True)]
    nodes = gpd.GeoDataFrame(geometry=shapely.points(x, y), crs=UTM_50N, index=pd.Index(ids, name="node_id"))
    edges = gpd.GeoDataFrame(
        {
            "u": ids[u],
            "v": ids[v],
            "way_id": np.arange(len(u), dtype=np.int64),
            "highway": "residential",
            "name": "学院路",
            "length_m": np.full(len(u), spacing_m),
            "walk": True,
            "bike": True,
            "drive": True,
            "oneway_bike": False,
            "oneway_drive": False,
        },
        geometry=lines,
        crs=UTM_50N,
    )
    return nodes.to_crs("EPSG:4326"), edges.to_crs("EPSG:4326"), UTM_50N


def grid_lonlat(col: float, row: float, spacing_m: float = 100.0) -> tuple[float, float]:
    """Lon/lat of a position in street-grid units (0..side-1)."""
    p = gpd.GeoSeries(
        [shapely.Point(440_000.0 + col * spacing_m, 4_425_000.0 + row * spacing_m)], crs=UTM_50N
    ).to_crs("EPSG:4326")
    return float(p.iloc[0].x), float(p.iloc[0].y)


def grid_count_hotspots(
    incidents: gpd.GeoDataFrame, metric_crs: str, cell_m: float = 200.0, top: int = 10
) -> gpd.GeoDataFrame:
    """FALLBACK hot spots: the ``top`` 200 m cells by incident count.

    Columns as ``rank_hotspots``: id, rank, score, p_fdr, count, priority
    (1-5 by count quintile), peak_hours, window_start, window_end,
    dwell_min, geometry (cell centroid of the incidents, EPSG:4326).
    """
    pts = incidents.to_crs(metric_crs)
    cx = np.floor(pts.geometry.x / cell_m).astype(int)
    cy = np.floor(pts.geometry.y / cell_m).astype(int)
    frame = pd.DataFrame({"cell": cx.astype(str) + "_" + cy.astype(str), "x": pts.geometry.x, "y": pts.geometry.y})
    grouped = frame.groupby("cell").agg(count=("x", "size"), x=("x", "mean"), y=("y", "mean"))
    grouped = grouped.sort_values(["count", "x"], ascending=[False, True]).head(top).reset_index()
    ranks = np.arange(1, len(grouped) + 1)
    priority = np.clip(5 - (ranks - 1) * 5 // max(len(grouped), 1), 1, 5)
    return gpd.GeoDataFrame(
        {
            "id": [f"H{r:02d}" for r in ranks],
            "rank": ranks,
            "score": grouped["count"].to_numpy(dtype=float),
            "p_fdr": 0.01,
            "count": grouped["count"].to_numpy(),
            "priority": priority,
            "peak_hours": "19-22",
            "window_start": "18:30",
            "window_end": "21:45",
            "dwell_min": 12.0,
        },
        geometry=shapely.points(grouped["x"], grouped["y"]),
        crs=metric_crs,
    ).to_crs("EPSG:4326")
