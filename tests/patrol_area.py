"""Shared fixtures for the patrol and coverage tests (not a test module).

* :func:`street_grid` - a small synthetic street grid as network frames.
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
