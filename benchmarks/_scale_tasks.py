"""The per-group plan function of ``benchmarks/scale.py``, as a geogrid job task.

Importing this module registers ``bench.scale.plan_group`` in
:data:`geogrid.jobs.tasks.TASKS`, so a Celery worker started with
``--include _scale_tasks`` (``benchmarks/`` on ``PYTHONPATH``) runs it as it runs
the nightly plan parts of :mod:`geogrid.jobs.tasks`: plain data in (the path of a
pickled :class:`~geogrid.planning.problem.PatrolProblem`, numbers), a small
summary out. :func:`solve_group_file` is the same work without a job around it
(the multiprocessing pool of the fallback and the in-process checks).
"""

from __future__ import annotations

import os
import pickle
import time
from pathlib import Path
from typing import Any

from geogrid.jobs.tasks import task


def solve_group_file(
    path: str, time_limit_s: float, solution_limit: int, seed: int
) -> dict[str, Any]:
    """Solve the pickled group problem at ``path`` with a fixed amount of search: OR-Tools
    greedy descent to a local optimum (at most ``solution_limit`` solutions, ``time_limit_s``
    a cap only), no clock-bound polish, so that the work per group does not depend on
    how many groups run at once. (Guided local search with a solution limit is not
    fixed work: on some groups it never counts that many solutions and runs to the cap.)"""
    from geogrid.planning.solve import solve_patrol

    t0, c0 = time.perf_counter(), time.process_time()
    with Path(path).open("rb") as src:
        problem = pickle.load(src)
    plan = solve_patrol(
        problem,
        time_limit_s=float(time_limit_s),
        seed=int(seed),
        polish=False,
        solution_limit=int(solution_limit),
        metaheuristic="GREEDY_DESCENT",
    )
    return {
        "prize": int(plan.prize),
        "visited": len(plan.visited()),
        "stops": problem.n_stops,
        "teams": len(problem.teams),
        "s": time.perf_counter() - t0,
        "cpu_s": time.process_time() - c0,
        "pid": os.getpid(),
    }


@task("bench.scale.plan_group")
def plan_group(
    progress: Any, path: str, time_limit_s: float, solution_limit: int, seed: int
) -> dict[str, Any]:
    """One team group's night plan (see :func:`solve_group_file`)."""
    progress(0.1, "solving")
    out = solve_group_file(path, time_limit_s, solution_limit, seed)
    progress(1.0, "done")
    return out
