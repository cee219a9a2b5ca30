"""The work a job can do, as functions of plain data: ``fn(progress, *args)``.

Every task takes only what JSON carries (the area folder as a string, or for
patrol plans and rotas the area's name and, last, the store URL: :func:`area_of`;
a day ``YYYY-MM-DD``, team ids, a config path, numbers), never OR-Tools objects
or frames, so the same call runs on a thread of the web process
(:mod:`geogrid.jobs.local`) or on a Celery worker (:mod:`geogrid.jobs.celery`).
Solver inputs are rebuilt from the area by the task; results are small: the
names of the files written and a summary. Every file is written atomically by
the services (temp file + rename) and every database write is a transaction, so
a worker killed in the middle leaves the previous plan whole and the retried
task writes it again.

:data:`TASKS` names them; a runner sends a task to a worker by that name. The
services are imported inside the tasks so that a Celery worker's main process
does not load the solvers (and numba's cache) before it forks.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from geogrid.errors import InputError
from geogrid.jobs.store import Progress

#: name -> task function; the names are what travels to a worker
TASKS: dict[str, Callable[..., Any]] = {}


def task(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a task function under ``name``."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn.task_name = name  # type: ignore[attr-defined]
        TASKS[name] = fn
        return fn

    return register


def task_name(fn: Callable[..., Any]) -> str | None:
    """The registered name of ``fn``; None for any other callable (run in-process only)."""
    name = getattr(fn, "task_name", None)
    return name if isinstance(name, str) and TASKS.get(name) is fn else None


def team_groups(teams: Sequence[str], per_part: int) -> list[list[str]]:
    """Teams split into parts of at most ``per_part`` (sorted, each team once)."""
    if per_part < 1:
        raise InputError(f"teams per part must be at least 1, not {per_part}")
    ordered = sorted(set(map(str, teams)))
    return [ordered[i : i + per_part] for i in range(0, len(ordered), per_part)]


@contextmanager
def clock(
    progress: Progress, start: float, span: float, limit_s: float, what: str
) -> Iterator[None]:
    """While a solver says nothing, report the clock against its time limit."""
    done = threading.Event()

    def tick() -> None:
        began = time.time()
        while not done.wait(0.25):
            used = time.time() - began
            progress(
                start + span * min(1.0, used / max(limit_s, 0.1)),
                f"{what} ({used:.0f} s of at most {limit_s:g} s)",
            )

    ticker = threading.Thread(target=tick, name="geogrid-job-clock", daemon=True)
    ticker.start()
    try:
        yield
    finally:
        done.set()
        ticker.join(1.0)


def area_of(folder: str, store: str | None) -> Any:
    """Where a task finds its area: the folder ``folder``, or with ``store`` (a database URL
    or a folder of area folders, as a task gets plain strings) the area named ``folder`` in
    it (:class:`~geogrid.store.base.StoredArea`)."""
    if not store:
        return folder
    from geogrid.store.base import StoredArea, open_store

    return StoredArea(open_store(store), folder)


@task("patrol.plan_shift")
def plan_shift(
    progress: Progress,
    folder: str,
    day: str,
    config: str | None,
    time_limit_s: float,
    teams: list[str] | None = None,
    store: str | None = None,
) -> dict[str, Any]:
    """Plan shift ``day`` of the area for every team, or for ``teams`` only (their files
    and their part of the day's plan; :func:`geogrid.services.patrol.plan_teams`).

    ``folder`` is the area folder; with ``store`` (a database URL) it is the area's name
    in that database, and the plan is kept there (:func:`area_of`)."""
    from geogrid.services import patrol

    progress(0.05, "reading the area and the street network")
    with clock(progress, 0.15, 0.7, float(time_limit_s), "solving routes"):
        run = patrol.plan_shift(
            area_of(folder, store), day, config, time_limit_s=float(time_limit_s), teams=teams
        )
    progress(1.0, "plan ready")
    return {
        "date": day,
        "teams": teams,
        "visited": len(run.plan.visited()),
        "stops": run.problem.n_stops,
        "prize": run.plan.prize,
        "files": sorted(str(p) for p in run.paths),
    }


@task("rota.plan_week")
def plan_week(
    progress: Progress,
    folder: str,
    week: str,
    config: str | None,
    time_limit_s: float | None = None,
    store: str | None = None,
) -> dict[str, Any]:
    """Plan the rota of ISO ``week`` (e.g. ``2026-W50``) and each night's files; with
    ``store`` (a database URL) ``folder`` is the area's name in it (:func:`area_of`)."""
    from geogrid.services import rota

    progress(0.05, "reading the area and the street network")
    with clock(progress, 0.1, 0.8, float(time_limit_s or 60.0), "planning the week"):
        run = rota.plan_week(area_of(folder, store), week, config, time_limit_s=time_limit_s)
    progress(1.0, "rota ready")
    return {"week": week, "rounds": run.rounds, "files": sorted(str(p) for p in run.paths)}


@task("grids.rebalance")
def rebalance_grids(
    progress: Progress,
    folder: str,
    author: str,
    time_limit_s: float = 60.0,
    seed: int = 0,
    message: str | None = None,
) -> dict[str, Any]:
    """Bring the area's grids back into their household band; saved as a new version."""
    from geogrid.services import grids

    progress(0.05, "recounting households")
    with clock(progress, 0.1, 0.8, float(time_limit_s), "moving units"):
        run = grids.rebalance(
            folder, time_limit_s=float(time_limit_s), seed=int(seed), author=author, message=message
        )
    progress(1.0, "grids saved")
    return {
        "version": None if run.version is None else run.version.id,
        "problems": [str(p) for p in run.problems],
    }


@task("incidents.import")
def import_incidents(
    progress: Progress, folder: str, source: str, mapping: str, author: str
) -> dict[str, Any]:
    """Import an incident file through its mapping into the area (merged by id)."""
    from geogrid.services import incidents

    progress(0.1, f"reading {source}")
    report = incidents.import_file(source, mapping, area_dir=folder, author=author)
    progress(1.0, "incidents imported")
    return {"lines": report.lines(), "rejects": str(report.rejects_path)}


@task("probe")
def probe(
    progress: Progress, steps: int = 3, step_s: float = 0.2, fail: str = "", crash: bool = False
) -> dict[str, Any]:
    """Check that jobs run: ``steps`` steps of ``step_s`` seconds with progress; ``fail``
    ends it with that message (as bad input would), ``crash`` with an internal error."""
    for n in range(steps):
        progress(n / max(steps, 1), f"step {n + 1} of {steps}")
        time.sleep(step_s)
    if fail:
        raise InputError(fail)
    if crash:
        raise RuntimeError("probe crashed on purpose (internal details)")
    progress(1.0, "done")
    return {"steps": steps}
