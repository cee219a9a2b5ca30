"""Benchmark: Solomon VRPTW (distance-only best-known), ours vs PyVRP.

Usage::

    python benchmarks/patrol_solomon.py [--time 10] [--instances C101,R101,...] [--all]

Each instance becomes a :class:`geogrid.planning.problem.PatrolProblem`: 25 teams
(vehicles) with capacity, every customer a required stop with its window
and service time, shift = the depot's window. Euclidean distances x 1000
rounded to integers serve as both travel time and cost (the literature uses
unrounded doubles; the gap is computed on the recomputed real-valued length
of our routes). Work is not balanced across teams (``balance="weighted"`` with
weight 0): the benchmark's objective is distance alone. Plans are verified by
:func:`geogrid.planning.plan.check_plan`.
PyVRP gets the same integer matrix and the same time budget. The reference
is ``solomon_bks_distance.csv`` (distance-only best known). Reads
``../shared/data/benchmarks/solomon_vrptw``; skips when absent.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import itertools
import os
import sys
import time
from pathlib import Path

import numpy as np
from _common import solve_pyvrp_timed, warm_up_searches_untimed

from geogrid.planning.plan import check_plan
from geogrid.planning.problem import PatrolProblem, Stop, Team
from geogrid.planning.solve import solve_patrol

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "benchmarks" / "solomon_vrptw"
SCALE = 1000
DEFAULT = "C101,C201,R101,R201,RC101,RC201"
AT_BEST_KNOWN = 0.01
"""A gap (%) at most this counts as reaching the best known (rounding of the x 1000 matrix)."""


def read_solomon(name: str) -> tuple[int, int, np.ndarray]:
    """(vehicles, capacity, rows[x, y, demand, ready, due, service]) with the depot first."""
    lines = (DATA / f"{name}.txt").read_text().split("\n")
    vehicles, capacity = (int(v) for v in lines[4].split())
    rows = np.array([[float(v) for v in ln.split()] for ln in lines[9:] if ln.strip()])
    return vehicles, capacity, rows[:, 1:7]


def real_matrix(rows: np.ndarray) -> np.ndarray:
    xy = rows[:, :2]
    return np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))


def solomon_problem(vehicles: int, capacity: int, rows: np.ndarray) -> PatrolProblem:
    n = len(rows) - 1
    order = [*range(1, n + 1), 0]
    travel = np.rint(real_matrix(rows) * SCALE).astype(np.int64)[np.ix_(order, order)]
    due = int(rows[0, 4] * SCALE)
    teams = [
        Team(f"v{k}", shift_start_s=0, shift_end_s=due, capacity=capacity) for k in range(vehicles)
    ]
    stops = [
        Stop(
            f"c{i}",
            required=True,
            demand=int(rows[i, 2]),
            window_s=(int(rows[i, 3] * SCALE), int(rows[i, 4] * SCALE)),
            dwell_s=int(rows[i, 5] * SCALE),
        )
        for i in range(1, n + 1)
    ]
    return PatrolProblem.from_matrix(
        teams, stops, travel, start_loc=[n] * vehicles, end_loc=[n] * vehicles
    )


def real_length(rows: np.ndarray, routes: list[list[int]]) -> float:
    d = real_matrix(rows)
    total = 0.0
    for r in routes:
        path = [0, *r, 0]
        total += sum(d[a, b] for a, b in itertools.pairwise(path))
    return total


def solve_ours(
    rows: np.ndarray, vehicles: int, capacity: int, time_s: float, seed: int
) -> tuple[float, int, float]:
    problem = solomon_problem(vehicles, capacity, rows)
    t0 = time.perf_counter()
    # Solomon's objective is distance alone: no balancing of work across the 25 teams
    # (weighted with weight 0 moves a stop only for more prize, and these have none)
    plan = solve_patrol(
        problem, time_limit_s=time_s, seed=seed, balance="weighted", balance_weight=0.0
    )
    wall = time.perf_counter() - t0
    assert check_plan(problem, plan) == []
    routes = [[v.stop + 1 for v in r.visits] for r in plan.routes if r.visits]
    return real_length(rows, routes), len(routes), wall


def solve_pyvrp(
    rows: np.ndarray, vehicles: int, capacity: int, time_s: float, seed: int
) -> tuple[float, int, float]:
    from pyvrp import Model

    d = np.rint(real_matrix(rows) * SCALE).astype(np.int64)
    model = Model()
    locs = [model.add_location(x=int(r[0] * SCALE), y=int(r[1] * SCALE)) for r in rows]
    depot = model.add_depot(
        locs[0], tw_early=int(rows[0, 3] * SCALE), tw_late=int(rows[0, 4] * SCALE)
    )
    model.add_vehicle_type(
        num_available=vehicles,
        capacity=capacity,
        start_depot=depot,
        end_depot=depot,
        tw_early=int(rows[0, 3] * SCALE),
        tw_late=int(rows[0, 4] * SCALE),
    )
    for i in range(1, len(rows)):
        model.add_client(
            locs[i],
            delivery=int(rows[i, 2]),
            service_duration=int(rows[i, 5] * SCALE),
            tw_early=int(rows[i, 3] * SCALE),
            tw_late=int(rows[i, 4] * SCALE),
        )
    res, wall = solve_pyvrp_timed(model, locs, d, time_s, seed)
    if not res.is_feasible():
        return float("nan"), 0, wall
    # PyVRP's own length on the integer matrix (x 1000, rounded), back in instance units
    return res.best.distance() / SCALE, res.best.num_routes(), wall


def bks() -> dict[str, float]:
    with (DATA / "solomon_bks_distance.csv").open(newline="") as fh:
        return {r["instance"]: float(r["best_known"]) for r in csv.DictReader(fh)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--time", type=float, default=10.0)
    parser.add_argument("--instances", default=DEFAULT)
    parser.add_argument("--all", action="store_true", help="all 56 instances (long)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA} is absent (the shared benchmark data is not mounted)")
        return 0
    names = sorted(p.stem for p in DATA.glob("*.txt")) if args.all else args.instances.split(",")
    ref = bks()
    warm_up_searches_untimed()
    print(
        f"# Solomon VRPTW, {dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%MZ}, {args.time:g} s per method,"
        f" load {os.getloadavg()[0]:.1f}"
    )
    print("| instance | BKS (distance) | ours | routes | gap % | PyVRP | routes | PyVRP gap % |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    gaps: list[tuple[float, float]] = []
    classes: dict[str, list[tuple[float, float]]] = {}
    for name in names:
        vehicles, capacity, rows = read_solomon(name)
        ours, our_routes, _ = solve_ours(rows, vehicles, capacity, args.time, args.seed)
        peer, peer_routes, _ = solve_pyvrp(rows, vehicles, capacity, args.time, args.seed)
        best = ref[name]
        g1, g2 = 100 * (ours / best - 1), 100 * (peer / best - 1)
        gaps.append((g1, g2))
        classes.setdefault(name[:-2], []).append((g1, g2))
        print(
            f"| {name} | {best:.2f} | {ours:.2f} | {our_routes} | {g1:.2f}"
            f" | {peer:.2f} | {peer_routes} | {g2:.2f} |"
        )
        sys.stdout.flush()
    mean = np.mean(gaps, axis=0)
    print(f"| **mean** | | | | {mean[0]:.2f} | | | {mean[1]:.2f} |")
    by_class = ", ".join(
        f"{c} {np.mean(g, axis=0)[0]:.2f} / {np.mean(g, axis=0)[1]:.2f}" for c, g in classes.items()
    )
    print(f"By class (ours / PyVRP mean gap %): {by_class}")
    at = np.asarray(gaps) <= AT_BEST_KNOWN
    print(
        f"At the best known (gap <= {AT_BEST_KNOWN} %): ours {at[:, 0].sum()} of {len(gaps)},"
        f" PyVRP {at[:, 1].sum()}; ours shorter than PyVRP on"
        f" {sum(a < b - AT_BEST_KNOWN for a, b in gaps)}, longer on"
        f" {sum(a > b + AT_BEST_KNOWN for a, b in gaps)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
