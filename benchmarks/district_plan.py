"""Benchmark: a whole district planned by team areas, in one process and in two.

Usage::

    python benchmarks/district_plan.py [--time 40] [--seed 1] [--stops 1500] [--teams 107]

SYNTHETIC district (seeded, made here): a jittered 31 x 31 street grid with
150 m blocks (about 4.5 x 4.5 km, 20 km²; ``benchmarks/_common.synthetic_street_grid``),
cut into 20 communities (5 x 4 rectangles, codes 110108001001...). 107 teams
(five or six per community, one in six on e-bikes, shifts 19:00-21:30, bases at
street corners of their community, ``area_codes`` = their community). Candidate
stops: hot spots drawn around 60 seeded incident clusters (priority 1-5 -> prize
10-50, 12 min, a fifth of the priority-5 ones with a 20:00-21:00 window) and
key places spread evenly (prize 10, 8 min); 1500 in all by default.

Each run is ``geogrid.planning.district.solve_district`` (what ``geogrid plan``
does for a district: group by community, per-group travel matrices, groups
solved with their share of ``--time``, plans merged), strict team areas,
``workers=1`` then ``workers=2``; the merged plan is judged by ``check_plan``
on the district's problem. Prints wall time, prize, stops served and the
violations (none expected).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import UTM_50N, synthetic_street_grid

from geogrid.network import StreetNetwork
from geogrid.planning.areas import locate_stops
from geogrid.planning.district import group_district, solve_district
from geogrid.planning.plan import check_plan
from geogrid.planning.problem import Stop, Team

H19 = 19 * 3600
SIDE, SPACING_M = 31, 150.0
COLS, ROWS = 5, 4


def district(
    seed: int, n_teams: int, n_stops: int
) -> tuple[StreetNetwork, gpd.GeoDataFrame, list[Team], list[Stop], int]:
    """The SYNTHETIC district: network, communities, teams, located stops, street corners."""
    nodes, edges, crs = synthetic_street_grid(SIDE, seed=seed, spacing_m=SPACING_M)
    network = StreetNetwork.from_frames(nodes, edges, crs)
    rng = np.random.default_rng(seed)
    x0, y0 = 440_000.0 - SPACING_M / 2, 4_425_000.0 - SPACING_M / 2
    w, h = SIDE * SPACING_M / COLS, SIDE * SPACING_M / ROWS
    boxes, codes = [], []
    for r in range(ROWS):
        for c in range(COLS):
            boxes.append(shapely.box(x0 + c * w, y0 + r * h, x0 + (c + 1) * w, y0 + (r + 1) * h))
            codes.append(f"110108001{len(codes) + 1:03d}")
    communities = gpd.GeoDataFrame({"code": codes}, geometry=boxes, crs=UTM_50N).to_crs("EPSG:4326")
    corners = nodes.to_crs(UTM_50N)
    xy = np.column_stack([corners.geometry.x, corners.geometry.y])
    lonlat = np.column_stack([nodes.geometry.x, nodes.geometry.y])
    cell = np.minimum(((xy[:, 0] - x0) // w).astype(int), COLS - 1) + COLS * np.minimum(
        ((xy[:, 1] - y0) // h).astype(int), ROWS - 1
    )
    teams = []
    for k in range(n_teams):
        c = k % len(codes)
        here = np.flatnonzero(cell == c)
        node = int(rng.choice(here))
        bike = k % 6 == 5
        teams.append(
            Team(
                f"team-{k + 1:03d}",
                mode="bike" if bike else "walk",
                speed_kmh=15.0 if bike else 4.5,
                shift_start_s=H19,
                shift_end_s=H19 + 150 * 60,
                name=f"平安志愿者第{k + 1}队",
                size=int(rng.integers(3, 7)),
                base=(float(lonlat[node, 0]), float(lonlat[node, 1])),
                areas=frozenset({codes[c]}),
            )
        )
    n_hot = int(n_stops * 0.8)
    centres = rng.uniform([x0, y0], [x0 + SIDE * SPACING_M, y0 + SIDE * SPACING_M], (60, 2))
    pick = rng.integers(0, 60, n_hot)
    hot = centres[pick] + rng.normal(0, 250, (n_hot, 2))
    places = rng.uniform(
        [x0, y0], [x0 + SIDE * SPACING_M, y0 + SIDE * SPACING_M], (n_stops - n_hot, 2)
    )
    pts = np.clip(
        np.vstack([hot, places]),
        [x0 + 10, y0 + 10],
        [x0 + SIDE * SPACING_M - 10, y0 + SIDE * SPACING_M - 10],
    )
    to_lonlat = gpd.GeoSeries(shapely.points(pts), crs=UTM_50N).to_crs("EPSG:4326")
    stops = []
    for i, p in enumerate(to_lonlat):
        if i < n_hot:
            pri = int(rng.choice([1, 2, 3, 4, 5], p=[0.3, 0.25, 0.2, 0.15, 0.1]))
            window = (20 * 3600, 21 * 3600) if pri == 5 and rng.random() < 0.2 else None
            stops.append(
                Stop(
                    f"hotspot-{i + 1}",
                    prize=10 * pri,
                    dwell_s=720,
                    window_s=window,
                    name=f"热点{i + 1}",
                    point=(p.x, p.y),
                )
            )
        else:
            stops.append(
                Stop(
                    f"place-{i + 1}",
                    prize=10,
                    dwell_s=480,
                    kind="place",
                    name=f"重点场所{i + 1}",
                    point=(p.x, p.y),
                )
            )
    return network, communities, teams, locate_stops(stops, communities), len(nodes)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--time", type=float, default=40.0, help="the district's search time, seconds"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--teams", type=int, default=107)
    parser.add_argument("--stops", type=int, default=1500)
    args = parser.parse_args()
    t0 = time.perf_counter()
    network, communities, teams, stops, corners = district(args.seed, args.teams, args.stops)
    groups = group_district(teams, stops)
    print(
        f"SYNTHETIC district: {len(communities)} communities, {len(teams)} teams,"
        f" {len(stops)} stops, {corners} street corners;"
        f" built in {time.perf_counter() - t0:.1f} s"
    )
    sizes = [len(g.stops) for g in groups]
    print(
        f"groups: {len(groups)}, stops per group {min(sizes)}-{max(sizes)},"
        f" in no group {len(stops) - sum(sizes)}"
    )
    print(
        f"{dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%MZ}, {os.cpu_count()} CPUs (affinity"
        f" {len(os.sched_getaffinity(0))}), load {os.getloadavg()[0]:.1f},"
        f" Python {platform.python_version()}"
    )
    print(
        "| workers | time limit s | wall s | prize | of prize"
        " | stops served | teams idle | check_plan |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---|")
    total = sum(s.prize for s in stops)
    for workers in (1, 2):
        began = time.perf_counter()
        run = solve_district(
            network,
            teams,
            stops,
            groups=groups,
            time_limit_s=args.time,
            seed=args.seed,
            workers=workers,
        )
        wall = time.perf_counter() - began
        violations = check_plan(run.problem, run.plan)
        verdict = f"{len(violations)} violations" if violations else "passes"
        print(
            f"| {workers} | {args.time:g} | {wall:.1f} | {run.plan.prize}"
            f" | {run.plan.prize / total:.1%} | {len(run.plan.visited())} of {len(stops)}"
            f" | {len(run.idle)} | {verdict} |"
        )


if __name__ == "__main__":
    main()
