"""Background jobs of the web app: a thin adapter over :mod:`geogrid.jobs`.

``runner_of(app).submit(kind, owner, fn, *args, key=None)`` records a job and
starts ``fn(progress, *args)``; it returns at once. ``submit_group(kind, owner,
fn, parts)`` is one job of several parts (the nightly plan of many teams).
Where jobs run:

* embedded (default): threads of the gunicorn worker that accepted the
  request, recorded in the SQLite job store (``JOBS_PATH``, default next to the
  users file: ``<instance folder>/jobs.sqlite3``) that every worker of the
  machine reads;
* Celery (``JOBS_BROKER_URL``, default the environment's ``GEOGRID_BROKER_URL``):
  the task functions of :mod:`geogrid.jobs.tasks` (plain data only) run on
  Celery workers, anything else on a thread here; records in Redis, so every
  web node answers for every job.

The page polls ``GET /api/jobs/<id>`` (:mod:`webmap.views.jobs`)::

    {"id", "kind", "state": "queued|running|done|failed", "progress": 0..1,
     "message", "result", "error", "elapsed_s", "parts": {"done", "total"}}

A job of a process that died is reported failed with a message that says so
(embedded), or delivered again to another worker (Celery). A user may have at
most ``JOBS_PER_USER`` (default 2) queued or running jobs; one more is refused
with 429 (:class:`JobLimitError`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.exceptions import TooManyRequests

from geogrid import jobs as G
from geogrid.jobs.store import ACTIVE, LOST_MESSAGE, STALE_S, Job, JobStore, Progress

__all__ = [
    "ACTIVE",
    "LOST_MESSAGE",
    "STALE_S",
    "Job",
    "JobLimitError",
    "JobRunner",
    "JobStore",
    "Progress",
    "jobs_path",
    "runner_of",
]

_EXTENSION = "webmap.jobs"


class JobLimitError(TooManyRequests):
    """The user already has as many queued or running jobs as allowed (429)."""


class JobRunner:
    """The app's job runner in this process: embedded threads, or Celery with ``broker_url``."""

    def __init__(
        self,
        workers: int = 1,
        store: JobStore | Path | str | None = None,
        per_user: int | None = None,
        broker_url: str = "",
    ) -> None:
        self.backend = G.open_runner(
            store, broker_url=broker_url, workers=workers, per_user=per_user
        )
        self.pid = os.getpid()

    @property
    def store(self) -> Any:
        return self.backend.store

    @property
    def distributed(self) -> bool:
        """Whether jobs run on Celery workers (else on threads of this process)."""
        return bool(self.backend.distributed)

    def submit(
        self, kind: str, owner: str, fn: Callable[..., Any], *args: Any, key: str | None = None
    ) -> Job:
        try:
            return self.backend.submit(kind, owner, fn, *args, key=key)
        except G.JobLimitError as err:
            raise JobLimitError(description=str(err)) from err

    def submit_group(
        self,
        kind: str,
        owner: str,
        fn: Callable[..., Any],
        parts: Sequence[Sequence[Any]],
        *,
        key: str | None = None,
    ) -> Job:
        try:
            return self.backend.submit_group(kind, owner, fn, parts, key=key)
        except G.JobLimitError as err:
            raise JobLimitError(description=str(err)) from err

    def get(self, job_id: str) -> Job | None:
        return self.backend.get(job_id)

    def wait(self, job_id: str, timeout_s: float = 30.0) -> Job:
        """Block until the job is finished (tests and the CLI; never from a view)."""
        return self.backend.wait(job_id, timeout_s)


def jobs_path(app: Flask) -> Path:
    """The app's job store: ``JOBS_PATH``, else next to the users file (the instance folder)."""
    if app.config.get("JOBS_PATH"):
        return Path(app.config["JOBS_PATH"])
    users = app.config.get("USERS_PATH")
    folder = Path(users).parent if users else Path(app.instance_path)
    return folder / "jobs.sqlite3"


def broker_url(app: Flask) -> str:
    """``JOBS_BROKER_URL``, else the environment's ``GEOGRID_BROKER_URL``; empty: embedded."""
    configured = app.config.get("JOBS_BROKER_URL")
    if configured is None:
        configured = os.environ.get(G.ENV_BROKER, "")
    return str(configured).strip()


_RUNNERS_LOCK = threading.Lock()


def runner_of(app: Flask) -> JobRunner:
    """The app's job runner in this process (made on first use, again after a fork)."""
    runner = app.extensions.get(_EXTENSION)
    if runner is None or runner.pid != os.getpid():
        with _RUNNERS_LOCK:
            runner = app.extensions.get(_EXTENSION)
            if runner is None or runner.pid != os.getpid():
                runner = JobRunner(
                    int(app.config.get("JOB_WORKERS", 1)),
                    jobs_path(app),
                    per_user=int(app.config.get("JOBS_PER_USER", 2)),
                    broker_url=broker_url(app),
                )
                app.extensions[_EXTENSION] = runner
    return runner
