"""Background jobs (solves, grid generation) whose state every worker process can read.

``runner_of(app).submit(kind, owner, fn, *args)`` records a job in the
SQLite job store (:class:`JobStore`, ``JOBS_PATH``, default next to the users
file: ``<instance folder>/jobs.sqlite3``) and starts ``fn(progress, *args)``
on a thread of the process that accepted the request; it returns at once.
``fn`` calls ``progress(fraction, message)`` as it goes, which is written to
the store. The page polls ``GET /api/jobs/<id>`` (see :mod:`webmap.views.jobs`),
and any gunicorn worker answers it from the store::

    {"id", "kind", "state": "queued|running|done|failed", "progress": 0..1,
     "message", "result", "error", "elapsed_s"}

Every process that runs jobs beats a heartbeat into the store while it lives;
a queued or running job whose process has not beaten for ``STALE_S`` seconds
(the worker was killed or restarted) is reported failed with a message that
says so. A user may have at most ``JOBS_PER_USER`` (default 2) queued or
running jobs; one more is refused with 429 (:class:`JobLimitError`). The store
uses WAL mode, and every change runs in ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import socket
import sqlite3
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.exceptions import TooManyRequests

from geogrid.errors import GeogridError

_EXTENSION = "webmap.jobs"
#: finished jobs kept for polling, oldest dropped first
KEEP_FINISHED = 500
#: seconds between heartbeats of a process that runs jobs
HEARTBEAT_S = 2.0
#: a process silent this long is gone: its unfinished jobs are reported failed
STALE_S = 30.0
ACTIVE = ("queued", "running")
LOST_MESSAGE = ("the server process running this job stopped (restarted or killed) before it "
                "finished; start it again")

Progress = Callable[[float, str], None]
#: errno values of a full disk or an exhausted quota
DISK_FULL = frozenset(e for e in (errno.ENOSPC, getattr(errno, "EDQUOT", None)) if e is not None)
log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    owner TEXT NOT NULL,
    key TEXT,
    state TEXT NOT NULL,
    progress REAL NOT NULL DEFAULT 0,
    message TEXT NOT NULL DEFAULT '',
    result TEXT,
    error TEXT NOT NULL DEFAULT '',
    worker TEXT NOT NULL,
    created REAL NOT NULL,
    started REAL,
    finished REAL
);
CREATE INDEX IF NOT EXISTS jobs_owner_state ON jobs (owner, state);
CREATE INDEX IF NOT EXISTS jobs_key_state ON jobs (key, state);
CREATE TABLE IF NOT EXISTS workers (
    id TEXT PRIMARY KEY,
    heartbeat REAL NOT NULL
);
"""


class JobLimitError(TooManyRequests):
    """The user already has as many queued or running jobs as allowed (429)."""


@dataclass
class Job:
    """One piece of background work and what is known about it (a row of the store)."""

    id: str
    kind: str
    owner: str
    state: str = "queued"
    progress: float = 0.0
    message: str = ""
    result: Any = None
    error: str = ""
    started: float = 0.0
    finished: float | None = None
    key: str | None = None
    worker: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "state": self.state,
            "progress": round(self.progress, 3), "message": self.message,
            "result": self.result, "error": self.error,
            "elapsed_s": round((self.finished or time.time()) - self.started, 1),
        }

    @property
    def active(self) -> bool:
        return self.state in ACTIVE


