"""Background jobs: one interface for patrol plans, rotas, rebalances and imports.

``runner.submit(kind, owner, fn, *args, key=None)`` records a job and starts
``fn(progress, *args)``; ``runner.submit_group(kind, owner, fn, parts)`` is one
job of several parts; ``runner.get(id)`` / ``runner.wait(id)`` read it back as a
:class:`~geogrid.jobs.store.Job`. Two runners share that interface:

* :class:`geogrid.jobs.local.LocalRunner` (the embedded default): threads of
  the process, records in the SQLite :class:`geogrid.jobs.store.JobStore`;
* :class:`geogrid.jobs.celery.CeleryRunner` (``GEOGRID_BROKER_URL`` set):
  Celery workers with Redis; the task functions of :mod:`geogrid.jobs.tasks`
  take plain data only.

:func:`open_runner` picks one.
"""

from __future__ import annotations

import os
from pathlib import Path

from geogrid.jobs.local import LocalRunner
from geogrid.jobs.store import Job, JobFailed, JobLimitError, JobStore, Progress

ENV_BROKER = "GEOGRID_BROKER_URL"

__all__ = [
    "Job",
    "JobFailed",
    "JobLimitError",
    "JobStore",
    "LocalRunner",
    "Progress",
    "open_runner",
]


def open_runner(
    store: Path | str | None = None,
    *,
    broker_url: str | None = None,
    workers: int = 1,
    per_user: int | None = None,
) -> LocalRunner:
    """The Celery runner when ``broker_url`` (default ``GEOGRID_BROKER_URL``) is given, else
    threads of this process recording into the SQLite job store at ``store``."""
    url = broker_url if broker_url is not None else os.environ.get(ENV_BROKER, "").strip()
    if url:
        from geogrid.jobs.celery import CeleryRunner

        return CeleryRunner(url, workers=workers, per_user=per_user)
    return LocalRunner(workers, store, per_user)
