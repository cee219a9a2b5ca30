"""Benchmark: scale-out - a district's year and night, a province's incidents and nightly plans.

Usage::

    python benchmarks/scale.py [--only district|province-incidents|province-plans]
        [--incidents 10000000[,N...]] [--db postgresql://...] [--redis redis://...]

Everything is SEEDED SYNTHETIC data made here (``geogrid.synthetic`` and numpy),
labelled so in every table:

* **district**: a city of about 13k street blocks (``synthetic_units(13_000,
  seed=1)``, 80 m blocks, 9 x 9 km) on a jittered 80 m street grid
  (``_common.synthetic_street_grid``), 150 seeded key places, a year of
  incidents (``generate_incidents``, 200k, seed 1) written to a CSV; steps:
  build grids (``build_grids``, band 300-500), import the CSV (``import_incidents``
  through a mapping + grid codes by ``assign_cells``), monthly aggregates
  (``summarize`` by grid, month, category), hot spots (``rank_hotspots``),
  the release table (``release_area``), and the night: 107 teams in 36
  communities (6 x 6 squares; grids belong to the community of their centroid),
  stops = ranked hot spots + the extra grid passes of the default config,
  ``geogrid.planning.district.solve_district`` (strict team areas, ``--plan-time``
  search for the whole district, ``--workers`` processes). Each step runs in a
  subprocess of its own: wall seconds of the step (not of loading its input)
  and peak RSS (``getrusage`` maxrss; worker processes: the largest child).
* **province-incidents**: 20k grid polygons (``synthetic_units(20_000, seed=2,
  block_m=300)``: 42 x 42 km), N incidents (half uniform, half in 400 Gaussian
  clusters; one year; 7 categories). Monthly counts per grid and category by
  PostGIS through the store's own schema (``--db``: a database the script may fill;
  the store's migrations are applied, the grids are rows of ``features`` of an
  area ``bench-province``) and its SQL (``geogrid.store.incident_sql``): binary
  COPY with psycopg into an unlogged staging table, its GiST index, grids assigned
  by ``assign_staged`` (grid by grid through the staging index, CREATE TABLE AS on
  parallel workers, the store's tie rule: first grid in layer order), counts by
  ``monthly_counts``; with ``--store-insert-max N`` (N at least the size) the rows
  then go into the store's ``incidents`` table (``insert_staged``) and are counted
  there, and with ``--reassign`` the store's own re-assignment (``assign_grids``, an
  UPDATE of changed rows, as after a new grid version) is timed too; by our
  in-memory path (``assign_cells`` + pandas ``groupby``), by DuckDB spatial and by
  ``geopandas.sjoin`` + ``groupby``; each method in its own subprocess from the
  same arrays; counts compared cell by cell with ours.
* **province-plans**: 2,000 teams = 19 district copies (the district's street
  grid and communities; teams and stops seeded per copy, ~10 hot-spot stops per
  team), grouped by community (``group_district``), each group compiled once
  (``compile_groups``) and pickled; then every group solved with a FIXED amount of
  search (``solve_patrol(polish=False, solution_limit=--solutions)``, so a group's
  work does not depend on the clock) as the part of one job: Celery workers
  (``geogrid.jobs.celery``, Redis): two workers, with 1 and 2 pool processes, both
  started and warmed up before the clock; the groups cut into ``--rounds`` slices,
  each run on one worker then on the other (order alternating), so that what
  others run on the machine meanwhile falls on both alike; or with
  ``--plan-runner pool`` a forkserver pool. Throughput = groups per second.

Prints a table per scenario and writes ``scale-<scenario>.json`` (``--json-dir``).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import pickle
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from _common import UTM_50N, synthetic_street_grid  # noqa: E402

TZ = "Asia/Shanghai"
DISTRICT_ORIGIN = (440_000.0, 4_425_000.0)
PROVINCE_ORIGIN = (440_000.0, 4_380_000.0)
COMMUNITY_SIDE = 6  # communities: 6 x 6 squares over the district
H19, H22 = 19 * 3600, 22 * 3600
SCENARIOS = ("district", "province-incidents", "province-plans")


# ------------------------------------------------------------------ measuring


def maxrss_mib(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024.0


class Meter:
    """Times named phases of a step and records the peak RSS before and after each, and the
    largest sum of the RSS of all descendant processes (worker pools), sampled every 0.2 s."""

    def __init__(self) -> None:
        self.phases: dict[str, dict[str, float]] = {}

    def __call__(self, name: str, fn: Callable[[], Any]) -> Any:
        import threading

        import psutil

        me = psutil.Process()
        peak = [0.0]
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(0.2):
                total = 0
                for child in me.children(recursive=True):
                    with contextlib.suppress(psutil.Error):
                        total += child.memory_info().rss
                peak[0] = max(peak[0], total / 2**20)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        before = maxrss_mib()
        t0 = time.perf_counter()
        try:
            out = fn()
        finally:
            stop.set()
            sampler.join()
        self.phases[name] = {
            "s": time.perf_counter() - t0,
            "peak_before_mib": before,
            "peak_mib": maxrss_mib(),
            "children_peak_mib": peak[0],
        }
        return out


def run_step(
    step: str,
    work: Path,
    args: argparse.Namespace,
    extra: list[str] | None = None,
    timeout_s: float = 3600,
) -> dict[str, Any]:
    """Run ``--step step`` in a fresh interpreter; its last stdout line is its JSON report."""
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--step",
        step,
        "--work",
        str(work),
        *forwarded(args),
        *(extra or []),
    ]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-12:]
        return {"error": "\n".join(tail), "process_s": wall}
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    report["process_s"] = wall
    return report


def forwarded(args: argparse.Namespace) -> list[str]:
    out = []
    for name in (
        "units",
        "district_incidents",
        "teams",
        "plan_time",
        "workers",
        "grids",
        "province_teams",
        "solutions",
        "db",
        "seed",
    ):
        value = getattr(args, name)
        if value is not None:
            out += [f"--{name.replace('_', '-')}", str(value)]
    out += ["--store-insert-max", str(args.store_insert_max)]
    out += ["--reassign"] if args.reassign else []
    return [*out, "--keep"] if args.keep else out


def machine_line(load_before: tuple[float, float, float]) -> str:
    load = os.getloadavg()
    return (
        f"{dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%MZ}, {os.cpu_count()} CPUs, {platform.machine()}, "
        f"Python {platform.python_version()}, load average {load_before[0]:.2f} before / "
        f"{load[0]:.2f} after (1 min), {load[2]:.2f} (15 min)"
    )


def save(work: Path, name: str, value: Any) -> None:
    with (work / f"{name}.pkl").open("wb") as out:
        pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)


def load(work: Path, name: str) -> Any:
    with (work / f"{name}.pkl").open("rb") as src:
        return pickle.load(src)


# ------------------------------------------------------------------ district inputs


def square_communities(bounds_m: tuple[float, float, float, float], side: int, prefix: str):
    """``side`` x ``side`` square communities over ``bounds_m`` (metric), EPSG:4326."""
    import geopandas as gpd
    import shapely

    west, south, east, north = bounds_m
    w, h = (east - west) / side, (north - south) / side
    boxes, codes = [], []
    for j in range(side):
        for i in range(side):
            boxes.append(
                shapely.box(west + i * w, south + j * h, west + (i + 1) * w, south + (j + 1) * h)
            )
            codes.append(f"{prefix}{j * side + i + 1:03d}")
    return gpd.GeoDataFrame(
        {"code": codes, "name": [f"社区{c[-3:]}" for c in codes]}, geometry=boxes, crs=UTM_50N
    ).to_crs("EPSG:4326")


def district_bounds_m(side: int) -> tuple[float, float, float, float]:
    x0, y0 = DISTRICT_ORIGIN
    return (x0 - 40.0, y0 - 40.0, x0 + side * 80.0 - 40.0, y0 + side * 80.0 - 40.0)


def district_setup(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Seeded synthetic units, streets, places, a year of incidents as a CSV + its mapping."""
    import geopandas as gpd
    import shapely

    from geogrid.synthetic import HOTSPOT_WEIGHTS, generate_incidents, synthetic_units

    side = max(2, round(math.sqrt(args.units)))
    units = synthetic_units(
        args.units, seed=1, origin=(DISTRICT_ORIGIN[0] - 40.0, DISTRICT_ORIGIN[1] - 40.0)
    )
    nodes, edges, crs = synthetic_street_grid(side + 1, seed=1, spacing_m=80.0)
    rng = np.random.default_rng(args.seed)
    west, south, east, north = district_bounds_m(side)
    kinds = list(HOTSPOT_WEIGHTS)
    places = gpd.GeoDataFrame(
        {"kind": [kinds[i % len(kinds)] for i in range(150)]},
        geometry=shapely.points(rng.uniform(west, east, 150), rng.uniform(south, north, 150)),
        crs=crs,
    ).to_crs("EPSG:4326")
    boundary = gpd.GeoDataFrame(geometry=[shapely.box(west, south, east, north)], crs=crs).to_crs(
        "EPSG:4326"
    )
    incidents = generate_incidents(
        edges,
        places,
        crs,
        count=args.district_incidents,
        seed=1,
        start="2025-01-01",
        months=12,
        tz=TZ,
    )
    xy = shapely.get_coordinates(incidents.geometry.to_numpy())
    table = incidents.drop(columns="geometry").assign(
        lon=np.round(xy[:, 0], 7), lat=np.round(xy[:, 1], 7)
    )
    table[["id", "time", "category", "category_zh", "lon", "lat"]].to_csv(
        work / "incidents.csv", index=False
    )
    (work / "mapping.toml").write_text(
        'name = "synthetic"\n[source]\nformat = "csv"\nencoding = "utf-8"\ncoordinates = "wgs84"\n'
        f'timezone = "{TZ}"\n[columns]\nid = "id"\ntime = "time"\ncategory = "category"\n'
        'category_zh = "category_zh"\nx = "lon"\ny = "lat"\n',
        encoding="utf-8",
    )
    communities = square_communities(district_bounds_m(side), COMMUNITY_SIDE, "110108001")
    save(work, "units", units)
    save(work, "streets", (nodes, edges, crs))
    save(work, "boundary", boundary)
    save(work, "communities", communities)
    return {
        "units": len(units),
        "households": int(units["households"].sum()),
        "nodes": len(nodes),
        "edges": len(edges),
        "incidents": len(incidents),
        "side": side,
    }


