"""A small in-process job runner for work longer than a request (solves, grid generation).

``runner_of(app).submit(kind, owner, fn, *args)`` starts ``fn(progress, *args)``
on a worker thread and returns a job id at once; the page polls
``GET /api/jobs/<id>`` (see :mod:`webmap.views.planner` and :mod:`webmap.views.patrol`)
for ``{"state": "queued|running|done|failed", "progress": 0..1, "message",
"result", "error"}``. ``fn`` calls ``progress(fraction, message)`` as it goes.
Jobs live in memory: a restart forgets them (their results are files on disk).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from flask import Flask

from geogrid.errors import GeogridError

_EXTENSION = "webmap.jobs"
#: finished jobs kept for polling, oldest dropped first
KEEP_FINISHED = 100

Progress = Callable[[float, str], None]


@dataclass
class Job:
    """One piece of background work and what is known about it."""

    id: str
    kind: str
    owner: str
    state: str = "queued"
    progress: float = 0.0
    message: str = ""
    result: Any = None
    error: str = ""
    started: float = field(default_factory=time.time)
    finished: float | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "state": self.state,
            "progress": round(self.progress, 3), "message": self.message,
            "result": self.result, "error": self.error,
            "elapsed_s": round((self.finished or time.time()) - self.started, 1),
        }


class JobRunner:
    """Thread pool + job table; thread-safe."""

    def __init__(self, workers: int = 1) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="geogrid-job")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def submit(self, kind: str, owner: str, fn: Callable[..., Any], *args: Any) -> Job:
        job = Job(id=uuid.uuid4().hex[:12], kind=kind, owner=owner)
        with self._lock:
            self._jobs[job.id] = job
            self._trim()

        def progress(fraction: float, message: str) -> None:
            with self._lock:
                job.progress = max(job.progress, min(1.0, float(fraction)))
                job.message = message

        def run() -> None:
            with self._lock:
                job.state = "running"
            try:
                result = fn(progress, *args)
            except GeogridError as err:
                outcome = ("failed", None, str(err))
            except Exception as err:  # noqa: BLE001 - reported to the page, never a traceback
                outcome = ("failed", None, f"internal error ({type(err).__name__}); see the server log")
                import logging

                logging.getLogger(__name__).exception("job %s (%s) failed", job.id, kind)
            else:
                outcome = ("done", result, "")
            with self._lock:
                job.state, job.result, job.error = outcome
                if job.state == "done":
                    job.progress = 1.0
                job.finished = time.time()

        self._pool.submit(run)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def wait(self, job_id: str, timeout_s: float = 30.0) -> Job:
        """Block until the job is finished (tests and the CLI; never from a view)."""
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            job = self.get(job_id)
            if job is not None and job.state in ("done", "failed"):
                return job
            time.sleep(0.05)
        raise TimeoutError(f"job {job_id} still running after {timeout_s} s")

    def _trim(self) -> None:
        finished = [j for j in self._jobs.values() if j.finished is not None]
        for job in sorted(finished, key=lambda j: j.finished or 0)[:-KEEP_FINISHED]:
            self._jobs.pop(job.id, None)


def runner_of(app: Flask) -> JobRunner:
    """The app's job runner (made on first use)."""
    runner = app.extensions.get(_EXTENSION)
    if runner is None:
        runner = app.extensions.setdefault(_EXTENSION, JobRunner(int(app.config.get("JOB_WORKERS", 1))))
    return runner
