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

PyVRP gets the same problem in the same run and the same time (``--no-pyvrp`` to skip),
built from the numbers our solvers see (``geogrid.planning.solve.routing_arrays``): the
same stops, prizes (x 10^6), windows, dwell, required stops, capacities, team bases and
shifts; one PyVRP profile per team (its own mode's matrix, and a stop the team may not
serve made unreachable for it: edges of 10^9 s). PyVRP cannot model a revisit gap: a
revisit is a separate client at the same place with the gap dropped, and when PyVRP's
plan breaks a gap, revisits are taken out of it one by one (the fewest needed, latest
first) until it fits; the table says how many. A second row per area takes the revisits
out of the problem for both (the variant PyVRP models exactly). PyVRP's routes are
re-scheduled by ``schedule_orders`` and judged by ``check_plan`` like ours.
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
from _common import warm_up_searches_untimed

from geogrid.io.plans import write_plan
from geogrid.io.workspace import read_area
from geogrid.network import StreetNetwork
from geogrid.planning.plan import check_plan, plan_frames
from geogrid.planning.problem import PatrolProblem, build_problem, teams_from_frame
from geogrid.planning.solve import routing_arrays, solve_patrol
from geogrid.planning.solvers.prize_tw import warm_up
from geogrid.printing.sheets import render_route_sheets
from geogrid.services.demo import ensure_demo
from geogrid.services.patrol import area_hotspots, area_stops, read_patrol_config
from geogrid.synthetic import generate_incidents, generate_teams

ROOT = Path(__file__).resolve().parents[1]
UNREACHABLE_S = 10**9
"""PyVRP edge duration to and from a stop the team may not serve."""
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


def solve_pyvrp(problem: PatrolProblem, time_s: float, seed: int) -> tuple[int, str]:
    """PyVRP's prize on the same problem (see the module) and its check: "ok", "ok, n
    revisits dropped to keep their gaps", or what breaks."""
    from patrol_toptw import plan_of_orders
    from pyvrp import Model
    from pyvrp.stop import MaxRuntime

    arrays = routing_arrays(problem)
    n = arrays.n_nodes
    stops = list(range(problem.n_stops))  # nodes 0..n_stops-1 are the stops
    bases = sorted(set(arrays.starts) | set(arrays.ends))
    model = Model()
    locs = [model.add_location(x=0, y=0) for _ in range(n)]
    depot = {b: model.add_depot(locs[b]) for b in bases}
    capacity = arrays.capacity is not None
    profiles = [model.add_profile() for _ in range(arrays.n_vehicles)]
    for v, prof in enumerate(profiles):
        lo, hi = arrays.shifts[v]
        model.add_vehicle_type(
            num_available=1,
            capacity=int(arrays.capacity[v]) if capacity else 0,
            start_depot=depot[arrays.starts[v]],
            end_depot=depot[arrays.ends[v]],
            tw_early=lo,
            tw_late=hi,
            profile=prof,
        )
    for i in stops:
        w = arrays.windows[i]
        model.add_client(
            locs[i],
            delivery=int(arrays.demand[i]) if capacity and arrays.demand is not None else 0,
            service_duration=int(arrays.service[i]),
            tw_early=w[0] if w is not None else 0,
            tw_late=w[1] if w is not None else max(hi for _, hi in arrays.shifts),
            prize=int(arrays.prizes[i]) * 10**6,
            required=arrays.penalties[i] is None,
        )
    for v, prof in enumerate(profiles):
        m = arrays.travel[arrays.vehicle_matrix[v]]
        ok = arrays.allowed
        barred = {i for i in stops if ok is not None and ok[i] is not None and v not in ok[i]}
        for a in range(n):
            for b in range(n):
                d = UNREACHABLE_S if a in barred or b in barred else int(m[a, b])
                model.add_edge(locs[a], locs[b], distance=d, duration=d, profile=prof)
    res = model.solve(stop=MaxRuntime(time_s), seed=seed, display=False)
    if not res.is_feasible():
        return 0, "infeasible"
    orders: list[list[int]] = [[] for _ in range(arrays.n_vehicles)]
    for r in res.best.routes():  # a client activity's idx counts clients: client c = stop c
        orders[r.vehicle_type()] = [int(a.idx) for a in r if a.is_client()]
    dropped = 0
    while True:
        plan = plan_of_orders(problem, orders)
        bad = ["routes break a window, the shift or a gap"] if plan is None else None
        if plan is not None:
            bad = check_plan(problem, plan)
            if not bad:
                note = "ok" if not dropped else f"ok, {dropped} revisits dropped to keep gaps"
                return plan.prize, note
        again = [
            (t, k)
            for t, o in enumerate(orders)
            for k, i in enumerate(o)
            if problem.stops[i].revisit_of is not None
        ]
        if not again:
            return 0, bad[0] if bad else "?"
        t, k = max(again, key=lambda tk: (tk[1], tk[0]))
        del orders[t][k]
        dropped += 1