def community_of(points, communities) -> np.ndarray:
    import shapely

    from geogrid.incidents import assign_cells

    xy = shapely.get_coordinates(points)
    idx = assign_cells(xy[:, 0], xy[:, 1], communities.geometry.to_numpy())
    return idx


def district_teams(
    nodes, communities, n_teams: int, rng: np.random.Generator, prefix: str = "team"
):
    """``n_teams`` teams spread round-robin over the communities, based at a street corner
    inside theirs; walk or e-bike, 19:00-22:00, area = the community."""
    from geogrid.planning.problem import Team

    node_xy = np.column_stack([nodes.geometry.x.to_numpy(), nodes.geometry.y.to_numpy()])
    where = community_of(nodes.geometry.to_numpy(), communities)
    codes = communities["code"].tolist()
    teams = []
    for k in range(n_teams):
        c = k % len(codes)
        inside = np.flatnonzero(where == c)
        base = node_xy[int(rng.choice(inside))]
        bike = k % 4 == 3
        teams.append(
            Team(
                f"{prefix}-{k + 1:03d}",
                mode="bike" if bike else "walk",
                speed_kmh=15.0 if bike else 4.5,
                shift_start_s=H19,
                shift_end_s=H22,
                size=int(rng.integers(3, 7)),
                base=(float(base[0]), float(base[1])),
                areas=frozenset({codes[c]}),
            )
        )
    return teams


# ------------------------------------------------------------------ district steps


def step_district_grids(work: Path, args: argparse.Namespace, meter: Meter) -> dict[str, Any]:  # noqa: ARG001 - every step has this signature
    from geogrid.grids.partition import build_grids

    units = load(work, "units")
    plan = meter("build_grids", lambda: build_grids(units, UTM_50N, seed=0))
    grids = plan.grids
    communities = load(work, "communities")
    where = community_of(grids.geometry.representative_point().to_numpy(), communities)
    grids = grids.assign(
        parent_code=[communities["code"].iloc[i] if i >= 0 else "110108001001" for i in where]
    )
    save(work, "grids", grids)
    hh = grids["households"].to_numpy() if "households" in grids else np.array([])
    in_band = float(((hh >= 300) & (hh <= 500)).mean()) if len(hh) else float("nan")
    return {"grids": len(grids), "in_band": in_band, "problems": len(plan.problems)}


def step_district_import(work: Path, args: argparse.Namespace, meter: Meter) -> dict[str, Any]:  # noqa: ARG001 - every step has this signature
    import shapely

    from geogrid.incidents import assign_cells
    from geogrid.io.incidents import import_incidents, read_mapping

    grids = load(work, "grids")
    boundary = load(work, "boundary")
    mapping = read_mapping(work / "mapping.toml")

    def run():
        cleaned = import_incidents(
            work / "incidents.csv", mapping, area=boundary.geometry.union_all()
        )
        incidents = cleaned.incidents
        xy = shapely.get_coordinates(incidents.geometry.to_numpy())
        idx = assign_cells(xy[:, 0], xy[:, 1], grids.geometry.to_numpy())
        codes = grids["code"].to_numpy(dtype=object)
        incidents["grid"] = np.where(idx >= 0, codes[np.maximum(idx, 0)], None)
        return cleaned, incidents

    cleaned, incidents = meter("import + assign grids", run)
    save(work, "incidents", incidents)
    return {
        "incidents": len(incidents),
        "rejects": len(cleaned.rejects),
        "unassigned": int(incidents["grid"].isna().sum()),
    }


def step_district_monthly(work: Path, args: argparse.Namespace, meter: Meter) -> dict[str, Any]:  # noqa: ARG001 - every step has this signature
    from geogrid.incidents import grid_cells, summarize

    incidents, grids = load(work, "incidents"), load(work, "grids")
    table = meter(
        "summarize by grid, month, category",
        lambda: summarize(
            incidents.drop(columns="grid"), grid_cells(grids), freq="month", by_category=True
        ),
    )
    return {"rows": len(table), "total": int(table["count"].sum())}


def step_district_hotspots(work: Path, args: argparse.Namespace, meter: Meter) -> dict[str, Any]:  # noqa: ARG001 - every step has this signature
    from geogrid.incidents import rank_hotspots

    incidents = load(work, "incidents")
    spots = meter(
        "rank_hotspots (Gi*, FDR)", lambda: rank_hotspots(incidents, UTM_50N, timezone=TZ)
    )
    save(work, "hotspots", spots)
    return {"hotspots": len(spots)}


