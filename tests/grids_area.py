"""Shared fixtures for the grids tests (not a test module).

:func:`make_area` writes a small SYNTHETIC area workspace to a folder: a
7 x 5 street grid (100 m blocks) in Haidian, two buildings per block with
seeded household counts (one block is a park with none), and optionally two
communities (west and east halves).
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geogrid.io import geojson

UTM_50N = "EPSG:32650"
X0, Y0 = 440_000.0, 4_425_000.0
COLS, ROWS, SPACING_M = 7, 5, 100.0


def street_frames() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Nodes and edges of a COLS x ROWS block street grid (lon/lat)."""
    ix, iy = np.meshgrid(np.arange(COLS + 1), np.arange(ROWS + 1), indexing="ij")
    x = X0 + ix.ravel() * SPACING_M
    y = Y0 + iy.ravel() * SPACING_M
    ids = 7_000_000 + np.arange(len(x), dtype=np.int64)
    grid = np.arange(len(x)).reshape(COLS + 1, ROWS + 1)
    u = np.concatenate([grid[:-1, :].ravel(), grid[:, :-1].ravel()])
    v = np.concatenate([grid[1:, :].ravel(), grid[:, 1:].ravel()])
    lines = [shapely.LineString([(x[a], y[a]), (x[b], y[b])]) for a, b in zip(u, v, strict=True)]
    nodes = gpd.GeoDataFrame({"node_id": ids}, geometry=shapely.points(x, y), crs=UTM_50N)
    edges = gpd.GeoDataFrame(
        {
            "u": ids[u],
            "v": ids[v],
            "way_id": np.arange(len(u), dtype=np.int64),
            "highway": "residential",
            "length_m": np.full(len(u), SPACING_M),
            "walk": True,
            "bike": True,
            "drive": True,
            "oneway_bike": False,
            "oneway_drive": False,
            "name": "学院路",
        },
        geometry=lines,
        crs=UTM_50N,
    )
    return nodes.to_crs("EPSG:4326"), edges.to_crs("EPSG:4326")


def outline() -> shapely.Polygon:
    return shapely.box(X0, Y0, X0 + COLS * SPACING_M, Y0 + ROWS * SPACING_M)


def buildings(seed: int = 7) -> gpd.GeoDataFrame:
    """Two buildings per block, 40-110 households each; block (3, 2) is a park."""
    rng = np.random.default_rng(seed)
    rows = []
    geoms = []
    for cx in range(COLS):
        for cy in range(ROWS):
            if (cx, cy) == (3, 2):
                continue
            for k in range(2):
                x = X0 + cx * SPACING_M + 20 + 40 * k
                y = Y0 + cy * SPACING_M + 30
                geoms.append(shapely.box(x, y, x + 25, y + 40))
                rows.append(
                    {
                        "id": f"way/{1000 + len(rows)}",
                        "building": "apartments",
                        "households": int(rng.integers(40, 110)),
                        "households_source": "survey",
                    }
                )
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=UTM_50N).to_crs("EPSG:4326")


def communities() -> gpd.GeoDataFrame:
    """West (columns 0-3) and east (4-6) communities."""
    west = shapely.box(X0, Y0, X0 + 4 * SPACING_M, Y0 + ROWS * SPACING_M)
    east = shapely.box(X0 + 4 * SPACING_M, Y0, X0 + COLS * SPACING_M, Y0 + ROWS * SPACING_M)
    return gpd.GeoDataFrame(
        {"code": ["110108001001", "110108001002"], "name": ["西社区", "东社区"]},
        geometry=[west, east],
        crs=UTM_50N,
    ).to_crs("EPSG:4326")


def make_area(folder: Path, *, with_communities: bool = False) -> Path:
    """Write the synthetic area workspace into ``folder``; returns it."""
    folder = Path(folder)
    nodes, edges = street_frames()
    boundary = gpd.GeoDataFrame(
        {"name": ["测试街道"], "admin_code": ["110108"], "source": ["synthetic"]},
        geometry=[outline()],
        crs=UTM_50N,
    ).to_crs("EPSG:4326")
    put = [
        (boundary, "boundary.geojson", "boundary"),
        (buildings(), "buildings.geojson", "buildings"),
        (nodes, "network/nodes.geojson", "nodes"),
        (edges, "network/edges.geojson", "edges"),
        (gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs="EPSG:4326")), "grids.geojson", "grids"),
    ]
    if with_communities:
        put.append((communities(), "communities.geojson", "communities"))
    for frame, rel, spec in put:
        geojson.write_layer(frame, folder / rel, spec, history=False)
    bounds = boundary.total_bounds
    manifest = {
        "schema": "geogrid-area/1",
        "name": "synthetic-grids",
        "admin_code": "110108",
        "metric_crs": UTM_50N,
        "bbox": [round(float(v), 7) for v in bounds],
        "sources": [{"role": "synthetic"}],
    }
    (folder / "area.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def units_frame(
    squares: list[tuple[float, float, int]], parent: str = "000000000000"
) -> gpd.GeoDataFrame:
    """Units from (col, row, households) 100 m squares (lon/lat)."""
    geoms = [
        shapely.box(
            X0 + c * SPACING_M,
            Y0 + r * SPACING_M,
            X0 + (c + 1) * SPACING_M,
            Y0 + (r + 1) * SPACING_M,
        )
        for c, r, _ in squares
    ]
    return gpd.GeoDataFrame(
        {"parent_code": parent, "households": [h for _, _, h in squares]},
        geometry=geoms,
        index=pd.Index([f"u{i}" for i in range(len(squares))], name="unit_id"),
        crs=UTM_50N,
    ).to_crs("EPSG:4326")
