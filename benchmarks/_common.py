"""Shared helpers for the benchmark scripts: synthetic inputs and timing.

Benchmarks are scripts, not library code: they may print and read files.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

UTM_50N = "EPSG:32650"  # Beijing; the synthetic grid sits in Haidian


def synthetic_street_grid(
    side: int, seed: int = 0, spacing_m: float = 80.0, oneway_share: float = 0.05
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, str]:
    """A jittered ``side x side`` street grid as network frames (EPSG:4326).

    Node ids are large like OSM ids; lengths are the straight segment length
    times a random detour factor in [1, 1.3]; a share of the segments is
    oneway for bike and drive; every 7th row is a road cars may not use.

    Returns
    -------
    nodes, edges, metric_crs
    """
    rng = np.random.default_rng(seed)
    ix, iy = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    x = 440_000.0 + ix.ravel() * spacing_m + rng.uniform(-15, 15, side * side)
    y = 4_425_000.0 + iy.ravel() * spacing_m + rng.uniform(-15, 15, side * side)
    node_ids = 1_000_000_000 + np.arange(side * side, dtype=np.int64) * 7
    grid = np.arange(side * side).reshape(side, side)
    u = np.concatenate([grid[:-1, :].ravel(), grid[:, :-1].ravel()])
    v = np.concatenate([grid[1:, :].ravel(), grid[:, 1:].ravel()])
    m = len(u)
    lines = shapely.linestrings(
        np.stack([np.stack([x[u], y[u]], axis=1), np.stack([x[v], y[v]], axis=1)], axis=1)
    )
    straight = np.hypot(x[u] - x[v], y[u] - y[v])
    length_m = straight * rng.uniform(1.0, 1.3, m)
    oneway = rng.random(m) < oneway_share
    drive = (iy.ravel()[u] % 7) != 3
    nodes = gpd.GeoDataFrame(geometry=shapely.points(x, y), crs=UTM_50N, index=node_ids).to_crs(
        "EPSG:4326"
    )
    nodes.index.name = "node_id"
    edges = gpd.GeoDataFrame(
        {
            "u": node_ids[u],
            "v": node_ids[v],
            "way_id": np.arange(m, dtype=np.int64),
            "highway": "residential",
            "name": None,
            "length_m": length_m,
            "walk": True,
            "bike": True,
            "drive": drive,
            "oneway_bike": oneway,
            "oneway_drive": oneway,
        },
        geometry=lines,
        crs=UTM_50N,
    ).to_crs("EPSG:4326")
    return nodes, edges, UTM_50N


def best_of(repeat: int, func: Callable[[], Any]) -> tuple[float, Any]:
    """Run ``func`` ``repeat`` times; return the best wall time (s) and the last result."""
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def warm_up_searches_untimed() -> None:
    """Compile our numba searches (or load them from the disk cache) before any timed
    solve, as PyVRP's C++ was compiled when it was built; prints how long it took."""
    from geogrid.planning.solvers.search import warm_up_searches

    t0 = time.perf_counter()
    warm_up_searches()
    print(
        f"# search kernels ready in {time.perf_counter() - t0:.1f} s"
        " (compile or disk cache, untimed)"
    )


def solve_pyvrp_timed(
    model: Any, locs: list[Any], matrix: np.ndarray, time_s: float, seed: int
) -> tuple[Any, float]:
    """Give a PyVRP model ``matrix`` as distance and duration between all ``locs``, solve it
    for ``time_s`` seconds; returns (result, wall seconds)."""
    from pyvrp.stop import MaxRuntime

    for a, la in enumerate(locs):
        for b, lb in enumerate(locs):
            model.add_edge(la, lb, distance=int(matrix[a, b]), duration=int(matrix[a, b]))
    t0 = time.perf_counter()
    res = model.solve(stop=MaxRuntime(time_s), seed=seed, display=False)
    return res, time.perf_counter() - t0
