"""Benchmark: patrol plans on real streets (Helsinki demo, Beijing Haidian extract).

Usage::

    python benchmarks/patrol_streets.py [--time 10] [--out DIR]

For each area: three teams, the stops of ``data/config/patrol.example.toml``
(schools for the morning team, markets, stations, police) plus hot spots.
Hot spots: the 12 hottest Gi* cells of the area's incidents
(``geogrid.services.patrol.area_hotspots`` -> ``geogrid.incidents.rank_hotspots``).
Haidian has no incidents or teams in its workspace: it gets seeded synthetic incidents and teams
(``geogrid.synthetic``), labelled as such. Every plan is checked by
``check_plan``. The demo's route sheets and GPX files go to ``--out``.
Reads ``../shared/data/osm_china/beijing_haidian_cau/map.osm`` when present.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geogrid.io.plans import write_plan
from geogrid.io.workspace import read_area
from geogrid.network import StreetNetwork
from geogrid.planning.plan import check_plan, plan_frames
from geogrid.planning.problem import build_problem, teams_from_frame
from geogrid.planning.solve import solve_patrol
from geogrid.printing.sheets import render_route_sheets
from geogrid.services.demo import ensure_demo
from geogrid.services.patrol import area_hotspots, area_stops, read_patrol_config
from geogrid.synthetic import generate_incidents, generate_teams

ROOT = Path(__file__).resolve().parents[1]
HAIDIAN = ROOT.parent / "shared" / "data" / "osm_china" / "beijing_haidian_cau" / "map.osm"
CONFIG = ROOT / "data" / "config" / "patrol.example.toml"


def haidian_area(tmp: Path) -> Path | None:
    if not HAIDIAN.exists():
        return None
    out = tmp / "haidian"
    subprocess.run(
        [sys.executable, "-m", "geogrid.cli", "area", "build", str(HAIDIAN), "--out", str(out),
         "--admin-code", "110108", "--bbox", "116.34403,39.99767,116.35974,40.00888"],
        check=True, capture_output=True,
    )  # fmt: skip
    return out


def run_area(label: str, folder: Path, time_s: float, out: Path | None) -> list[str]:
    area = read_area(folder)
    assert area.nodes is not None and area.edges is not None
    config = read_patrol_config(CONFIG)
    t0 = time.perf_counter()
    network = StreetNetwork.from_frames(area.nodes, area.edges, area.metric_crs)
    incidents = area.incidents
    teams_frame = area.teams
    synthetic = ""
    if incidents is None or not len(incidents):
        places = pd.concat(list(area.layers.values()), ignore_index=True)
        places = gpd.GeoDataFrame(places, crs="EPSG:4326")
        incidents = generate_incidents(area.edges, places, area.metric_crs, count=1500, seed=7)
        synthetic = " (synthetic incidents"
        area.incidents = incidents
    if teams_frame is None or not len(teams_frame):
        bases = pd.concat([area.layers.get("police", area.layers["schools"])]).copy()
        bases["geometry"] = bases.geometry.representative_point()
        teams_frame = generate_teams(bases.reset_index(drop=True), count=3, seed=7)
        synthetic += " and teams" if synthetic else " (synthetic teams"
    synthetic += ")" if synthetic else ""
    spots = area_hotspots(area, top=12) if incidents is not None and len(incidents) else None
    stops = area_stops(area, config, spots)
    teams = teams_from_frame(teams_frame)
    problem = build_problem(network, teams, stops)
    build_s = time.perf_counter() - t0
    plan = solve_patrol(problem, time_limit_s=time_s, seed=1)
    problems = check_plan(problem, plan)
    rows = [
        f"| {label}{synthetic} | {len(teams)} | {problem.n_stops}"
        f" | {sum(s.prize for s in problem.stops)} | {plan.prize} | {len(plan.visited())}"
        f" | {sum(r.metres for r in plan.routes) / 1000:.1f} | "
        f"{build_s:.1f} | {plan.solve_s:.1f} | {'ok' if not problems else len(problems)} |"
    ]
    detail = []
    for r in plan.routes:
        team = problem.teams[r.team]
        names = ", ".join(problem.stops[v.stop].name for v in r.visits[:6]) + (
            " ..." if len(r.visits) > 6 else ""
        )
        detail.append(
            f"  {label} {team.id} ({team.mode},"
            f" {team.shift_start_s // 3600:02d}:{team.shift_start_s % 3600 // 60:02d}): "
            f"{len(r.visits)} stops, prize {sum(problem.stops[v.stop].prize for v in r.visits)}, "
            f"{r.total_s // 60} min, {r.metres / 1000:.2f} km: {names}"
        )
    if out is not None:
        visits, routes = plan_frames(problem, plan, network)
        pdf = render_route_sheets(problem, plan, routes, area.edges, area.metric_crs)
        write_plan(
            out / label.split(maxsplit=1)[0].lower(), visits, routes, pdf, {"prize": plan.prize}
        )
    return rows + detail


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--time", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=None, help="write plans and route sheets here")
    args = parser.parse_args()
    print(
        f"# patrol on real streets, {dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%MZ}, {args.time:g} s,"
        f" load {os.getloadavg()[0]:.1f}"
    )
    header = [
        "| area | teams | stops | prize available | prize collected | visited | km"
        " | build s | solve s | check_plan |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    lines: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        demo = ensure_demo(Path(tmp) / "helsinki-demo")
        lines += run_area("Helsinki demo", demo, args.time, args.out)
        haidian = haidian_area(Path(tmp))
        if haidian is None:
            lines.append(f"  Haidian skipped: {HAIDIAN} is absent")
        else:
            lines += run_area("Haidian", haidian, args.time, args.out)
    print("\n".join(header + [ln for ln in lines if ln.startswith("|")]))
    print("\n".join(ln for ln in lines if not ln.startswith("|")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