def step_district_release(work: Path, args: argparse.Namespace, meter: Meter) -> dict[str, Any]:  # noqa: ARG001 - every step has this signature
    from types import SimpleNamespace

    from geogrid.release import release_area

    incidents, grids, boundary = (
        load(work, "incidents"),
        load(work, "grids"),
        load(work, "boundary"),
    )
    area = SimpleNamespace(
        manifest={"name": "synthetic district", "timezone": TZ},
        boundary=boundary,
        grids=grids,
        buildings=None,
        incidents=incidents.drop(columns="grid"),
        metric_crs=UTM_50N,
    )
    table = meter("release_area", lambda: release_area(area))
    return {
        "places": len(table.places),
        "months": len(table.months),
        "categories": len(table.categories),
        "hidden_cells": int(np.asarray(table.hidden).sum()),
    }


def step_district_night(work: Path, args: argparse.Namespace, meter: Meter) -> dict[str, Any]:
    from geogrid.network import StreetNetwork
    from geogrid.planning.areas import locate_stops
    from geogrid.planning.config import PatrolConfig
    from geogrid.planning.district import solve_district
    from geogrid.planning.problem import stops_from_hotspots
    from geogrid.planning.workload import extra_passes

    nodes, edges, crs = load(work, "streets")
    grids, communities, spots = (
        load(work, "grids"),
        load(work, "communities"),
        load(work, "hotspots"),
    )
    config = PatrolConfig()
    rng = np.random.default_rng(args.seed)
    teams = district_teams(nodes, communities, args.teams, rng)
    parents = dict(zip(grids["code"].astype(str), grids["parent_code"].astype(str), strict=True))

    from geogrid.planning.solvers.search import warm_up_searches

    warm_up_searches()  # numba kernels compiled or read from the disk cache, untimed

    def run():
        network = StreetNetwork.from_frames(nodes, edges, crs)
        hs = config.hotspots
        stops = stops_from_hotspots(
            spots,
            prize_per_priority=hs.prize_per_priority,
            revisit_min_priority=hs.revisit_min_priority,
            revisit_after_min=hs.revisit_after_min,
        )
        stops += extra_passes(stops, teams, grids, config, crs)
        stops = locate_stops(stops, communities, grids)
        return solve_district(
            network,
            teams,
            stops,
            team_areas="strict",
            parents=parents,
            time_limit_s=args.plan_time,
            seed=1,
            workers=args.workers,
            balance=config.workload.balance,
            balance_weight=config.workload.balance_weight,
            mode_weights=config.workload.mode_weights,
        )

    run_ = meter("night: network + stops + solve_district", run)
    plan, problem = run_.plan, run_.problem
    valuable = [i for i in range(problem.n_stops) if not problem.stops[i].is_fill]
    visited = plan.visited()
    return {
        "teams": len(problem.teams),
        "stops": problem.n_stops,
        "hotspot_stops": len(valuable),
        "groups": len(run_.groups),
        "visited": len(visited),
        "hotspot_stops_visited": len(set(valuable) & set(visited)),
        "prize": int(plan.prize),
        "workers": run_.workers,
        "wall_s": run_.wall_s,
        "idle_teams": len(run_.idle),
        "check_plan": "ok (merge_plans checks)",
    }


DISTRICT_STEPS = {
    "build grids": step_district_grids,
    "import incidents": step_district_import,
    "monthly aggregates": step_district_monthly,
    "hot spots": step_district_hotspots,
    "release table": step_district_release,
    "night plan (all teams)": step_district_night,
}


