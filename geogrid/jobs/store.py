"""The job record and the embedded job store: one SQLite file shared by every process.

A job is one piece of background work (a patrol plan, a rota, a rebalance, an
import) with an id, an owner, a state (``queued | running | done | failed``),
progress ``0..1`` with a message, a small JSON result (file paths and a
summary) or an error message a person can act on, and its parts (a job fanned
out over team groups has ``parts_total > 1``; ``parts_done`` of them finished).

:class:`JobStore` keeps jobs in SQLite (WAL mode, every change in
``BEGIN IMMEDIATE``), next to the web app's users file by default, so every
gunicorn worker of one machine answers for every job. Every process that runs
jobs beats a heartbeat into the store; a queued or running job whose process
has been silent for ``STALE_S`` seconds (killed or restarted) is reported
failed with :data:`LOST_MESSAGE`. An owner may have at most ``limit`` queued or
running jobs (:class:`JobLimitError`). The Celery backend keeps the same
records in Redis instead (:mod:`geogrid.jobs.celery`).
"""

from __future__ import annotations

import errno
import json
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from geogrid.errors import GeogridError

#: finished jobs kept for polling, oldest dropped first
KEEP_FINISHED = 500
#: seconds between heartbeats of a process that runs jobs
HEARTBEAT_S = 2.0
#: a process silent this long is gone: its unfinished jobs are reported failed
STALE_S = 30.0
ACTIVE = ("queued", "running")
LOST_MESSAGE = (
    "the server process running this job stopped (restarted or killed) before it "
    "finished; start it again"
)
DISK_FULL_MESSAGE = (
    "the server's disk is full (no space left to write); nothing was saved. "
    "Tell the administrator to free space."
)

#: ``progress(fraction, message)``: what a job function calls as it goes
Progress = Callable[[float, str], None]
#: errno values of a full disk or an exhausted quota
DISK_FULL = frozenset(e for e in (errno.ENOSPC, getattr(errno, "EDQUOT", None)) if e is not None)

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
#: columns added after the first release (a store file made before gets them on open)
_ADDED_COLUMNS = {
    "parts_done": "INTEGER NOT NULL DEFAULT 0",
    "parts_total": "INTEGER NOT NULL DEFAULT 1",
}


class JobLimitError(GeogridError):
    """The user already has as many queued or running jobs as allowed (the web says 429)."""


