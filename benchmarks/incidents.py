"""Benchmark: incidents to grid polygons and to H3, geogrid vs geopandas.sjoin + groupby.

Usage::

    python benchmarks/incidents.py [--n 1000000] [--grids 2000] [--resolution 9] [--repeat 3]

Input (seeded, synthetic): ``n`` incident points over a 12 x 10 km box in Beijing
(half uniform, half in 40 Gaussian clusters), already a GeoDataFrame in EPSG:4326 as
``geogrid.io.incidents`` returns them; ``grids`` grid polygons = Voronoi cells of seeded
points clipped to the box (irregular like real 网格), in EPSG:4326.

Both sides start from the same two GeoDataFrames and end with a count per cell:

* grids, ours: ``assign_cells`` (bucket raster + exact test on edge buckets) + bincount;
  peer: ``geopandas.sjoin(points, grids, predicate="within")`` + ``groupby().size()``.
* H3, ours: ``h3_cells`` (H3 ids as hex strings) + ``value_counts``;
  peer: ``sjoin`` against the H3 hexagons covering the points + ``groupby().size()``.

Best of ``repeat`` runs each; agreement = share of cells whose counts are equal.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import time

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely

from geogrid.incidents import assign_cells, h3_cells, hex_cells

BOX = (116.28, 39.93, 116.42, 40.02)


def make_points(n: int, seed: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    half = n // 2
    west, south, east, north = BOX
    ux = rng.uniform(west, east, half)
    uy = rng.uniform(south, north, half)
    centres = np.column_stack([rng.uniform(west, east, 40), rng.uniform(south, north, 40)])
    pick = rng.integers(0, 40, n - half)
    eps = 1e-7  # keep points off the box edge, where "within" is false by definition
    cx = np.clip(centres[pick, 0] + rng.normal(0, 0.004, n - half), west + eps, east - eps)
    cy = np.clip(centres[pick, 1] + rng.normal(0, 0.003, n - half), south + eps, north - eps)
    x = np.concatenate([ux, cx])
    y = np.concatenate([uy, cy])
    return gpd.GeoDataFrame(
        {"id": np.arange(n).astype(str)}, geometry=shapely.points(x, y), crs="EPSG:4326"
    )


def make_grids(count: int, seed: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed + 1)
    west, south, east, north = BOX
    seeds = shapely.multipoints(
        np.column_stack([rng.uniform(west, east, count), rng.uniform(south, north, count)])
    )
    box = shapely.box(*BOX)
    polys = shapely.intersection(
        shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=box)), box
    )
    return gpd.GeoDataFrame(
        {"code": [f"G{i:05d}" for i in range(len(polys))]}, geometry=polys, crs="EPSG:4326"
    )


def best(func, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - t0)
    return min(times), result


def ours_grids(points: gpd.GeoDataFrame, grids: gpd.GeoDataFrame) -> np.ndarray:
    xy = shapely.get_coordinates(points.geometry.to_numpy())
    idx = assign_cells(xy[:, 0], xy[:, 1], grids.geometry.to_numpy())
    return np.bincount(idx[idx >= 0], minlength=len(grids))


def sjoin_grids(points: gpd.GeoDataFrame, grids: gpd.GeoDataFrame) -> np.ndarray:
    joined = gpd.sjoin(points, grids, predicate="within", how="inner")
    counts = joined.groupby("index_right").size()
    return counts.reindex(range(len(grids)), fill_value=0).to_numpy()


def ours_h3(points: gpd.GeoDataFrame, resolution: int) -> pd.Series:
    xy = shapely.get_coordinates(points.geometry.to_numpy())
    return pd.Series(h3_cells(xy[:, 0], xy[:, 1], resolution)).value_counts()


def sjoin_h3(points: gpd.GeoDataFrame, hexes: gpd.GeoDataFrame) -> pd.Series:
    joined = gpd.sjoin(points, hexes, predicate="within", how="inner")
    return joined.groupby("cell").size()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--grids", type=int, default=2000)
    parser.add_argument("--resolution", type=int, default=9)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--scaling", action="store_true", help="Also compare grids at 10k, 100k and 300k points."
    )
    args = parser.parse_args()

    points = make_points(args.n, args.seed)
    grids = make_grids(args.grids, args.seed)
    xy = shapely.get_coordinates(points.geometry.to_numpy())
    ints = {
        h3.latlng_to_cell(float(b), float(a), args.resolution)
        for a, b in xy[:: max(1, args.n // 200_000)]
    }
    hexes = hex_cells(ints, ring=1).reset_index()

    load = os.getloadavg()
    rows = []
    t_ours, c_ours = best(lambda: ours_grids(points, grids), args.repeat)
    t_peer, c_peer = best(lambda: sjoin_grids(points, grids), args.repeat)
    agree = float((c_ours == c_peer).mean())
    diff = int(np.abs(c_ours - c_peer).sum())
    rows.append(("grids", f"{len(grids):,} Voronoi polygons", t_ours, t_peer, agree, diff))

    t_ours_h, h_ours = best(lambda: ours_h3(points, args.resolution), args.repeat)
    t_peer_h, h_peer = best(lambda: sjoin_h3(points, hexes), args.repeat)
    both = pd.concat([h_ours.rename("ours"), h_peer.rename("peer")], axis=1).fillna(0)
    agree_h = float((both["ours"] == both["peer"]).mean())
    diff_h = int((both["ours"] - both["peer"]).abs().sum())
    rows.append(
        (
            "H3",
            f"res {args.resolution}, {len(hexes):,} hexagons (peer)",
            t_ours_h,
            t_peer_h,
            agree_h,
            diff_h,
        )
    )
    load_after = os.getloadavg()

    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%MZ")
    print(
        f"{stamp}, {os.cpu_count()} CPUs, {platform.machine()},"
        f" Python {platform.python_version()}, "
        f"load average {load[0]:.2f} before / {load_after[0]:.2f} after, "
        f"geopandas {gpd.__version__}, shapely {shapely.__version__}, h3 {h3.__version__}, "
        f"numpy {np.__version__}, pandas {pd.__version__}"
    )
    print(f"{args.n:,} points, best of {args.repeat}")
    print()
    print(
        "| target | cells | ours s | sjoin + groupby s | sjoin / ours"
        " | cells agreeing | points differing |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for target, cells, t_o, t_p, ag, df in rows:
        print(
            f"| {target} | {cells} | {t_o:.3f} | {t_p:.3f} | {t_p / t_o:.1f}x | {ag:.2%} | {df} |"
        )
    if args.scaling:
        print()
        print("| points | ours s | sjoin + groupby s | sjoin / ours | counts equal |")
        print("|---:|---:|---:|---:|---|")
        for n in (10_000, 100_000, 300_000):
            pts = make_points(n, args.seed)
            t_o, c_o = best(lambda pts=pts: ours_grids(pts, grids), args.repeat)
            t_p, c_p = best(lambda pts=pts: sjoin_grids(pts, grids), args.repeat)
            equal = bool((c_o == c_p).all())
            print(f"| {n:,} | {t_o:.3f} | {t_p:.3f} | {t_p / t_o:.1f}x | {equal} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