def run_district(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    setup = district_setup(work, args)
    setup_s = time.perf_counter() - t0
    print(
        f"# district setup (synthetic, untimed for the steps): {setup} in {setup_s:.1f} s",
        flush=True,
    )
    steps = {}
    for name in DISTRICT_STEPS:
        steps[name] = run_step(f"district:{name}", work, args)
        print(f"#   {name}: {json.dumps(steps[name])}", flush=True)
    print()
    print(machine_line(load_before))
    print(
        f"SYNTHETIC district (seeded): {setup['units']:,} units, {setup['households']:,} "
        "households, "
        f"{setup['nodes']:,} street nodes, {setup['incidents']:,} incidents over 12 months, "
        f"{args.teams} teams in {COMMUNITY_SIDE**2} communities; night: --plan-time "
        f"{args.plan_time:g} s, "
        f"--workers {args.workers}"
    )
    print()
    print("| step | what | s | peak RSS MiB | + over input MiB | worker processes' RSS MiB (sum) |")
    print("|---|---|---:|---:|---:|---:|")
    for name, rep in steps.items():
        if "error" in rep:
            print(f"| {name} | error: {rep['error'].splitlines()[-1]} | - | - | - | - |")
            continue
        phase = next(iter(rep["phases"].values()))
        info = ", ".join(
            f"{k} {v:,}" if isinstance(v, int) else f"{k} {v:.1%}" if k == "in_band" else f"{k} {v}"
            for k, v in rep["result"].items()
            if k == "in_band" or not isinstance(v, float)
        )
        children = phase["children_peak_mib"]
        print(
            f"| {name} | {info} | {phase['s']:.1f} | {phase['peak_mib']:,.0f} | "
            f"{phase['peak_mib'] - phase['peak_before_mib']:,.0f} | {children:,.0f} |"
        )
    night = steps["night plan (all teams)"]
    if "error" not in night:
        s = next(iter(night["phases"].values()))["s"]
        print()
        print(
            f"Goal: the district night (plans for all {args.teams} teams) under 300 s on 2 cores: "
            f"{s:.1f} s -> {'met' if s < 300 else 'NOT met'}"
        )
    return {"setup": setup, "setup_s": setup_s, "steps": steps}


# ------------------------------------------------------------------ province incidents


def province_grids(args: argparse.Namespace):
    from geogrid.synthetic import synthetic_units

    units = synthetic_units(args.grids, seed=2, block_m=300.0, origin=PROVINCE_ORIGIN)
    grids = units[["geometry"]].reset_index(drop=True)
    grids.insert(0, "code", [f"G{i + 1:05d}" for i in range(len(grids))])
    return grids


def province_points(n: int, seed: int, grids) -> dict[str, np.ndarray]:
    """Seeded synthetic incidents: x, y (lon/lat), UTC epoch seconds, month 0-11 (local), "
    "category 0-6."""
    from pyproj import Transformer

    from geogrid.synthetic import CATEGORY_SHARES

    rng = np.random.default_rng(seed)
    side = max(1, round(math.sqrt(len(grids)))) * 300.0
    x0, y0 = PROVINCE_ORIGIN
    half = n // 2
    mx = np.empty(n)
    my = np.empty(n)
    mx[:half] = rng.uniform(x0, x0 + side, half)
    my[:half] = rng.uniform(y0, y0 + side, half)
    centres = rng.uniform(0, side, (400, 2))
    pick = rng.integers(0, 400, n - half)
    mx[half:] = np.clip(x0 + centres[pick, 0] + rng.normal(0, 400, n - half), x0 + 1, x0 + side - 1)
    my[half:] = np.clip(y0 + centres[pick, 1] + rng.normal(0, 400, n - half), y0 + 1, y0 + side - 1)
    lon, lat = Transformer.from_crs(UTM_50N, "EPSG:4326", always_xy=True).transform(mx, my)
    month = rng.integers(0, 12, n).astype(np.int8)
    starts = (np.datetime64("2025-01", "M") + np.arange(13)).astype("datetime64[s]")
    span = (starts[1:] - starts[:-1]).astype(np.int64)
    local = starts[:-1][month].astype(np.int64) + (rng.random(n) * span[month]).astype(np.int64)
    epoch = local - 8 * 3600  # Asia/Shanghai: UTC+8, no DST
    shares = np.array([c[3] for c in CATEGORY_SHARES])
    cat = rng.choice(len(shares), size=n, p=shares / shares.sum()).astype(np.int8)
    return {
        "lon": np.asarray(lon),
        "lat": np.asarray(lat),
        "epoch": epoch,
        "month": month,
        "cat": cat,
    }


def dense_counts(
    grid: np.ndarray, month: np.ndarray, cat: np.ndarray, count: np.ndarray, n_grids: int
) -> np.ndarray:
    out = np.zeros((n_grids, 12, 7), dtype=np.int64)
    ok = grid >= 0
    np.add.at(out, (grid[ok], month[ok], cat[ok]), count[ok])
    return out


def load_points(work: Path) -> dict[str, np.ndarray]:
    with np.load(work / "points.npz") as z:
        return {k: z[k] for k in z.files}


def step_province_ours(work: Path, args: argparse.Namespace, meter: Meter) -> dict[str, Any]:  # noqa: ARG001 - every step has this signature
    import pandas as pd

    from geogrid.incidents import assign_cells

    grids = load(work, "grids")
    pts = load_points(work)
    polys = grids.geometry.to_numpy()
    idx = meter("assign_cells", lambda: assign_cells(pts["lon"], pts["lat"], polys))
    local = pts["epoch"] + 8 * 3600

    def group():
        frame = pd.DataFrame(
            {
                "grid": idx,
                "month": local.astype("datetime64[s]").astype("datetime64[M]"),
                "category": pts["cat"],
            }
        )
        return frame[frame["grid"] >= 0].groupby(["grid", "month", "category"]).size()

    counts = meter("pandas groupby (grid, month, category)", group)
    months = counts.index.get_level_values("month").to_numpy().astype("datetime64[M]").astype(
        np.int64
    ) - np.datetime64("2025-01", "M").astype(np.int64)
    dense = dense_counts(
        counts.index.get_level_values("grid").to_numpy(),
        months,
        counts.index.get_level_values("category").to_numpy(),
        counts.to_numpy(),
        len(grids),
    )
    np.save(work / "counts_ours.npy", dense)
    return {"groups": len(counts), "counted": int(dense.sum())}


COPY_DTYPE = np.dtype(
    [
        ("n", ">i2"),
        ("l1", ">i4"),
        ("id", ">i8"),
        ("l2", ">i4"),
        ("t", ">i8"),
        ("l3", ">i4"),
        ("cat", ">i2"),
        ("l4", ">i4"),
        ("bo", "u1"),
        ("type", "<u4"),
        ("srid", "<u4"),
        ("x", "<f8"),
        ("y", "<f8"),
    ]
)
PG_EPOCH = 946_684_800  # 2000-01-01 in Unix seconds


def copy_rows(pts: dict[str, np.ndarray], lo: int, hi: int) -> bytes:
    """Rows ``lo:hi`` in PostgreSQL's binary COPY format: id, time, category, EWKB point."""
    rows = np.empty(hi - lo, dtype=COPY_DTYPE)
    rows["n"], rows["l1"], rows["l2"], rows["l3"], rows["l4"] = 4, 8, 8, 2, 25
    rows["id"] = np.arange(lo, hi)
    rows["t"] = (pts["epoch"][lo:hi] - PG_EPOCH) * 1_000_000
    rows["cat"] = pts["cat"][lo:hi]
    rows["bo"], rows["type"], rows["srid"] = 1, 0x20000001, 4326
    rows["x"], rows["y"] = pts["lon"][lo:hi], pts["lat"][lo:hi]
    return rows.tobytes()


BENCH_AREA = "bench-province"
#: the store's bulk path: the rows of the staging table as the store's incidents columns
STAGE_VIEW = """
    CREATE VIEW scale_stage_rows AS
    SELECT s.id::text AS id, s.time, s.id AS ord,
        (ARRAY[{cats}])[s.cat + 1] AS category,
        json_build_object('type', 'Feature', 'properties', json_build_object(
            'id', s.id::text, 'time', s.time, 'category', (ARRAY[{cats}])[s.cat + 1],
            'synthetic', true)) AS feature,
        s.geom
    FROM scale_stage AS s
"""


def bench_area(conn: Any, grids: Any) -> int:
    """The area ``bench-province`` in the store's own tables (made by the store's migrations):
    its grids as rows of ``features`` (code and polygon), no incidents. Untimed setup."""
    import shapely

    names = [r[0] for r in conn.execute("SELECT name FROM areas").fetchall()]
    if names and all(n.startswith("bench-") for n in names):
        conn.execute("TRUNCATE incidents")  # a benchmark database: nothing else in it
    else:
        conn.execute(
            "DELETE FROM incidents WHERE area_id IN (SELECT id FROM areas WHERE name = %s)",
            (BENCH_AREA,),
        )
    conn.execute("DELETE FROM areas WHERE name = %s", (BENCH_AREA,))
    area_id = conn.execute(
        "INSERT INTO areas (name, manifest, head, layers) VALUES (%s, %s, NULL, %s) RETURNING id",
        (
            BENCH_AREA,
            json.dumps({"name": BENCH_AREA, "synthetic": True}),
            json.dumps(["grids", "incidents"]),
        ),
    ).fetchone()[0]
    with conn.cursor().copy(
        "COPY features (area_id, layer, ord, feature, geom) FROM STDIN"
    ) as copy:
        for i, (code, wkb) in enumerate(
            zip(
                grids["code"],
                shapely.to_wkb(grids.geometry.to_numpy(), hex=True, include_srid=False),
                strict=True,
            )
        ):
            feature = {"type": "Feature", "properties": {"code": code}}
            copy.write_row((area_id, "grids", i, json.dumps(feature), f"SRID=4326;{wkb}"))
    conn.execute("ANALYZE features")
    for m in range(-1, 13):
        a = np.datetime64("2025-01", "M") + m
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS incidents_p{str(a).replace('-', '')} PARTITION OF "
            f"incidents FOR VALUES FROM ('{a}-01 00:00+00') TO ('{a + 1}-01 00:00+00')"
        )
    return int(area_id)


