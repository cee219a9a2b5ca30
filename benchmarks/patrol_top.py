"""Benchmark: Team Orienteering (Chao et al. 1996, sets 4-7), ours vs PyVRP vs the best known.

Usage::

    python benchmarks/patrol_top.py [--time 10] [--seed 1] [--instances p4.3.n,...] [--no-pyvrp]

By default it runs the 157 non-trivial instances of sets 4-7 (those of Dang et al.
2013, tagged in ``top_bks.csv``), ours then PyVRP on each, in one run, and first checks
that every instance of sets 4-7 with best known 0 (no stop reachable within tmax)
gives an empty plan with a skip reason for each stop. Each instance becomes a
:class:`geogrid.planning.problem.PatrolProblem` (every team starts at the first
point, ends at the last, shift = tmax, prizes = scores, all stops optional) and is
solved by :func:`geogrid.planning.solve.solve_patrol`; the plan is verified by
:func:`geogrid.planning.plan.check_plan`. Travel times are Euclidean distances x 1000
rounded UP, so a plan that fits our integers fits the real-valued tmax too.

PyVRP (optional clients with prizes, one vehicle type with shift_duration =
tmax, the same integer matrix) gets the same time budget. The reference is the
literature best known (``top_bks.csv``, plain Euclidean distances; its README says
why ``top_chao1996_scores.csv`` is not Chao's 1996 table). Prints per instance BKS,
ours, PyVRP, both gaps and ours - PyVRP, then the mean gaps, how many reach the
BKS and on how many we are below PyVRP. Reads ``../shared/data/benchmarks/top_chao``;
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

from geogrid.planning.plan import check_plan, skip_reasons
from geogrid.planning.problem import PatrolProblem, Stop, Team
from geogrid.planning.solve import solve_patrol

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "benchmarks" / "top_chao"
SCALE = 1000
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


def best_known() -> dict[str, tuple[int, bool]]:
    """Literature best-known score of every instance and whether it is one of the 157
    non-trivial instances of sets 4-7 (those Dang et al. 2013 report, tag D13: the
    ``paper-top-psoia.pdf`` source in ``top_bks.csv``; see its README)."""
    with (DATA / "top_bks.csv").open(newline="") as fh:
        return {
            r["instance"]: (int(r["bks"]), "paper-top-psoia.pdf" in r["source"])
            for r in csv.DictReader(fh)
        }


def check_unreachable(names: list[str]) -> None:
    """Instances with best known 0 (no stop reachable in tmax): each must give an empty
    plan that passes check_plan, with a skip reason for every stop."""
    for name in names:
        m, tmax, xy, scores = read_top(name)
        problem = top_problem(m, tmax, xy, scores)
        plan = solve_patrol(problem, time_limit_s=1.0, seed=1)
        reasons = skip_reasons(problem, plan)
        assert check_plan(problem, plan) == [], (name, check_plan(problem, plan))
        assert plan.prize == 0 and not plan.visited(), (name, plan.prize)
        assert len(reasons) == problem.n_stops, (name, len(reasons), problem.n_stops)
    if names:
        print(
            f"# best known 0 ({len(names)} instances: {', '.join(names)}): every one an empty"
            f" plan passing check_plan, each stop skipped with a reason, e.g. {names[0]}:"
            f" {reasons[0].text[:90]}..."
        )


def gap_pct(score: int, best: int) -> float:
    return 100.0 * (best - score) / best if best else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--time", type=float, default=10.0, help="seconds per method and instance")
    parser.add_argument(
        "--instances", default="", help="comma-separated names (default: the 157 non-trivial)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-pyvrp", action="store_true", help="ours only (development runs)")
    args = parser.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA} is absent (the shared benchmark data is not mounted)")
        return 0
    have_pyvrp = not args.no_pyvrp
    try:
        import pyvrp  # noqa: F401
    except ImportError:
        have_pyvrp = False
        print("PyVRP not installed (pip install -e .[bench]); its column stays empty")
    bks = best_known()
    in_sets = sorted(n for n in bks if n[1] in SETS)
    if args.instances:
        names = args.instances.split(",")
    else:
        names = [n for n in in_sets if bks[n][1]]
        check_unreachable([n for n in in_sets if bks[n][0] == 0])
    warm_up_searches_untimed()
    print(
        f"# TOP, {dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%MZ}, {len(names)} instances,"
        f" {args.time:g} s per method, seed {args.seed}, load {os.getloadavg()[0]:.1f}"
    )
    print(
        "| instance | n | m | tmax | BKS | ours | PyVRP | ours gap % | PyVRP gap % | ours - PyVRP |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    rows: list[tuple[int, int, int]] = []
    for name in names:
        m, tmax, xy, scores = read_top(name)
        problem = top_problem(m, tmax, xy, scores)
        ours, _, _ = solve_ours(problem, args.time, args.seed)
        peer, _ = solve_pyvrp(m, tmax, xy, scores, args.time, args.seed) if have_pyvrp else (0, 0.0)
        best = bks[name][0]
        rows.append((best, ours, peer))
        print(
            f"| {name} | {len(xy)} | {m} | {tmax:g} | {best} | {ours} | {peer}"
            f" | {gap_pct(ours, best):.2f} | {gap_pct(peer, best):.2f} | {ours - peer:+d} |"
        )
        sys.stdout.flush()
    k = len(rows)
    g_ours = sum(gap_pct(o, b) for b, o, _ in rows) / k
    g_peer = sum(gap_pct(p, b) for b, _, p in rows) / k
    print(
        f"| **mean** | | | | {sum(r[0] for r in rows) / k:.1f} | {sum(r[1] for r in rows) / k:.1f}"
        f" | {sum(r[2] for r in rows) / k:.1f} | {g_ours:.3f} | {g_peer:.3f}"
        f" | {sum(r[1] - r[2] for r in rows) / k:+.2f} |"
    )
    print(
        f"# {k} instances: mean gap to BKS ours {g_ours:.3f} %, PyVRP {g_peer:.3f} %;"
        f" at BKS ours {sum(o >= b for b, o, _ in rows)}, PyVRP {sum(p >= b for b, _, p in rows)};"
        f" ours below PyVRP on {sum(o < p for _, o, p in rows)},"
        f" above on {sum(o > p for _, o, p in rows)}, equal on {sum(o == p for _, o, p in rows)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