class JobFailed(Exception):  # noqa: N818 - the message is what a person reads
    """A job ended with an error; the message is for the person who started it.

    Raised by the Celery task wrapper so that the failure (not a traceback)
    travels through the result backend.
    """


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
    started: float = 0.0
    finished: float | None = None
    key: str | None = None
    worker: str = ""
    parts_done: int = 0
    parts_total: int = 1

    def as_json(self) -> dict[str, Any]:
        """The status a page polls (``GET /api/jobs/<id>``)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "state": self.state,
            "progress": round(self.progress, 3),
            "message": self.message,
            "result": self.result,
            "error": self.error,
            "elapsed_s": round((self.finished or time.time()) - self.started, 1),
            "parts": {"done": self.parts_done, "total": self.parts_total},
        }

    @property
    def active(self) -> bool:
        return self.state in ACTIVE


def error_message(err: BaseException) -> str:
    """What a person reads about a failed job: a GeogridError's own words, a full disk said
    plainly, anything else as an internal error without its internals."""
    if isinstance(err, GeogridError | JobFailed):
        return str(err)
    if isinstance(err, OSError) and err.errno in DISK_FULL:
        return DISK_FULL_MESSAGE
    return f"internal error ({type(err).__name__}); see the server log"


class Records(Protocol):
    """Where a runner keeps its jobs (:class:`JobStore`, or Redis under Celery)."""

    def create(
        self,
        kind: str,
        owner: str,
        worker: str,
        *,
        key: str | None = None,
        limit: int | None = None,
        parts: int = 1,
    ) -> tuple[Job, bool]: ...

    def update(self, job_id: str, **changes: Any) -> None: ...

    def progress(self, job_id: str, fraction: float, message: str) -> None: ...

    def beat(self, worker: str) -> None: ...

    def get(self, job_id: str) -> Job | None: ...

    def active_count(self, owner: str) -> int: ...


def limit_message(active: int, limit: int) -> str:
    return (
        f"you have {active} jobs queued or running (at most {limit}); wait for one to "
        "finish, then try again"
    )


class JobStore:
    """The SQLite table of jobs and of the processes running them (safe across processes)."""

    def __init__(self, path: Path | str, stale_s: float = STALE_S) -> None:
        self.path = Path(path)
        self.stale_s = stale_s
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = self._connect()
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
        finally:
            db.close()
        with self._write() as db:  # a store made by an older geogrid gets the new columns
            have = {row["name"] for row in db.execute("PRAGMA table_info(jobs)")}
            for name, decl in _ADDED_COLUMNS.items():
                if name not in have:
                    db.execute(f"ALTER TABLE jobs ADD COLUMN {name} {decl}")

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
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            if db.in_transaction:
                db.execute("COMMIT")
        finally:
            db.close()

    @staticmethod
    def _job(row: sqlite3.Row) -> Job:
        return Job(
            id=row["id"],
            kind=row["kind"],
            owner=row["owner"],
            state=row["state"],
            progress=row["progress"],
            message=row["message"],
            result=None if row["result"] is None else json.loads(row["result"]),
            error=row["error"],
            started=row["started"] or row["created"],
            finished=row["finished"],
            key=row["key"],
            worker=row["worker"],
            parts_done=row["parts_done"],
            parts_total=row["parts_total"],
        )

    def create(
        self,
        kind: str,
        owner: str,
        worker: str,
        *,
        key: str | None = None,
        limit: int | None = None,
        parts: int = 1,
    ) -> tuple[Job, bool]:
        """A new queued job, or (same key) the active one; ``(job, created)``.

        Raises :class:`JobLimitError` when ``owner`` has ``limit`` active jobs.
        """
        now = time.time()
        with self._write() as db:
            self._fail_lost(db, now)
            if key is not None:
                row = db.execute(
                    "SELECT * FROM jobs WHERE key = ? AND state IN ('queued', 'running') "
                    "ORDER BY created LIMIT 1",
                    (key,),
                ).fetchone()
                if row is not None:
                    return self._job(row), False
            if limit is not None:
                (active,) = db.execute(
                    "SELECT COUNT(*) FROM jobs WHERE owner = ? AND state IN ('queued', 'running')",
                    (owner,),
                ).fetchone()
                if active >= limit:
                    raise JobLimitError(limit_message(active, limit))
            job = Job(
                id=uuid.uuid4().hex[:16],
                kind=kind,
                owner=owner,
                started=now,
                key=key,
                worker=worker,
                parts_total=parts,
            )
            db.execute(
                "INSERT INTO jobs (id, kind, owner, key, state, worker, created, parts_total) "
                "VALUES (?, ?, ?, ?, 'queued', ?, ?, ?)",
                (job.id, kind, owner, key, worker, now, parts),
            )
            db.execute(
                "INSERT INTO workers (id, heartbeat) VALUES (?, ?) ON CONFLICT(id) DO "
                "UPDATE SET heartbeat = excluded.heartbeat",
                (worker, now),
            )
            db.execute(
                "DELETE FROM jobs WHERE finished IS NOT NULL AND id NOT IN (SELECT id FROM "
                "jobs WHERE finished IS NOT NULL ORDER BY finished DESC LIMIT ?)",
                (KEEP_FINISHED,),
            )
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
            db.execute(
                "UPDATE jobs SET progress = MAX(progress, ?), message = ? WHERE id = ? "
                "AND state IN ('queued', 'running')",
                (max(0.0, min(1.0, float(fraction))), message, job_id),
            )

    def beat(self, worker: str) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO workers (id, heartbeat) VALUES (?, ?) ON CONFLICT(id) DO "
                "UPDATE SET heartbeat = excluded.heartbeat",
                (worker, time.time()),
            )

    def _fail_lost(self, db: sqlite3.Connection, now: float) -> None:
        db.execute(
            "UPDATE jobs SET state = 'failed', error = ?, finished = ? WHERE state IN "
            "('queued', 'running') AND worker NOT IN (SELECT id FROM workers WHERE heartbeat >= ?)",
            (LOST_MESSAGE, now, now - self.stale_s),
        )

    def get(self, job_id: str) -> Job | None:
        """The job (a job of a process that died is reported failed)."""
        db = self._connect()
        try:
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                return None
            job = self._job(row)
            if job.active:
                beat = db.execute(
                    "SELECT heartbeat FROM workers WHERE id = ?", (job.worker,)
                ).fetchone()
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
            (n,) = db.execute(
                "SELECT COUNT(*) FROM jobs WHERE owner = ? AND state IN ('queued', 'running')",
                (owner,),
            ).fetchone()
            return int(n)
        finally:
            db.close()