def step_province_postgis(work: Path, args: argparse.Namespace, meter: Meter) -> dict[str, Any]:
    """The store's bulk path on the store's own tables: binary COPY into an unlogged staging
    table, its GiST index, grids assigned by ``incident_sql.assign_staged`` (CREATE TABLE AS,
    parallel), rows moved into ``incidents`` with their grids (``incident_sql.insert_staged``),
    monthly counts by ``incident_sql.monthly_counts``; then, untimed for the goal, a full
    re-assignment as a new grid version makes it (``incident_sql.assign_grids``, the store's
    UPDATE: no row may change)."""
    import psycopg
    from sqlalchemy import create_engine

    from geogrid.store import incident_sql
    from geogrid.store.postgis import migrate, sqlalchemy_url
    from geogrid.synthetic import CATEGORY_SHARES

    grids = load(work, "grids")
    pts = load_points(work)
    n = len(pts["lon"])
    migrate(args.db)
    dsn = args.db.replace("postgresql+psycopg://", "postgresql://")
    cats = ", ".join(f"'{c[0]}'" for c in CATEGORY_SHARES)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET client_min_messages TO warning")
        conn.execute("DROP VIEW IF EXISTS scale_stage_rows")
        conn.execute("DROP TABLE IF EXISTS scale_codes, scale_stage")
        area_id = bench_area(conn, grids)
        conn.execute(
            "CREATE UNLOGGED TABLE scale_stage (id bigint NOT NULL, time timestamptz NOT NULL, "
            "cat smallint NOT NULL, geom geometry(Point, 4326) NOT NULL)"
        )
        conn.execute(STAGE_VIEW.format(cats=cats))
    engine = create_engine(sqlalchemy_url(args.db))
    with engine.connect() as sa:
        raw = sa.connection.driver_connection
        assert raw is not None
        sa.exec_driver_sql("SET work_mem = '256MB'")
        sa.exec_driver_sql("SET maintenance_work_mem = '1GB'")

        def copy_all() -> None:
            header = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
            with raw.cursor().copy(
                "COPY scale_stage (id, time, cat, geom) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.write(header)
                step = 500_000
                for lo in range(0, n, step):
                    copy.write(copy_rows(pts, lo, min(n, lo + step)))
                copy.write((-1).to_bytes(2, "big", signed=True))
            sa.commit()

        meter("COPY into staging (binary)", copy_all)

        def index_stage() -> None:
            sa.exec_driver_sql("CREATE INDEX scale_stage_geom ON scale_stage USING gist (geom)")
            sa.exec_driver_sql("ANALYZE scale_stage")
            sa.commit()

        meter("GiST index + ANALYZE of staging", index_stage)

        def assign() -> list[str]:
            lines = incident_sql.assign_staged(
                sa, area_id, "scale_stage_rows", "scale_codes", explain=True
            )
            sa.commit()
            return lines

        plan = meter("assign grids (incident_sql.assign_staged, parallel)", assign)
        rows = meter(
            "monthly counts (incident_sql.monthly_counts of the staged codes)",
            lambda: incident_sql.monthly_counts(sa, area_id, TZ, codes="scale_codes"),
        )
        store: dict[str, Any] = {}
        if (
            n <= args.store_insert_max
        ):  # keep the rows in the store's incidents table (its 4 indexes)
            t0 = time.perf_counter()
            store["inserted"] = incident_sql.insert_staged(
                sa, area_id, "scale_stage_rows", "scale_codes"
            )
            sa.commit()
            store["insert_s"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            again = incident_sql.monthly_counts(sa, area_id, TZ)
            store["counts_s"] = time.perf_counter() - t0
            store["counts_equal_staged"] = sorted(again) == sorted(rows)
            if args.reassign:  # a new grid version: the store's UPDATE, nothing may change
                sa.exec_driver_sql("ANALYZE incidents")
                sa.commit()
                t0 = time.perf_counter()
                store["reassign_changed_rows"] = incident_sql.assign_grids(sa, area_id)
                sa.commit()
                store["reassign_s"] = time.perf_counter() - t0
        sizes = sa.exec_driver_sql(
            "SELECT (SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits "
            "WHERE inhparent = 'incidents'::regclass), pg_total_relation_size('scale_stage'), "
            "pg_total_relation_size('scale_codes')"
        ).fetchone()
        sa.exec_driver_sql("DROP VIEW scale_stage_rows")
        sa.exec_driver_sql("DROP TABLE scale_codes, scale_stage")
        sa.commit()
        settings = dict(
            sa.exec_driver_sql(
                "SELECT name, setting FROM pg_settings WHERE name IN "
                "('max_parallel_workers_per_gather', 'shared_buffers', 'work_mem', "
                "'server_version')"
            ).fetchall()
        )
        if not args.keep:
            sa.exec_driver_sql(f"DELETE FROM areas WHERE id = {area_id}")
            sa.exec_driver_sql("TRUNCATE incidents")
            sa.commit()
    engine.dispose()
    code_index = {c: i for i, c in enumerate(grids["code"])}
    cat_index = {c[0]: i for i, c in enumerate(CATEGORY_SHARES)}
    grid = np.array([code_index[r[0]] for r in rows], dtype=np.int64)
    month = np.array([(r[1].year - 2025) * 12 + r[1].month - 1 for r in rows], dtype=np.int64)
    dense = dense_counts(
        grid,
        month,
        np.array([cat_index[r[2]] for r in rows], dtype=np.int64),
        np.array([r[3] for r in rows], dtype=np.int64),
        len(grids),
    )
    np.save(work / "counts_postgis.npy", dense)
    return {
        "groups": len(rows),
        "counted": int(dense.sum()),
        "parallel_plan": any("Gather" in line for line in plan),
        "plan": plan,
        "incidents_mib": int((sizes[0] or 0) / 2**20),
        "staging_mib": int((sizes[1] or 0) / 2**20),
        "codes_mib": int((sizes[2] or 0) / 2**20),
        "store": store,
        "settings": settings,
    }


def spatial_extension() -> str | None:
    """The DuckDB spatial extension file shipped by the ``duckdb-extension-spatial`` wheel, "
    "if any."""
    try:
        import duckdb_extension_spatial
    except ImportError:
        return None
    import duckdb

    found = sorted(
        Path(duckdb_extension_spatial.__file__).parent.glob(
            f"extensions/v{duckdb.__version__}/spatial.duckdb_extension"
        )
    )
    return str(found[0]) if found else None


def step_province_duckdb(work: Path, args: argparse.Namespace, meter: Meter) -> dict[str, Any]:  # noqa: ARG001 - every step has this signature
    import duckdb
    import pandas as pd
    import shapely

    grids = load(work, "grids")
    pts = load_points(work)
    con = duckdb.connect()
    ext = spatial_extension()
    if ext is not None:
        con.execute(f"LOAD '{ext}'")
    else:
        con.execute("LOAD spatial")  # from the local extension folder, if installed there
    con.execute("SET TimeZone = 'UTC'")
    grid_frame = pd.DataFrame(
        {"ord": np.arange(len(grids)), "wkb": shapely.to_wkb(grids.geometry.to_numpy())}
    )
    point_frame = pd.DataFrame(
        {"lon": pts["lon"], "lat": pts["lat"], "month": pts["month"], "cat": pts["cat"]}
    )
    con.register("grid_frame", grid_frame)
    con.register("point_frame", point_frame)
    con.execute("CREATE TABLE g AS SELECT ord, ST_GeomFromWKB(wkb) AS geom FROM grid_frame")

    meter(
        "load points (ST_Point)",
        lambda: con.execute(
            "CREATE TABLE p AS SELECT month, cat, ST_Point(lon, lat) AS geom FROM point_frame"
        ),
    )
    plan = con.execute("EXPLAIN SELECT g.ord FROM p JOIN g ON ST_Covers(g.geom, p.geom)").fetchall()
    rows = meter(
        "join (ST_Covers) + GROUP BY",
        lambda: con.execute(
            "SELECT g.ord, p.month, p.cat, count(*) FROM p JOIN g ON ST_Covers(g.geom, p.geom) "
            "GROUP BY ALL"
        ).fetchnumpy(),
    )
    cols = list(rows)
    dense = dense_counts(
        rows[cols[0]].astype(np.int64),
        rows[cols[1]].astype(np.int64),
        rows[cols[2]].astype(np.int64),
        rows[cols[3]].astype(np.int64),
        len(grids),
    )
    np.save(work / "counts_duckdb.npy", dense)
    text = " ".join(str(r) for r in plan)
    return {
        "groups": len(rows[cols[0]]),
        "counted": int(dense.sum()),
        "spatial_join_operator": "SPATIAL_JOIN" in text,
        "duckdb": duckdb.__version__,
        "extension": "duckdb-extension-spatial wheel (signed build)" if ext else "local",
    }


def step_province_sjoin(work: Path, args: argparse.Namespace, meter: Meter) -> dict[str, Any]:  # noqa: ARG001 - every step has this signature
    import geopandas as gpd
    import pandas as pd

    grids = load(work, "grids")
    pts = load_points(work)
    points = meter(
        "points_from_xy",
        lambda: gpd.GeoDataFrame(
            {"month": pts["month"], "cat": pts["cat"]},
            geometry=gpd.points_from_xy(pts["lon"], pts["lat"]),
            crs="EPSG:4326",
        ),
    )

    def join():
        joined = gpd.sjoin(points, grids[["geometry"]], predicate="within", how="inner")
        return joined.groupby(["index_right", "month", "cat"]).size()

    counts = meter("sjoin(within) + groupby", join)
    idx = counts.index
    dense = dense_counts(
        idx.get_level_values(0).to_numpy().astype(np.int64),
        idx.get_level_values(1).to_numpy().astype(np.int64),
        idx.get_level_values(2).to_numpy().astype(np.int64),
        counts.to_numpy(),
        len(grids),
    )
    np.save(work / "counts_sjoin.npy", dense)
    del pd
    return {"groups": len(counts), "counted": int(dense.sum()), "geopandas": gpd.__version__}


PROVINCE_METHODS = {
    "postgis": step_province_postgis,
    "ours": step_province_ours,
    "duckdb": step_province_duckdb,
    "sjoin": step_province_sjoin,
}


def run_province_incidents(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    grids = province_grids(args)
    save(work, "grids", grids)
    grids_s = time.perf_counter() - t0
    sizes = [int(s) for s in str(args.incidents).split(",")]
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    runs = []
    for n in sizes:
        t0 = time.perf_counter()
        np.savez(work / "points.npz", **province_points(n, args.seed, grids))
        gen_s = time.perf_counter() - t0
        print(f"# {n:,} synthetic incidents generated in {gen_s:.1f} s (untimed)", flush=True)
        reps = {}
        for method in methods:
            if method == "postgis" and not args.db:
                reps[method] = {
                    "error": "no database: give --db or set GEOGRID_BENCH_DB / GEOGRID_TEST_DB"
                }
            elif method == "sjoin" and n > args.sjoin_max:
                reps[method] = {
                    "error": f"skipped: more than --sjoin-max {args.sjoin_max:,} points"
                }
            elif method == "duckdb" and not duckdb_ready():
                reps[method] = {"error": duckdb_problem()}
            else:
                reps[method] = run_step(f"province:{method}", work, args)
            print(f"#   {n:,} {method}: {json.dumps(reps[method])[:600]}", flush=True)
        ours_path = work / "counts_ours.npy"
        ours = np.load(ours_path) if ours_path.exists() else None
        for method, rep in reps.items():
            path = work / f"counts_{method}.npy"
            if "error" in rep or ours is None or not path.exists():
                continue
            theirs = np.load(path)
            rep["cells_equal"] = float((theirs == ours).mean())
            rep["abs_diff"] = int(np.abs(theirs - ours).sum())
            path.unlink()
        ours_path.unlink(missing_ok=True)
        runs.append({"incidents": n, "generate_s": gen_s, "methods": reps})
    print()
    print(machine_line(load_before))
    print(
        f"SYNTHETIC province (seeded): {len(grids):,} grid polygons (made in {grids_s:.1f} "
        "s), incidents "
        f"over 12 months in 7 categories; every method from the same arrays, in its own process"
    )
    print()
    print(
        "| incidents | method | phases (s) | total s | vs ours | peak RSS MiB | cells equal "
        "to ours | points differing |"
    )
    print("|---:|---|---|---:|---:|---:|---:|---:|")
    for run in runs:
        ours_rep = run["methods"].get("ours", {})
        ours_total = (
            sum(p["s"] for p in ours_rep.get("phases", {}).values())
            if "phases" in ours_rep
            else None
        )
        for method, rep in run["methods"].items():
            if "error" in rep:
                print(
                    f"| {run['incidents']:,} | {method} | "
                    f"{rep['error'].splitlines()[-1][:160]} | - | - | - | - | - |"
                )
                continue
            phases = rep["phases"]
            total = sum(p["s"] for p in phases.values())
            peak = max(p["peak_mib"] for p in phases.values())
            ratio = f"{total / ours_total:.1f}x" if ours_total else "-"
            desc = "; ".join(f"{k} {p['s']:.1f}" for k, p in phases.items())
            print(
                f"| {run['incidents']:,} | {method} | {desc} | {total:.1f} | {ratio} | "
                f"{peak:,.0f} | "
                f"{rep.get('cells_equal', float('nan')):.2%} | {rep.get('abs_diff', '-')} |"
            )
    for run in runs:
        rep = run["methods"].get("postgis", {})
        if "phases" in rep:
            total = sum(p["s"] for p in rep["phases"].values())
            print(
                f"\nPostGIS, {run['incidents']:,} incidents to monthly grid counts: {total:.1f} s "
                "(goal for 10 M: under 60 s); parallel plan for the assignment: "
                f"{rep['result']['parallel_plan']}; "
                f"settings {rep['result']['settings']}"
            )
            kept = rep["result"].get("store") or {}
            if kept:
                print(
                    f"  + kept in the store's incidents table (4 indexes): insert "
                    f"{kept['insert_s']:.1f} s ({kept['inserted']:,} rows), monthly counts there "
                    f"{kept['counts_s']:.1f} s (equal to the staged counts: "
                    f"{kept['counts_equal_staged']})"
                    + (
                        f"; full re-assignment (the store's UPDATE, a new grid version) "
                        f"{kept['reassign_s']:.1f} s, {kept['reassign_changed_rows']} rows changed"
                        if "reassign_s" in kept
                        else ""
                    )
                )
    return {"grids": len(grids), "grids_s": grids_s, "runs": runs}


def duckdb_problem() -> str:
    try:
        import duckdb
    except ImportError:
        return "skipped: duckdb is not installed (pip install duckdb)"
    if spatial_extension() is not None:
        return ""
    con = duckdb.connect()
    try:
        con.execute("LOAD spatial")
    except Exception as err:
        return (
            "skipped: DuckDB's spatial extension is not available offline "
            f"(pip install duckdb-extension-spatial=={duckdb.__version__}): "
            f"{str(err).splitlines()[0]}"
        )
    return ""


def duckdb_ready() -> bool:
    return duckdb_problem() == ""


# ------------------------------------------------------------------ province plans


def province_plans_setup(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """19 district copies of seeded teams and stops, grouped by community, each group compiled
    and pickled (``groups/gNNNN.pkl``)."""
    import shapely

    from geogrid.network import StreetNetwork
    from geogrid.planning.areas import locate_stops
    from geogrid.planning.district import compile_groups, group_district
    from geogrid.planning.problem import Stop

    side = max(2, round(math.sqrt(args.units)))
    nodes, edges, crs = synthetic_street_grid(side + 1, seed=1, spacing_m=80.0)
    network = StreetNetwork.from_frames(nodes, edges, crs)
    node_xy = shapely.get_coordinates(nodes.geometry.to_numpy())
    per_district = args.teams
    n_districts = math.ceil(args.province_teams / per_district)
    folder = work / "groups"
    folder.mkdir(exist_ok=True)
    paths, n_stops, n_teams = [], 0, 0
    compile_s = 0.0
    for d in range(n_districts):
        rng = np.random.default_rng(1000 + d)
        teams_here = min(per_district, args.province_teams - d * per_district)
        communities = square_communities(
            district_bounds_m(side), COMMUNITY_SIDE, f"{d + 1:03d}108001"
        )
        teams = district_teams(nodes, communities, teams_here, rng, prefix=f"d{d + 1:02d}")
        picks = rng.choice(len(node_xy), size=10 * teams_here, replace=False)
        stops = [
            Stop(
                f"d{d + 1:02d}-s{k:04d}",
                prize=10 * int(rng.integers(1, 6)),
                dwell_s=720,
                point=(float(node_xy[p, 0]), float(node_xy[p, 1])),
            )
            for k, p in enumerate(picks)
        ]
        stops = locate_stops(stops, communities)
        groups = group_district(teams, stops, team_areas="strict")
        t0 = time.perf_counter()
        problems = compile_groups(network, teams, stops, groups, team_areas="strict")
        compile_s += time.perf_counter() - t0
        for problem in problems:
            if problem is None:
                continue
            path = folder / f"g{len(paths):04d}.pkl"
            with path.open("wb") as out:
                pickle.dump(problem, out, protocol=pickle.HIGHEST_PROTOCOL)
            paths.append(str(path))
            n_stops += problem.n_stops
            n_teams += len(problem.teams)
    return {
        "districts": n_districts,
        "teams": n_teams,
        "stops": n_stops,
        "groups": len(paths),
        "compile_s": compile_s,
        "paths": paths,
    }


def start_celery_worker(
    args: argparse.Namespace, workers: int, log_dir: Path
) -> tuple[subprocess.Popen[bytes], str]:
    """A Celery worker with ``workers`` pool processes on a queue of its own, once it is ready."""
    queue = f"bench-scale-{workers}-{uuid.uuid4().hex[:8]}"
    log = log_dir / f"celery-{workers}.log"
    env = {
        **os.environ,
        "GEOGRID_BROKER_URL": args.redis,
        "GEOGRID_JOB_QUEUE": queue,
        "GEOGRID_NUMBA_CACHE_DIR": str(Path(tempfile.gettempdir()) / "geogrid-bench-numba"),
        "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT)]),
    }
    celery = Path(sys.executable).with_name("celery")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                str(celery),
                "-A",
                "geogrid.jobs.celery",
                "worker",
                "--pool=prefork",
                f"--concurrency={workers}",
                "--include",
                "_scale_tasks",
                "--loglevel=INFO",
                "-n",
                f"{queue}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.time() + 90
    while "ready." not in log.read_text(errors="replace"):
        if proc.poll() is not None or time.time() > deadline:
            stop_worker(proc)
            raise RuntimeError(
                f"the Celery worker did not start: {log.read_text(errors='replace')[-800:]}"
            )
        time.sleep(0.1)
    return proc, queue


def process_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a running process has used so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop_worker(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(10)


def celery_throughput(
    args: argparse.Namespace, paths: list[str], log_dir: Path
) -> list[dict[str, Any]]:
    """All groups as the parts of jobs on two Celery workers, one with 1 and one with 2 pool
    processes, both started (and warmed up: 2 parts per process) before the clock. The groups
    are cut into ``--rounds`` slices; each slice runs on one worker, then on the other (the
    order alternating by round), one job at a time, so that a change in what others run on
    the machine falls on both alike. Wall = submit to done (``CeleryRunner.wait``) summed over
    the slices; the idle worker waits on its queue meanwhile."""
    import _scale_tasks

    from geogrid.jobs.celery import CeleryRunner

    part = [args.plan_budget, args.solutions, 1]
    started: dict[int, tuple[subprocess.Popen[bytes], str]] = {}
    try:
        for workers in (1, 2):
            started[workers] = start_celery_worker(args, workers, log_dir)
        runners = {w: CeleryRunner(args.redis, queue=q) for w, (_, q) in started.items()}
        for workers, runner in runners.items():
            warm = runner.submit_group(
                "bench-scale",
                "bench",
                _scale_tasks.plan_group,
                [[paths[i % len(paths)], *part] for i in range(2 * workers)],
            )
            runner.wait(warm.id, timeout_s=300)
        walls = {1: 0.0, 2: 0.0}
        waiting_cpu = {1: 0.0, 2: 0.0}
        worker_main_cpu = {1: 0.0, 2: 0.0}
        results: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
        slices: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
        chunks = [list(c) for c in np.array_split(np.array(paths), args.rounds) if len(c)]
        for r, chunk in enumerate(chunks):
            for workers in (1, 2) if r % 2 == 0 else (2, 1):
                load = os.getloadavg()[0]
                main_cpu = process_cpu_s(started[workers][0].pid)
                t0, c0 = time.perf_counter(), time.process_time()
                job = runners[workers].submit_group(
                    "bench-scale", "bench", _scale_tasks.plan_group, [[p, *part] for p in chunk]
                )
                done = runners[workers].wait(job.id, timeout_s=3600)
                wall = time.perf_counter() - t0
                waiting_cpu[workers] += time.process_time() - c0
                worker_main_cpu[workers] += process_cpu_s(started[workers][0].pid) - main_cpu
                if done.state != "done":
                    raise RuntimeError(f"job {done.state}: {done.error}")
                walls[workers] += wall
                results[workers].extend(done.result)
                slices[workers].append(
                    {
                        "round": r,
                        "groups": len(chunk),
                        "wall_s": wall,
                        "load_1min_before": load,
                        "load_1min_after": os.getloadavg()[0],
                    }
                )
                print(
                    f"#   round {r}: {len(chunk)} groups on {workers} process(es) in "
                    f"{wall:.1f} s (load {load:.2f} -> {os.getloadavg()[0]:.2f})",
                    flush=True,
                )
    finally:
        for proc, _ in started.values():
            stop_worker(proc)
    reps = []
    for workers in (1, 2):
        rep = summarize_results(results[workers], walls[workers], workers, "celery")
        rep["slices"] = slices[workers]
        rep["waiting_cpu_s"] = waiting_cpu[workers]
        rep["worker_main_cpu_s"] = worker_main_cpu[workers]
        reps.append(rep)
    return reps


def pool_throughput(args: argparse.Namespace, paths: list[str], workers: int) -> dict[str, Any]:
    """All groups over a forkserver pool of ``workers`` processes (the same function)."""
    from concurrent.futures import ProcessPoolExecutor

    import _scale_tasks

    from geogrid.planning.district import pool_context

    part = (args.plan_budget, args.solutions, 1)
    with ProcessPoolExecutor(max_workers=workers, mp_context=pool_context()) as pool:
        list(
            pool.map(
                _scale_tasks.solve_group_file,
                [paths[i % len(paths)] for i in range(2 * workers)],
                *[[v] * (2 * workers) for v in part],
            )
        )
        t0 = time.perf_counter()
        results = list(
            pool.map(_scale_tasks.solve_group_file, paths, *[[v] * len(paths) for v in part])
        )
        wall = time.perf_counter() - t0
    return summarize_results(results, wall, workers, "forkserver pool")


def summarize_results(
    results: list[dict[str, Any]], wall: float, workers: int, how: str
) -> dict[str, Any]:
    return {
        "runner": how,
        "workers": workers,
        "wall_s": wall,
        "groups": len(results),
        "groups_per_s": len(results) / wall,
        "solve_s_sum": sum(r["s"] for r in results),
        "solve_cpu_s_sum": sum(r.get("cpu_s", float("nan")) for r in results),
        "prize": sum(r["prize"] for r in results),
        "visited": sum(r["visited"] for r in results),
        "processes": len({r["pid"] for r in results}),
    }


def run_province_plans(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    setup = province_plans_setup(args, work)
    setup_s = time.perf_counter() - t0
    paths = setup.pop("paths")
    print(f"# province plans setup: {setup} in {setup_s:.1f} s", flush=True)
    runs: list[dict[str, Any]] = []
    if args.plan_runner == "celery":
        try:
            runs = celery_throughput(args, paths, work)
        except Exception as err:
            print(f"# Celery run failed ({err}); falling back to a forkserver pool", flush=True)
    if not runs:
        runs = [pool_throughput(args, paths, workers) for workers in (1, 2)]
    for rep in runs:
        print(f"#   {json.dumps({k: v for k, v in rep.items() if k != 'slices'})}", flush=True)
    print()
    print(machine_line(load_before))
    print(
        f"SYNTHETIC province plans (seeded): {setup['teams']:,} teams in "
        f"{setup['districts']} district copies, "
        f"{setup['stops']:,} stops, {setup['groups']} groups (one per community), compiled in "
        f"{setup['compile_s']:.1f} s (one process, not in the throughput); each group solved with "
        f"OR-Tools greedy descent (solution_limit={args.solutions}), no polish, time cap "
        f"{args.plan_budget:g} s"
    )
    print()
    print(
        "| runner | worker processes | groups | wall s | groups/s | speed-up | solve s "
        "summed | solve CPU s summed | waiting CPU s | worker main CPU s | prize | stops visited |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    base = runs[0]["groups_per_s"]
    for r in runs:
        print(
            f"| {r['runner']} | {r['workers']} | {r['groups']} | {r['wall_s']:.1f} | "
            f"{r['groups_per_s']:.2f} | "
            f"{r['groups_per_s'] / base:.2f}x | {r['solve_s_sum']:.1f} | "
            f"{r['solve_cpu_s_sum']:.1f} | {r.get('waiting_cpu_s', float('nan')):.1f} | "
            f"{r.get('worker_main_cpu_s', float('nan')):.1f} | {r['prize']:,} | "
            f"{r['visited']:,} |"
        )
    two = runs[-1]
    print()
    print(
        "Goal: throughput 1 -> 2 worker processes at least 1.8x: "
        f"{two['groups_per_s'] / base:.2f}x -> "
        f"{'met' if two['groups_per_s'] / base >= 1.8 else 'NOT met'}"
    )
    print(
        f"PROJECTION (not measured): wall time of the {setup['teams']:,}-team night on N machines "
        "like this one, "
        "2 worker processes each, if throughput adds up linearly and the broker keeps up:"
    )
    projection = {}
    for machines in (1, 2, 4, 8, 16):
        projection[machines] = setup["groups"] / (two["groups_per_s"] * machines)
        print(
            f"  N = {machines}: {projection[machines]:.0f} s solving (+ compile "
            f"{setup['compile_s'] / machines:.0f} s "
            "if the parts also compiled their own groups)"
        )
    return {"setup": setup, "setup_s": setup_s, "runs": runs, "projection_s": projection}


# ------------------------------------------------------------------ main


STEPS: dict[str, Callable[[Path, argparse.Namespace, Meter], dict[str, Any]]] = {
    **{f"district:{k}": v for k, v in DISTRICT_STEPS.items()},
    **{f"province:{k}": v for k, v in PROVINCE_METHODS.items()},
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only",
        choices=SCENARIOS,
        action="append",
        help="run only this scenario (repeatable); default all three",
    )
    parser.add_argument(
        "--incidents", default="10000000", help="province incidents, N or N1,N2,..."
    )
    parser.add_argument("--methods", default="postgis,ours,duckdb,sjoin")
    parser.add_argument(
        "--sjoin-max", type=int, default=10_000_000, help="largest N for geopandas.sjoin"
    )
    parser.add_argument("--units", type=int, default=13_000)
    parser.add_argument("--district-incidents", type=int, default=200_000)
    parser.add_argument("--teams", type=int, default=107, help="teams of the district")
    parser.add_argument(
        "--plan-time", type=float, default=60.0, help="district night search time, s"
    )
    parser.add_argument("--workers", type=int, default=2, help="processes of the district night")
    parser.add_argument("--grids", type=int, default=20_000, help="province grid polygons")
    parser.add_argument("--province-teams", type=int, default=2000)
    parser.add_argument(
        "--solutions", type=int, default=200, help="OR-Tools solution limit per group"
    )
    parser.add_argument("--plan-budget", type=float, default=60.0, help="time cap per group, s")
    parser.add_argument("--plan-runner", choices=("celery", "pool"), default="celery")
    parser.add_argument(
        "--store-insert-max",
        type=int,
        default=0,
        help="PostGIS: up to this many incidents, also move the rows into the store's "
        "incidents table and count there",
    )
    parser.add_argument(
        "--reassign",
        action="store_true",
        help="PostGIS, with the insert: also time a full re-assignment (the store's UPDATE)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=4,
        help="slices of the groups, run on 1 and 2 processes in turn",
    )
    parser.add_argument(
        "--db", default=os.environ.get("GEOGRID_BENCH_DB") or os.environ.get("GEOGRID_TEST_DB")
    )
    parser.add_argument(
        "--redis", default=os.environ.get("GEOGRID_BENCH_REDIS", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json-dir", type=Path, default=HERE)
    parser.add_argument(
        "--keep", action="store_true", help="keep the work folder and database tables"
    )
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.step:  # one step in this fresh process
        meter = Meter()
        result = STEPS[args.step](args.work, args, meter)
        print(
            json.dumps(
                {"phases": meter.phases, "result": result, "final_peak_mib": maxrss_mib()},
                default=str,
            )
        )
        return 0

    scenarios = args.only or list(SCENARIOS)
    for scenario in scenarios:
        work = Path(tempfile.mkdtemp(prefix=f"geogrid-scale-{scenario}-"))
        try:
            started = dt.datetime.now(dt.UTC)
            print(f"## {scenario} ({started:%Y-%m-%dT%H:%MZ}); work folder {work}", flush=True)
            run = {
                "district": run_district,
                "province-incidents": run_province_incidents,
                "province-plans": run_province_plans,
            }[scenario]
            report = run(args, work)
            report.update(
                {
                    "scenario": scenario,
                    "started": started.isoformat(timespec="seconds"),
                    "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    "load_average_after": os.getloadavg(),
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "synthetic": True,
                    "args": {k: str(v) for k, v in vars(args).items() if k not in ("step", "work")},
                }
            )
            out = args.json_dir / f"scale-{scenario}.json"
            out.write_text(json.dumps(report, indent=1, default=str) + "\n", encoding="utf-8")
            print(f"\n# wrote {out}\n", flush=True)
        finally:
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
