"""Shared fixtures for the incidents and release tests (not a test module).

Small SYNTHETIC incident frames in Haidian (EPSG:4326, times in Asia/Shanghai)
and Voronoi cells over the same box.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

TZ = "Asia/Shanghai"
UTM50 = "EPSG:32650"


def incidents_at(points, times, categories=None, precision="minute") -> gpd.GeoDataFrame:
    n = len(points)
    return gpd.GeoDataFrame(
        {
            "id": [f"i{i}" for i in range(n)],
            "time": pd.to_datetime(list(times)).tz_localize(TZ),
            "category": categories if categories is not None else ["theft"] * n,
            "time_precision": precision,
        },
        geometry=shapely.points(np.asarray(points)),
        crs="EPSG:4326",
    )


def random_incidents(n: int, seed: int = 0) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    pts = np.column_stack([rng.uniform(116.33, 116.37, n), rng.uniform(39.98, 40.01, n)])
    start = pd.Timestamp("2024-01-01")
    times = start + pd.to_timedelta(rng.integers(0, 730 * 24 * 60, n), unit="min")
    return incidents_at(pts, times)


def voronoi_cells(n: int, seed: int = 3) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    box = shapely.box(116.33, 39.98, 116.37, 40.01)
    seeds = shapely.multipoints(
        np.column_stack([rng.uniform(116.33, 116.37, n), rng.uniform(39.98, 40.01, n)])
    )
    polys = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=box))
    polys = shapely.intersection(polys, box)
    return gpd.GeoDataFrame(
        {"cell": [f"g{i:03d}" for i in range(len(polys))]}, geometry=polys, crs="EPSG:4326"
    ).set_index("cell")


def clustered_incidents(n_background=400, n_cluster=120, seed=1) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    bg = np.column_stack(
        [rng.uniform(116.33, 116.37, n_background), rng.uniform(39.98, 40.01, n_background)]
    )
    cl = np.column_stack(
        [rng.normal(116.355, 0.0006, n_cluster), rng.normal(39.995, 0.0005, n_cluster)]
    )
    hours_bg = rng.integers(0, 24, n_background)
    hours_cl = rng.integers(19, 22, n_cluster)  # evening cluster
    times = [
        pd.Timestamp("2025-03-01") + pd.Timedelta(hours=int(h), minutes=10)
        for h in np.concatenate([hours_bg, hours_cl])
    ]
    return incidents_at(np.vstack([bg, cl]), times)