class JobStore:
    """The SQLite table of jobs and of the processes running them (safe across processes)."""

    def __init__(self, path: Path | str, stale_s: float = STALE_S) -> None:
        self.path = Path(path)
        self.stale_s = stale_s
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA busy_timeout=30000")
        return db

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    @staticmethod
    def _job(row: sqlite3.Row) -> Job:
        return Job(id=row["id"], kind=row["kind"], owner=row["owner"], state=row["state"],
                   progress=row["progress"], message=row["message"],
                   result=None if row["result"] is None else json.loads(row["result"]),
                   error=row["error"], started=row["started"] or row["created"],
                   finished=row["finished"], key=row["key"], worker=row["worker"])

    def create(self, kind: str, owner: str, worker: str, *, key: str | None = None,
               limit: int | None = None) -> tuple[Job, bool]:
        """A new queued job, or (same key) the active one; ``(job, created)``.

        Raises :class:`JobLimitError` when ``owner`` has ``limit`` active jobs.
        """
        now = time.time()
        with self._write() as db:
            self._fail_lost(db, now)
            if key is not None:
                row = db.execute("SELECT * FROM jobs WHERE key = ? AND state IN ('queued', 'running') "
                                 "ORDER BY created LIMIT 1", (key,)).fetchone()
                if row is not None:
                    return self._job(row), False
            if limit is not None:
                (active,) = db.execute("SELECT COUNT(*) FROM jobs WHERE owner = ? AND state IN "
                                       "('queued', 'running')", (owner,)).fetchone()
                if active >= limit:
                    raise JobLimitError(description=(
                        f"you have {active} jobs queued or running (at most {limit}); wait for "
                        "one to finish, then try again"))
            job = Job(id=uuid.uuid4().hex[:16], kind=kind, owner=owner, started=now, key=key,
                      worker=worker)
            db.execute("INSERT INTO jobs (id, kind, owner, key, state, worker, created) "
                       "VALUES (?, ?, ?, ?, 'queued', ?, ?)",
                       (job.id, kind, owner, key, worker, now))
            db.execute("INSERT INTO workers (id, heartbeat) VALUES (?, ?) ON CONFLICT(id) DO "
                       "UPDATE SET heartbeat = excluded.heartbeat", (worker, now))
            db.execute("DELETE FROM jobs WHERE finished IS NOT NULL AND id NOT IN (SELECT id FROM "
                       "jobs WHERE finished IS NOT NULL ORDER BY finished DESC LIMIT ?)",
                       (KEEP_FINISHED,))
            return job, True

    def update(self, job_id: str, **changes: Any) -> None:
        """Set columns of one job (``result`` is stored as JSON)."""
        if "result" in changes:
            changes["result"] = json.dumps(changes["result"], ensure_ascii=False, default=str)
        columns = ", ".join(f"{name} = ?" for name in changes)
        with self._write() as db:
            db.execute(f"UPDATE jobs SET {columns} WHERE id = ?", (*changes.values(), job_id))  # noqa: S608 - column names are ours

    def progress(self, job_id: str, fraction: float, message: str) -> None:
        with self._write() as db:
            db.execute("UPDATE jobs SET progress = MAX(progress, ?), message = ? WHERE id = ? "
                       "AND state IN ('queued', 'running')",
                       (max(0.0, min(1.0, float(fraction))), message, job_id))

    def beat(self, worker: str) -> None:
        with self._write() as db:
            db.execute("INSERT INTO workers (id, heartbeat) VALUES (?, ?) ON CONFLICT(id) DO "
                       "UPDATE SET heartbeat = excluded.heartbeat", (worker, time.time()))

    def _fail_lost(self, db: sqlite3.Connection, now: float) -> None:
        db.execute(
            "UPDATE jobs SET state = 'failed', error = ?, finished = ? WHERE state IN "
            "('queued', 'running') AND worker NOT IN (SELECT id FROM workers WHERE heartbeat >= ?)",
            (LOST_MESSAGE, now, now - self.stale_s))

    def get(self, job_id: str) -> Job | None:
        """The job (a job of a process that died is reported failed)."""
        db = self._connect()
        try:
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                return None
            job = self._job(row)
            if job.active:
                beat = db.execute("SELECT heartbeat FROM workers WHERE id = ?", (job.worker,)).fetchone()
                if beat is None or beat["heartbeat"] < time.time() - self.stale_s:
                    with self._write() as wdb:
                        self._fail_lost(wdb, time.time())
                    return self.get(job_id)
            return job
        finally:
            db.close()

    def active_count(self, owner: str) -> int:
        db = self._connect()
        try:
            (n,) = db.execute("SELECT COUNT(*) FROM jobs WHERE owner = ? AND state IN "
                              "('queued', 'running')", (owner,)).fetchone()
            return int(n)
        finally:
            db.close()


class JobRunner:
    """Threads of this process that run jobs, and the store they report to; thread-safe."""

    def __init__(self, workers: int = 1, store: JobStore | Path | str | None = None,
                 per_user: int | None = None) -> None:
        if store is None:
            store = Path(tempfile.mkdtemp(prefix="geogrid-jobs-")) / "jobs.sqlite3"
        self.store = store if isinstance(store, JobStore) else JobStore(store)
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
                except sqlite3.Error:  # a busy store: the next beat is soon enough
                    log.warning("job store heartbeat failed", exc_info=True)
                time.sleep(HEARTBEAT_S)

        threading.Thread(target=beat, name="geogrid-job-heartbeat", daemon=True).start()

    def submit(self, kind: str, owner: str, fn: Callable[..., Any], *args: Any,
               key: str | None = None) -> Job:
        """Record and start ``fn(progress, *args)``; with ``key``, an active job of the same
        key is returned instead of starting another."""
        self._start_heartbeat()
        job, created = self.store.create(kind, owner, self.worker, key=key, limit=self.per_user)
        if not created:
            return job
        store = self.store

        def progress(fraction: float, message: str) -> None:
            store.progress(job.id, fraction, message)

        def run() -> None:
            store.update(job.id, state="running", started=time.time())
            try:
                result = fn(progress, *args)
            except GeogridError as err:
                store.update(job.id, state="failed", error=str(err), finished=time.time())
            except Exception as err:  # noqa: BLE001 - reported to the page, never a traceback
                log.exception("job %s (%s) failed", job.id, kind)
                full = isinstance(err, OSError) and err.errno in DISK_FULL
                store.update(job.id, state="failed", finished=time.time(), error=(
                    "the server's disk is full (no space left to write); nothing was saved. "
                    "Tell the administrator to free space." if full
                    else f"internal error ({type(err).__name__}); see the server log"))
            else:
                store.update(job.id, state="done", result=result, progress=1.0, finished=time.time())

        self._pool.submit(run)
        return job

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


def jobs_path(app: Flask) -> Path:
    """The app's job store: ``JOBS_PATH``, else next to the users file (the instance folder)."""
    if app.config.get("JOBS_PATH"):
        return Path(app.config["JOBS_PATH"])
    users = app.config.get("USERS_PATH")
    folder = Path(users).parent if users else Path(app.instance_path)
    return folder / "jobs.sqlite3"


_RUNNERS_LOCK = threading.Lock()


def runner_of(app: Flask) -> JobRunner:
    """The app's job runner in this process (made on first use, again after a fork)."""
    runner = app.extensions.get(_EXTENSION)
    if runner is None or runner.pid != os.getpid():
        with _RUNNERS_LOCK:
            runner = app.extensions.get(_EXTENSION)
            if runner is None or runner.pid != os.getpid():
                runner = JobRunner(int(app.config.get("JOB_WORKERS", 1)), jobs_path(app),
                                   per_user=int(app.config.get("JOBS_PER_USER", 2)))
                app.extensions[_EXTENSION] = runner
    return runner
