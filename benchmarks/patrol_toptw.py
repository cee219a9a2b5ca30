"""Benchmark: team orienteering with time windows (TOPTW on Solomon), ours vs PyVRP.

Usage::

    python benchmarks/patrol_toptw.py [--time 10] [--seed 1] [--teams 1,2]
        [--instances C101,R101,...] [--families c1,r1,rc1] [--rich] [--seeds 1,2,3]

TOPTW instances are built the standard way (Righini & Salani 2009; Montemanni &
Gambardella 2009; Vansteenwegen et al. 2009): a Solomon 100-customer VRPTW
instance, profit = demand, service times and windows as in the file, Tmax = the
depot's due time, m teams (no capacity). Each becomes a
:class:`geogrid.planning.problem.PatrolProblem` (every stop optional with its
window and dwell, every team leaves the depot at its ready time and is back by
its due time) solved by :func:`geogrid.planning.solve.solve_patrol`. Travel
times are Euclidean distances x 1000 rounded UP (as ``patrol_top.py`` does), so a
plan that fits our integers fits the real-valued instance too; PyVRP (optional
clients with prizes, windows and service durations, one vehicle type with the
depot's window) gets the same integer matrix and the same time budget, and its
routes are re-scheduled and judged by :func:`geogrid.planning.plan.check_plan`
like ours.

The reference column is the best score seen in any of our or PyVRP's runs of
this script ("best seen here", kept in ``--best`` between runs), not a published
best known: published TOPTW tables use unrounded distances, which admit plans our
rounded-up integers do not.

``--rich`` adds variants built from the same instances that only we model (the
label says so): every second customer in half of them has a revisit 60 time units
after its first pass (same prize), odd teams travel 1.5x slower (a second
matrix, e.g. walking vs e-bike) and customers with x > 50 may only be served by
even teams.

Reads ``../shared/data/benchmarks/solomon_vrptw``; skips with a reason when absent.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
from _common import warm_up_searches_untimed

from geogrid.planning.plan import PatrolPlan, check_plan, schedule_route
from geogrid.planning.problem import PatrolProblem, Stop, Team, fair_shares
from geogrid.planning.solve import solve_patrol
from geogrid.planning.solvers.prize_tw import warm_up
from geogrid.planning.workload import schedule_orders

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "benchmarks" / "solomon_vrptw"
SCALE = 1000
FAMILIES = ("c1", "r1", "rc1")
"""The declared default set, chosen before running: every c1, r1 and rc1 instance."""


def read_solomon(name: str) -> np.ndarray:
    """rows[x, y, demand, ready, due, service] with the depot first."""
    lines = (DATA / f"{name}.txt").read_text().split("\n")
    return np.array([[float(v) for v in ln.split()] for ln in lines[9:] if ln.strip()])[:, 1:7]


def integer_matrix(xy: np.ndarray) -> np.ndarray:
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    return np.ceil(d * SCALE - 1e-9).astype(np.int64)


def toptw_problem(rows: np.ndarray, m: int, *, rich: bool = False) -> PatrolProblem:
    """The TOPTW instance as a patrol problem (stops first, the depot last); ``rich``:
    revisits, a slower second mode for odd teams and team areas (see the module)."""
    n = len(rows) - 1
    order = [*range(1, n + 1), 0]
    travel = integer_matrix(rows[:, :2])[np.ix_(order, order)]
    lo, hi = int(rows[0, 3] * SCALE), int(rows[0, 4] * SCALE)
    teams = [
        Team(f"v{k}", shift_start_s=lo, shift_end_s=hi, mode="walk" if rich and k % 2 else "bike")
        for k in range(m)
    ]
    stops = []
    for i in range(1, n + 1):
        east = rich and rows[i, 0] > 50 and m > 1
        stops.append(
            Stop(
                f"c{i}",
                prize=int(rows[i, 2]),
                window_s=(int(rows[i, 3] * SCALE), int(rows[i, 4] * SCALE)),
                dwell_s=int(rows[i, 5] * SCALE),
                teams=frozenset(t.id for k, t in enumerate(teams) if k % 2 == 0) if east else None,
            )
        )
    if rich:
        for i in range(1, n + 1, 4):
            stops.append(
                Stop(
                    f"c{i}-again",
                    prize=int(rows[i, 2]),
                    window_s=(int(rows[i, 3] * SCALE), hi),
                    dwell_s=int(rows[i, 5] * SCALE),
                    revisit_of=f"c{i}",
                    min_gap_s=60 * SCALE,
                    teams=stops[i - 1].teams,
                )
            )
        # the revisit stands where its first pass does: extend the matrix
        extra = [i - 1 for i in range(1, n + 1, 4)]
        idx = [*range(n), *extra, n]
        travel = travel[np.ix_(idx, idx)]
        n_stops = len(stops)
        slow = np.ceil(travel * 1.5).astype(np.int64)
        return PatrolProblem.from_matrix(
            teams,
            stops,
            np.stack([travel, slow]),
            start_loc=[n_stops] * m,
            end_loc=[n_stops] * m,
            matrix_of_team=[k % 2 for k in range(m)],
        )
    return PatrolProblem.from_matrix(teams, stops, travel, start_loc=[n] * m, end_loc=[n] * m)


def plan_of_orders(problem: PatrolProblem, orders: list[list[int]]) -> PatrolPlan | None:
    """A plan from visit orders (scheduled the earliest way), or None when they do not fit."""
    starts = schedule_orders(problem, orders)
    if starts is None:
        return None
    routes = tuple(
        schedule_route(problem, t, o, problem.teams[t].shift_start_s, [starts[i] for i in o])
        for t, o in enumerate(orders)
    )
    visited = {i for o in orders for i in o}
    return PatrolPlan(
        routes=routes,
        skipped=tuple(i for i in range(problem.n_stops) if i not in visited),
        prize=sum(problem.stops[i].prize for i in visited),
        seed=0,
        solve_s=0.0,
        fair_share=fair_shares(problem.teams, None),
    )


def solve_ours(problem: PatrolProblem, time_s: float, seed: int) -> tuple[int, float]:
    t0 = time.perf_counter()
    plan = solve_patrol(problem, time_limit_s=time_s, seed=seed)
    wall = time.perf_counter() - t0
    bad = check_plan(problem, plan)
    assert bad == [], bad
    return plan.prize, wall


def solve_pyvrp(
    rows: np.ndarray, m: int, problem: PatrolProblem, time_s: float, seed: int
) -> tuple[int, float, str]:
    """PyVRP's score on the same integer matrix; its routes re-scheduled by us and judged
    by check_plan ("ok" or the first violation)."""
    from pyvrp import Model
    from pyvrp.stop import MaxRuntime

    n = len(rows)
    d = integer_matrix(rows[:, :2])
    model = Model()
    locs = [
        model.add_location(x=int(rows[i, 0] * SCALE), y=int(rows[i, 1] * SCALE)) for i in range(n)
    ]
    lo, hi = int(rows[0, 3] * SCALE), int(rows[0, 4] * SCALE)
    depot = model.add_depot(locs[0], tw_early=lo, tw_late=hi)
    model.add_vehicle_type(
        num_available=m, start_depot=depot, end_depot=depot, tw_early=lo, tw_late=hi
    )
    for i in range(1, n):
        model.add_client(
            locs[i],
            service_duration=int(rows[i, 5] * SCALE),
            tw_early=int(rows[i, 3] * SCALE),
            tw_late=int(rows[i, 4] * SCALE),
            prize=int(rows[i, 2]) * 10**6,
            required=False,
        )
    for a, la in enumerate(locs):
        for b, lb in enumerate(locs):
            model.add_edge(la, lb, distance=int(d[a, b]), duration=int(d[a, b]))
    t0 = time.perf_counter()
    res = model.solve(stop=MaxRuntime(time_s), seed=seed, display=False)
    wall = time.perf_counter() - t0
    if not res.is_feasible():
        return 0, wall, "infeasible"
    # a client activity's idx counts clients only: client c is our stop c
    orders = [[int(a.idx) for a in r if a.is_client()] for r in res.best.routes()]
    orders += [[] for _ in range(m - len(orders))]
    plan = plan_of_orders(problem, orders)
    if plan is None:
        return 0, wall, "routes break a window or the shift"
    bad = check_plan(problem, plan)
    return plan.prize, wall, "ok" if not bad else bad[0]


def seed_sweep(names: list[str], teams: list[int], seeds: list[int], time_s: float) -> int:
    """Each (instance, m) solved by both methods with every seed, in one run: the spread
    a single-seed table cannot show."""
    print(
        f"# TOPTW seed sweep, {dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%MZ}, {time_s:g} s per"
        f" method, seeds {','.join(map(str, seeds))}, {os.cpu_count()} CPUs,"
        f" load {os.getloadavg()[0]:.1f}"
    )
    print("| instance | m | ours per seed | PyVRP per seed | ours mean | PyVRP mean |"
          " seeds ours >= PyVRP |")  # fmt: skip
    print("|---|---:|---|---|---:|---:|---:|")
    for name in names:
        rows = read_solomon(name)
        for m in teams:
            problem = toptw_problem(rows, m)
            ours, peer, bad = [], [], []
            for seed in seeds:
                ours.append(solve_ours(problem, time_s, seed)[0])
                score, _, check = solve_pyvrp(rows, m, problem, time_s, seed)
                peer.append(score if check == "ok" else 0)
                if check != "ok":  # counted as 0, and said why
                    bad.append(f"seed {seed}: PyVRP {check}")
            at_least = sum(o >= p for o, p in zip(ours, peer, strict=True))
            print(
                f"| {name} | {m} | {' '.join(map(str, ours))} | {' '.join(map(str, peer))}"
                f" | {np.mean(ours):.1f} | {np.mean(peer):.1f} | {at_least} of {len(seeds)} |"
                + "".join(f"\n  {b}" for b in bad)
            )
            sys.stdout.flush()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--time", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--teams", default="1,2")
    parser.add_argument("--families", default=",".join(FAMILIES))
    parser.add_argument("--instances", default="", help="instead of --families")
    parser.add_argument("--rich", action="store_true", help="also the variants only we model")
    parser.add_argument("--no-pyvrp", action="store_true")
    parser.add_argument("--best", default="", help="JSON file of the best scores seen here")
    parser.add_argument(
        "--seeds",
        default="",
        help="e.g. 1,2,3,4,5: instead of the table, each run with every seed by both methods"
        " (run-to-run spread: scores per seed, means, seeds where ours is at least PyVRP's)",
    )
    args = parser.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA} is absent (the shared benchmark data is not mounted)")
        return 0
    if args.instances:
        names = args.instances.split(",")
    else:
        fams = [f.upper() for f in args.families.split(",")]
        names = sorted(
            p.stem
            for p in DATA.glob("*.txt")
            if any(p.stem.startswith(f) and p.stem[len(f) :].isdigit() for f in fams)
            and len(p.stem) - len(next(f for f in fams if p.stem.startswith(f))) == 2
        )
    teams = [int(t) for t in args.teams.split(",")]
    best_path = Path(args.best) if args.best else None
    seen: dict[str, int] = {}
    if best_path is not None and best_path.exists():
        seen = json.loads(best_path.read_text())
    warm_up_searches_untimed()
    warm_up()
    if args.seeds:
        return seed_sweep(names, teams, [int(x) for x in args.seeds.split(",")], args.time)
    print(
        f"# TOPTW on Solomon (profit = demand, Tmax = depot due, travel = ceil(dist x {SCALE})),"
        f" {dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%MZ}, {args.time:g} s per method, seed"
        f" {args.seed}, {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs,"
        f" load {os.getloadavg()[0]:.1f}"
    )
    print(
        "| instance | m | ours | PyVRP | PyVRP check | best seen here"
        " | ours gap % | PyVRP gap % | ours - PyVRP |"
    )
    print("|---|---:|---:|---:|---|---:|---:|---:|---:|")
    rows_out: list[tuple[str, int, int, int | None]] = []
    for name in names:
        rows = read_solomon(name)
        for m in teams:
            problem = toptw_problem(rows, m)
            ours, _ = solve_ours(problem, args.time, args.seed)
            peer: int | None = None
            check = "-"
            if not args.no_pyvrp:
                peer, _, check = solve_pyvrp(rows, m, problem, args.time, args.seed)
            key = f"{name}/m{m}"
            seen[key] = max(seen.get(key, 0), ours, peer or 0)
            rows_out.append((key, ours, seen[key], peer))
            ref = seen[key]
            g1 = 100 * (1 - ours / ref) if ref else 0.0
            g2 = "" if peer is None else f"{100 * (1 - peer / ref) if ref else 0.0:.2f}"
            diff = "" if peer is None else f"{ours - peer:+d}"
            print(
                f"| {name} | {m} | {ours} | {'' if peer is None else peer} | {check} | {ref}"
                f" | {g1:.2f} | {g2} | {diff} |"
            )
            sys.stdout.flush()
        if best_path is not None:
            best_path.write_text(json.dumps(seen, indent=1, sort_keys=True))
    # gaps against the best seen over the whole run (a later PyVRP or our run may raise it)
    g_ours = [100 * (1 - o / seen[k]) if seen[k] else 0.0 for k, o, _, _ in rows_out]
    with_peer = [(k, o, p) for k, o, _, p in rows_out if p is not None]
    g_peer = [100 * (1 - p / seen[k]) if seen[k] else 0.0 for k, _, p in with_peer]
    wins = sum(o > p for _, o, p in with_peer)
    losses = sum(o < p for _, o, p in with_peer)
    print(
        f"\nmean gap to best seen here: ours {np.mean(g_ours):.2f} %"
        + (f", PyVRP {np.mean(g_peer):.2f} %" if g_peer else "")
        + f"; runs {len(rows_out)}; ours above PyVRP {wins}, below {losses},"
        f" equal {len(with_peer) - wins - losses}"
    )
    if args.rich:
        print("\n# rich variants (revisits 60 apart, odd teams 1.5x slower, east = even teams):"
              " ours only, PyVRP cannot model revisit gaps")  # fmt: skip
        print("| instance | m | ours | stops | check_plan |")
        print("|---|---:|---:|---:|---|")
        for name in names[:: max(1, len(names) // 6)]:
            rows = read_solomon(name)
            for m in teams:
                problem = toptw_problem(rows, m, rich=True)
                ours, _ = solve_ours(problem, args.time, args.seed)
                print(f"| {name} rich | {m} | {ours} | {problem.n_stops} | ok |")
                sys.stdout.flush()
    return 0 if math.isfinite(float(np.mean(g_ours))) else 1


if __name__ == "__main__":
    raise SystemExit(main())
