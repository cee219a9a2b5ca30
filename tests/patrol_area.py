"""Shared fixtures for the patrol and coverage tests (not a test module).

* :func:`street_grid` - a small synthetic street grid as network frames;
* :func:`random_problem` - a random patrol problem on a plain matrix.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geogrid.planning.problem import PatrolProblem, Stop, Team

H19 = 19 * 3600
UTM_50N = "EPSG:32650"


def street_grid(
    side: int = 6, spacing_m: float = 100.0
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, str]:
    """A ``side x side`` two-way street grid in Haidian (nodes, edges, metric CRS)."""
    ix, iy = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    x = 440_000.0 + ix.ravel() * spacing_m
    y = 4_425_000.0 + iy.ravel() * spacing_m
    ids = 5_000_000 + np.arange(side * side, dtype=np.int64)
    grid = np.arange(side * side).reshape(side, side)
    u = np.concatenate([grid[:-1, :].ravel(), grid[:, :-1].ravel()])
    v = np.concatenate([grid[1:, :].ravel(), grid[:, 1:].ravel()])
    lines = [shapely.LineString([(x[a], y[a]), (x[b], y[b])]) for a, b in zip(u, v, strict=True)]
    nodes = gpd.GeoDataFrame(
        geometry=shapely.points(x, y), crs=UTM_50N, index=pd.Index(ids, name="node_id")
    )
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


def random_problem(seed: int, n_stops: int = 14, n_teams: int = 2) -> PatrolProblem:
    """Stops and bases at random in 1.5 km, two 90-minute evening shifts, stop s1
    required, every fifth stop with a window, s2 revisited at least 30 min later."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 1500, (n_stops + n_teams, 2))
    metres = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    teams = [Team(f"t{k}", shift_start_s=H19, shift_end_s=H19 + 5400) for k in range(n_teams)]
    stops = [
        Stop(
            f"s{i}",
            prize=int(rng.integers(1, 6)) * 10,
            dwell_s=int(rng.integers(10, 16)) * 60,
            window_s=(H19 + 1800, H19 + 3600) if i % 5 == 0 else None,
            required=i == 1,
        )
        for i in range(n_stops)
    ]
    stops.append(Stop("s2-again", prize=10, dwell_s=300, revisit_of="s2", min_gap_s=1800))
    xy = np.vstack([xy[:n_stops], xy[2:3], xy[n_stops:]])
    metres = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    return PatrolProblem.from_matrix(teams, stops, metres / 1.25, metres=metres)
