"""Benchmark: Team Orienteering (Chao et al. 1996, sets 4-7), ours vs PyVRP vs Chao's table.

Usage::

    python benchmarks/patrol_top.py [--time 10] [--instances p4.2.k,p4.3.p,...] [--all]

Each instance becomes a :class:`geogrid.planning.problem.PatrolProblem` (every team
starts at the first point, ends at the last, shift = tmax, prizes = scores,
all stops optional) and is solved by :func:`geogrid.planning.solve.solve_patrol`;
the plan is verified by :func:`geogrid.planning.plan.check_plan`. Travel times are
Euclidean distances x 1000 rounded UP, so a plan that fits our integers fits
the real-valued tmax too.

PyVRP (optional clients with prizes, one vehicle type with max_duration =
tmax, the same integer matrix) gets the same time budget. Chao's column is
the 1996 heuristic score (``top_chao1996_scores.csv``), a lower bound on the
best known, not an optimum. Reads ``../shared/data/benchmarks/top_chao``;
skips with a reason when it is absent.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
from _common import solve_pyvrp_timed, warm_up_searches_untimed

from geogrid.planning.plan import check_plan
from geogrid.planning.problem import PatrolProblem, Stop, Team
from geogrid.planning.solve import solve_patrol

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "benchmarks" / "top_chao"
SCALE = 1000
DEFAULT = "p4.2.k,p4.3.p,p4.4.t,p5.2.m,p5.3.r,p5.4.v,p6.2.j,p6.3.m,p6.4.k,p7.2.o,p7.3.t,p7.4.t"
SETS = {"4": "Set_100_234", "5": "Set_66_234", "6": "Set_64_234", "7": "Set_102_234"}


def read_top(name: str) -> tuple[int, float, np.ndarray, np.ndarray]:
    """(teams, tmax, xy, scores) of one Chao instance."""
    path = DATA / SETS[name[1]] / f"{name}.txt"
    lines = path.read_text().split("\n")
    m = int(lines[1].split()[1])
    tmax = float(lines[2].split()[1])
    rows = np.array([[float(v) for v in ln.split()] for ln in lines[3:] if ln.strip()])
    return m, tmax, rows[:, :2], rows[:, 2].astype(int)


def integer_matrix(xy: np.ndarray) -> np.ndarray:
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    return np.ceil(d * SCALE - 1e-9).astype(np.int64)


def top_problem(m: int, tmax: float, xy: np.ndarray, scores: np.ndarray) -> PatrolProblem:
    n = len(xy)
    # stops are the middle points; locations after them are start (0) and end (n-1)
    order = [*range(1, n - 1), 0, n - 1]
    travel = integer_matrix(xy)[np.ix_(order, order)]
    teams = [
        Team(f"v{k}", shift_start_s=0, shift_end_s=int(math.floor(tmax * SCALE))) for k in range(m)
    ]
    stops = [Stop(f"c{i}", prize=int(scores[i]), dwell_s=0) for i in range(1, n - 1)]
    n_stops = n - 2
    return PatrolProblem.from_matrix(
        teams, stops, travel, start_loc=[n_stops] * m, end_loc=[n_stops + 1] * m
    )


def solve_ours(problem: PatrolProblem, time_s: float, seed: int) -> tuple[int, float, int]:
    t0 = time.perf_counter()
    plan = solve_patrol(problem, time_limit_s=time_s, seed=seed)
    wall = time.perf_counter() - t0
    assert check_plan(problem, plan) == [], check_plan(problem, plan)
    return plan.prize, wall, len(plan.visited())


def solve_pyvrp(
    m: int, tmax: float, xy: np.ndarray, scores: np.ndarray, time_s: float, seed: int
) -> tuple[int, float]:
    from pyvrp import Model

    n = len(xy)
    d = integer_matrix(xy)
    model = Model()
    locs = [model.add_location(x=int(xy[i, 0] * SCALE), y=int(xy[i, 1] * SCALE)) for i in range(n)]
    start = model.add_depot(locs[0])
    end = model.add_depot(locs[n - 1])
    model.add_vehicle_type(
        num_available=m,
        start_depot=start,
        end_depot=end,
        shift_duration=int(math.floor(tmax * SCALE)),
        unit_distance_cost=1,
    )
    for i in range(1, n - 1):
        model.add_client(locs[i], prize=int(scores[i]) * 10**6, required=False)
    res, wall = solve_pyvrp_timed(model, locs, d, time_s, seed)
    if not res.is_feasible():
        return 0, wall
    return int(res.best.prizes()) // 10**6, wall


def chao_scores() -> dict[str, int]:
    with (DATA / "top_chao1996_scores.csv").open(newline="") as fh:
        return {r["instance"]: int(float(r["best_known"])) for r in csv.DictReader(fh)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--time", type=float, default=10.0, help="seconds per method and instance")
    parser.add_argument("--instances", default=DEFAULT)
    parser.add_argument("--all", action="store_true", help="all 240 instances of sets 4-7 (long)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA} is absent (the shared benchmark data is not mounted)")
        return 0
    try:
        import pyvrp  # noqa: F401

        have_pyvrp = True
    except ImportError:
        have_pyvrp = False
        print("PyVRP not installed (pip install -e .[bench]); its column stays empty")
    names = args.instances.split(",")
    if args.all:
        names = sorted(p.stem for s in SETS.values() for p in (DATA / s).glob("p*.txt"))
    chao = chao_scores()
    warm_up_searches_untimed()
    print(
        f"# TOP, {dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%MZ}, {args.time:g} s per method,"
        f" load {os.getloadavg()[0]:.1f}"
    )
    print(
        "| instance | n | m | tmax | ours | ours s | PyVRP | PyVRP s | Chao 1996"
        " | ours - PyVRP | ours - Chao |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    totals = np.zeros(3)
    for name in names:
        m, tmax, xy, scores = read_top(name)
        problem = top_problem(m, tmax, xy, scores)
        ours, ours_s, _ = solve_ours(problem, args.time, args.seed)
        peer, peer_s = (
            solve_pyvrp(m, tmax, xy, scores, args.time, args.seed) if have_pyvrp else (0, 0.0)
        )
        ref = chao.get(name, 0)
        totals += (ours, peer, ref)
        print(
            f"| {name} | {len(xy)} | {m} | {tmax:g} | {ours} | {ours_s:.1f} | {peer}"
            f" | {peer_s:.1f} | {ref} | "
            f"{ours - peer:+d} | {ours - ref:+d} |"
        )
        sys.stdout.flush()
    k = len(names)
    print(
        f"| **mean** | | | | {totals[0] / k:.1f} | | {totals[1] / k:.1f} | | {totals[2] / k:.1f} | "
        f"{(totals[0] - totals[1]) / k:+.1f} | {(totals[0] - totals[2]) / k:+.1f} |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
