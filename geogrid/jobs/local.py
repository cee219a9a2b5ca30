"""In-process jobs: threads of this process run them, a job store records them (the default).

``LocalRunner(workers, store, per_user).submit(kind, owner, fn, *args)``
records a job and starts ``fn(progress, *args)`` on one of ``workers``
threads; it returns at once. ``fn`` calls ``progress(fraction, message)`` as
it goes. ``submit_group(kind, owner, fn, parts)`` is one job of several parts
(``fn(progress, *part)`` for each part, one after the other here; in parallel on
Celery workers): its progress is finished parts / parts and it fails, naming
the parts, when any part failed. A GeogridError becomes the job's error as it
is; any other exception is logged and reported as an internal error (a full
disk is said plainly).

Every process that runs jobs beats a heartbeat into the store while it lives
(:data:`geogrid.jobs.store.HEARTBEAT_S`), so another process reading the store
knows when this one died.
"""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from geogrid.errors import GeogridError
from geogrid.jobs.store import HEARTBEAT_S, Job, JobStore, Records, error_message

log = logging.getLogger(__name__)


def part_failures(errors: Sequence[tuple[int, str]], total: int) -> str:
    """One message for the failed parts of a job: "part 2 of 3: <error>; ..."."""
    return "; ".join(f"part {n} of {total}: {message}" for n, message in errors)


class LocalRunner:
    """Threads of this process that run jobs, and the store they report to; thread-safe."""

    #: jobs run on threads of the process that accepted them
    distributed = False

    def __init__(
        self,
        workers: int = 1,
        store: Records | Path | str | None = None,
        per_user: int | None = None,
    ) -> None:
        if store is None:
            store = Path(tempfile.mkdtemp(prefix="geogrid-jobs-")) / "jobs.sqlite3"
        self.store: Records = JobStore(store) if isinstance(store, Path | str) else store
        self.per_user = per_user
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.pid = os.getpid()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="geogrid-job")
        self._beating = threading.Event()
        self._beat_lock = threading.Lock()

    def _start_heartbeat(self) -> None:
        with self._beat_lock:
            if self._beating.is_set():
                return
            self._beating.set()

        def beat() -> None:
            while True:
                try:
                    self.store.beat(self.worker)
                except (sqlite3.Error, OSError):  # a busy store: the next beat is soon enough
                    log.warning("job store heartbeat failed", exc_info=True)
                time.sleep(HEARTBEAT_S)

        threading.Thread(target=beat, name="geogrid-job-heartbeat", daemon=True).start()

    def submit(
        self, kind: str, owner: str, fn: Callable[..., Any], *args: Any, key: str | None = None
    ) -> Job:
        """Record and start ``fn(progress, *args)``; with ``key``, an active job of the same
        key is returned instead of starting another."""
        return self.submit_group(kind, owner, fn, [args], key=key, single=True)

    def submit_group(
        self,
        kind: str,
        owner: str,
        fn: Callable[..., Any],
        parts: Sequence[Sequence[Any]],
        *,
        key: str | None = None,
        single: bool = False,
    ) -> Job:
        """Record one job of ``len(parts)`` parts and start ``fn(progress, *part)`` for each;
        its result is the list of the parts' results (one result for ``submit``)."""
        plain = [tuple(p) for p in parts]
        if not plain:
            raise ValueError("a job needs at least one part")
        self._start_heartbeat()
        job, created = self.store.create(
            kind, owner, self.worker, key=key, limit=self.per_user, parts=len(plain)
        )
        if not created:
            return job
        self._pool.submit(self._run, job, kind, fn, plain, single)
        return job

    def _run(
        self,
        job: Job,
        kind: str,
        fn: Callable[..., Any],
        parts: list[tuple[Any, ...]],
        single: bool,
    ) -> None:
        store, total = self.store, len(parts)
        store.update(job.id, state="running", started=time.time())
        results: list[Any] = []
        errors: list[tuple[int, str]] = []
        for n, args in enumerate(parts):

            def progress(fraction: float, message: str, n: int = n) -> None:
                store.progress(job.id, (n + max(0.0, min(1.0, fraction))) / total, message)

            try:
                results.append(fn(progress, *args))
            except Exception as err:
                if not isinstance(err, GeogridError):
                    log.exception("job %s (%s) part %d failed", job.id, kind, n + 1)
                errors.append((n + 1, error_message(err)))
                results.append(None)
            store.update(job.id, parts_done=n + 1)
        if errors:
            store.update(
                job.id,
                state="failed",
                finished=time.time(),
                error=errors[0][1] if single else part_failures(errors, total),
            )
        else:
            store.update(
                job.id,
                state="done",
                result=results[0] if single else results,
                progress=1.0,
                finished=time.time(),
            )

    def get(self, job_id: str) -> Job | None:
        return self.store.get(job_id)

    def wait(self, job_id: str, timeout_s: float = 30.0) -> Job:
        """Block until the job is finished (tests and the CLI; never from a view)."""
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            job = self.get(job_id)
            if job is not None and not job.active:
                return job
            time.sleep(0.05)
        raise TimeoutError(f"job {job_id} still running after {timeout_s} s")