def without_revisits(problem: PatrolProblem) -> PatrolProblem:
    """The same problem with every revisit stop taken out (what PyVRP models exactly)."""
    keep = [i for i, s in enumerate(problem.stops) if s.revisit_of is None]
    locs = [*keep, *range(problem.n_stops, problem.n_locations)]
    index = {loc: j for j, loc in enumerate(locs)}
    return PatrolProblem(
        teams=problem.teams,
        stops=tuple(problem.stops[i] for i in keep),
        travel_s=problem.travel_s[:, locs][:, :, locs].copy(),
        metres=problem.metres[:, locs][:, :, locs].copy(),
        matrix_of_team=problem.matrix_of_team,
        start_loc=tuple(index[x] for x in problem.start_loc),
        end_loc=tuple(index[x] for x in problem.end_loc),
        metric_crs=problem.metric_crs,
        team_areas=problem.team_areas,
    )


def run_area(
    label: str, folder: Path, time_s: float, out: Path | None, pyvrp: bool = True
) -> list[str]:
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
    peer, peer_check = solve_pyvrp(problem, time_s, 1) if pyvrp else (None, "-")
    rows = [
        f"| {label}{synthetic} | {len(teams)} | {problem.n_stops}"
        f" | {sum(s.prize for s in problem.stops)} | {plan.prize} | {len(plan.visited())}"
        f" | {sum(r.metres for r in plan.routes) / 1000:.1f} | "
        f"{build_s:.1f} | {plan.solve_s:.1f} | {'ok' if not problems else len(problems)}"
        f" | {'' if peer is None else peer} | {peer_check}"
        f" | {'' if peer is None else f'{plan.prize - peer:+d}'} |"
    ]
    if pyvrp and any(s.revisit_of is not None for s in problem.stops):
        # the variant both model exactly: no revisits
        plain = without_revisits(problem)
        ours2 = solve_patrol(plain, time_limit_s=time_s, seed=1)
        bad2 = check_plan(plain, ours2)
        peer2, check2 = solve_pyvrp(plain, time_s, 1)
        rows.append(
            f"| {label}{synthetic}, revisits taken out | {len(teams)} | {plain.n_stops}"
            f" | {sum(s.prize for s in plain.stops)} | {ours2.prize} | {len(ours2.visited())}"
            f" | {sum(r.metres for r in ours2.routes) / 1000:.1f} | | {ours2.solve_s:.1f}"
            f" | {'ok' if not bad2 else len(bad2)} | {peer2} | {check2}"
            f" | {ours2.prize - peer2:+d} |"
        )
    rev = sum(s.revisit_of is not None for s in problem.stops)
    modes = len(set(problem.matrix_of_team))
    masked = sum(s.teams is not None for s in problem.stops)
    windows = sum(s.window_s is not None for s in problem.stops)
    detail = [
        f"  {label}: {windows} stops with windows, {rev} revisits, {masked} team-restricted,"
        f" {modes} travel modes, {sum(s.required for s in problem.stops)} required"
    ]
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
    parser.add_argument("--no-pyvrp", action="store_true", help="ours only")
    args = parser.parse_args()
    warm_up_searches_untimed()
    warm_up()
    print(
        f"# patrol on real streets, {dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%MZ}, {args.time:g} s,"
        f" load {os.getloadavg()[0]:.1f}"
    )
    header = [
        "| area | teams | stops | prize available | prize collected | visited | km"
        " | build s | solve s | check_plan | PyVRP prize | PyVRP check | ours - PyVRP |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|---:|",
    ]
    lines: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        demo = ensure_demo(Path(tmp) / "helsinki-demo")
        lines += run_area("Helsinki demo", demo, args.time, args.out, not args.no_pyvrp)
        haidian = haidian_area(Path(tmp))
        if haidian is None:
            lines.append(f"  Haidian skipped: {HAIDIAN} is absent")
        else:
            lines += run_area("Haidian", haidian, args.time, args.out, not args.no_pyvrp)
    print("\n".join(header + [ln for ln in lines if ln.startswith("|")]))
    print("\n".join(ln for ln in lines if not ln.startswith("|")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
