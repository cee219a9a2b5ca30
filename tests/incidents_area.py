"""Shared fixture of the incidents tests (not a test module).

:func:`make_incidents_area` writes a minimal Haidian area: manifest,
boundary, 8x8 grids with households, and 500 SYNTHETIC clustered incidents
(200 of them around one spot between 20:00 and 23:00).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geogrid.io.atomic import write_json_atomic
from geogrid.io.geojson import write_layer
from geogrid.io.incidents import save_incidents

DATA = Path(__file__).parent / "data" / "incidents"


def make_incidents_area(folder: Path) -> Path:
    """A minimal Haidian area: manifest, boundary, 8x8 grids with households, clustered
    incidents."""
    bbox = (116.30, 39.95, 116.40, 40.03)
    write_json_atomic(
        folder / "area.json",
        {
            "schema": "geogrid-area/1",
            "name": "haidian-test",
            "metric_crs": "EPSG:32650",
            "bbox": list(bbox),
            "sources": [],
        },
    )
    boundary = gpd.GeoDataFrame({"name": ["test"]}, geometry=[shapely.box(*bbox)], crs="EPSG:4326")
    write_layer(boundary, folder / "boundary.geojson", "boundary", history=False)
    xs = np.linspace(bbox[0], bbox[2], 9)
    ys = np.linspace(bbox[1], bbox[3], 9)
    polys, codes = [], []
    for i in range(8):
        for j in range(8):
            polys.append(shapely.box(xs[i], ys[j], xs[i + 1], ys[j + 1]))
            codes.append(f"110108001{i:03d}-{j:02d}")
    grids = gpd.GeoDataFrame(
        {"code": codes, "parent_code": [c[:12] for c in codes], "households": [500] * 64},
        geometry=polys,
        crs="EPSG:4326",
    )
    write_layer(grids, folder / "grids.geojson", "grids", history=False)
    rng = np.random.default_rng(0)
    n_bg, n_cl = 300, 200
    lon = np.concatenate([rng.uniform(116.30, 116.40, n_bg), rng.normal(116.3375, 0.004, n_cl)])
    lat = np.concatenate([rng.uniform(39.95, 40.03, n_bg), rng.normal(39.97, 0.004, n_cl)])
    hours = np.concatenate([rng.integers(0, 24, n_bg), rng.integers(20, 23, n_cl)])
    days = rng.integers(0, 400, n_bg + n_cl)
    incidents = gpd.GeoDataFrame(
        {
            "id": [f"T{i:04d}" for i in range(n_bg + n_cl)],
            "time": pd.Timestamp("2024-06-01", tz="Asia/Shanghai")
            + pd.to_timedelta(days * 24 + hours, unit="h"),
            "category": "theft",
            "synthetic": True,
            "source": "test",
        },
        geometry=shapely.points(lon, lat),
        crs="EPSG:4326",
    )
    save_incidents(incidents, folder / "incidents.geojson")
    return folder
