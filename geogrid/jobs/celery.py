"""Jobs on Celery workers, with Redis as broker, result backend and job records.

Used when ``GEOGRID_BROKER_URL`` (e.g. ``redis://127.0.0.1:6379/0``) is set.
Start a worker on every worker node with::

    celery -A geogrid.jobs.celery worker --pool=prefork --concurrency=2

:class:`CeleryRunner` has the interface of :class:`geogrid.jobs.local.LocalRunner`.
A registered task (:data:`geogrid.jobs.tasks.TASKS`) is sent to the workers as
``geogrid.run(job_id, name, args)`` with plain JSON arguments; a group of parts
(the nightly plan of many teams, one part per team group) is a Celery
``group``, and the job's progress is finished parts / parts. Any other callable
(one that needs the web app, say) runs on a thread of the submitting process,
recorded in Redis so every web node answers for it. The job records (owner,
kind, key, task ids, the per-user quota) live in Redis under ``geogrid:jobs:``;
progress travels as task state ``PROGRESS`` with ``{progress, message}``;
results are small (file paths and a summary).

Lost workers: tasks are acknowledged late (``acks_late``), a task whose pool
process died is rejected and queued again (``task_reject_on_worker_lost``),
and a task whose whole worker died is delivered again once its message has
been unacknowledged for ``GEOGRID_JOB_VISIBILITY_S`` seconds (default 7200;
longer than any job). Tasks go to the queue ``GEOGRID_JOB_QUEUE`` (default
``geogrid``); web nodes and workers of one deployment name the same one. A
task is tried at most :data:`MAX_ATTEMPTS` times, then fails with a message
saying so. One task at a time per pool process
(``worker_prefetch_multiplier=1``). Each pool process compiles numba code
into its own ``NUMBA_CACHE_DIR`` (under ``GEOGRID_NUMBA_CACHE_DIR``).

This is the only module that imports celery (an import-linter contract).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import redis
from billiard.process import current_process
from celery import Celery, group, signals
from celery.result import AsyncResult

from geogrid.errors import GeogridError
from geogrid.jobs import tasks as T
from geogrid.jobs.local import LocalRunner, part_failures
from geogrid.jobs.store import (
    LOST_MESSAGE,
    STALE_S,
    Job,
    JobFailed,
    JobLimitError,
    error_message,
    limit_message,
)

ENV_BROKER = "GEOGRID_BROKER_URL"
ENV_VISIBILITY = "GEOGRID_JOB_VISIBILITY_S"
ENV_NUMBA = "GEOGRID_NUMBA_CACHE_DIR"
ENV_QUEUE = "GEOGRID_JOB_QUEUE"
DEFAULT_QUEUE = "geogrid"
DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
#: the one Celery task: runs a registered task function by name
RUN_TASK = "geogrid.run"
#: deliveries of one task before it is failed (the first and two after lost workers)
MAX_ATTEMPTS = 3
#: job records, attempt counters and results are kept this long
KEEP_S = 7 * 24 * 3600
PREFIX = "geogrid:jobs:"
FINISHED = ("SUCCESS", "FAILURE", "REVOKED")
#: longest pause between two looks at a job in :meth:`CeleryRunner.wait`
WAIT_INTERVAL_S = 0.5
log = logging.getLogger(__name__)


def attempts_message(stopped: int) -> str:
    return (
        f"the worker running this job stopped {stopped} times before it finished (killed, "
        "restarted or out of memory); it is not tried again. Tell the administrator"
    )


def _visibility_s() -> int:
    return int(float(os.environ.get(ENV_VISIBILITY) or 7200))


def make_celery(broker_url: str, queue: str = DEFAULT_QUEUE) -> Celery:
    """A Celery app on ``broker_url`` (Redis: broker and result backend) with ``geogrid.run``,
    sending to and consuming from ``queue``."""
    visibility = _visibility_s()
    app = Celery("geogrid", broker=broker_url, backend=broker_url, set_as_current=False)
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_track_started=True,
        result_expires=KEEP_S,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": visibility,
            "unacked_restore_interval": max(1, min(10, visibility // 2)),
            "unacked_restore_throttle": 1,
        },
        result_backend_transport_options={"visibility_timeout": visibility},
        worker_hijack_root_logger=False,
        task_default_queue=queue,
    )
    app.task(name=RUN_TASK, bind=True, throws=(JobFailed,))(_run)
    return app


def _run(self: Any, job_id: str, name: str, args: list[Any]) -> Any:
    """The Celery task: run ``TASKS[name](progress, *args)`` and report its progress."""
    task_id = self.request.id
    client = _redis(self.app.conf.broker_url)
    counter = f"{PREFIX}attempts:{task_id}"
    attempt = int(client.incr(counter))
    client.expire(counter, KEEP_S)
    if attempt > MAX_ATTEMPTS:
        raise JobFailed(attempts_message(attempt - 1))
    fn = T.TASKS.get(name)
    if fn is None:
        raise JobFailed(f"internal error (no task {name!r} on this worker); see the server log")
    best = [0.0]

    def progress(fraction: float, message: str) -> None:  # also from the solver clock's thread
        best[0] = max(best[0], 0.0, min(1.0, float(fraction)))
        self.update_state(
            task_id=task_id,
            state="PROGRESS",
            meta={"progress": best[0], "message": message, "attempt": attempt},
        )

    progress(0.0, "started" if attempt == 1 else f"started again (attempt {attempt})")
    try:
        return fn(progress, *args)
    except Exception as err:
        if not isinstance(err, GeogridError):
            log.exception("job %s (%s) failed", job_id, name)
        raise JobFailed(error_message(err)) from None


_APPS: dict[tuple[str, str], Celery] = {}
_APPS_LOCK = threading.Lock()
_CLIENTS: dict[str, redis.Redis] = {}  # str answers (decode_responses)


def _redis(url: str) -> redis.Redis:
    client = _CLIENTS.get(url)
    if client is None:
        client = _CLIENTS[url] = redis.Redis.from_url(
            url, socket_timeout=30, socket_connect_timeout=10, decode_responses=True
        )
    return client


def celery_app(broker_url: str | None = None, queue: str | None = None) -> Celery:
    """The Celery app of ``broker_url`` (default ``GEOGRID_BROKER_URL``) and ``queue`` (default
    ``GEOGRID_JOB_QUEUE``, else ``geogrid``), one per URL and queue."""
    url = broker_url or os.environ.get(ENV_BROKER) or DEFAULT_BROKER
    name = queue or os.environ.get(ENV_QUEUE) or DEFAULT_QUEUE
    with _APPS_LOCK:
        if (url, name) not in _APPS:
            _APPS[url, name] = make_celery(url, name)
        return _APPS[url, name]


#: the app ``celery -A geogrid.jobs.celery worker`` runs
app = celery_app()


def own_numba_cache(**_: Any) -> None:
    """Give each pool process its own numba cache folder (compiled code is not shared)."""
    base = Path(os.environ.get(ENV_NUMBA) or Path(tempfile.gettempdir()) / "geogrid-numba")
    folder = base / f"{socket.gethostname()}-{current_process().index}"
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["NUMBA_CACHE_DIR"] = str(folder)
    loaded = sys.modules.get("numba.core.config")  # loaded before the fork: read the env again
    if loaded is not None:
        loaded.reload_config()


signals.worker_process_init.connect(own_numba_cache)


def _encode(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


class RedisRecords:
    """Job records in Redis (the :class:`geogrid.jobs.store.Records` of the Celery backend).

    A record is a hash ``geogrid:jobs:job:<id>`` of JSON values. Jobs on threads
    (``mode`` thread) keep their state there and beat ``geogrid:jobs:worker:<id>``
    (expiring after ``stale_s``); jobs on Celery (``mode`` celery) read it from
    their tasks' results until they finish, then keep it.
    """

    def __init__(self, broker_url: str, celery: Celery, stale_s: float = STALE_S) -> None:
        self.client = _redis(broker_url)
        self.celery = celery
        self.stale_s = stale_s

    def _key(self, job_id: str) -> str:
        return f"{PREFIX}job:{job_id}"

    def _read(self, job_id: str) -> dict[str, Any] | None:
        raw = self.client.hgetall(self._key(job_id))
        if not raw:
            return None
        return {str(k): json.loads(v) for k, v in raw.items()}

    def create(
        self,
        kind: str,
        owner: str,
        worker: str,
        *,
        key: str | None = None,
        limit: int | None = None,
        parts: int = 1,
        mode: str = "thread",
        tasks: Sequence[str] = (),
    ) -> tuple[Job, bool]:
        """A new queued job, or (same key) the active one; ``(job, created)``."""
        with self.client.lock(f"{PREFIX}lock", timeout=30, blocking_timeout=30):
            if key is not None:
                same = self.client.get(f"{PREFIX}key:{key}")
                if same is not None:
                    job = self.get(str(same))
                    if job is not None and job.active:
                        return job, False
            if limit is not None:
                active = self.active_count(owner)
                if active >= limit:
                    raise JobLimitError(limit_message(active, limit))
            now = time.time()
            job = Job(
                id=uuid.uuid4().hex[:16],
                kind=kind,
                owner=owner,
                started=now,
                key=key,
                worker=worker,
                parts_total=parts,
            )
            record = {
                "kind": kind,
                "owner": owner,
                "key": key,
                "state": "queued",
                "progress": 0.0,
                "message": "",
                "result": None,
                "error": "",
                "worker": worker,
                "started": now,
                "finished": None,
                "parts_done": 0,
                "parts_total": parts,
                "mode": mode,
                "tasks": list(tasks) or ([job.id] if mode == "celery" and parts == 1 else []),
            }
            pipe = self.client.pipeline()
            pipe.hset(self._key(job.id), mapping={k: _encode(v) for k, v in record.items()})
            pipe.expire(self._key(job.id), KEEP_S)
            pipe.sadd(f"{PREFIX}owner:{owner}", job.id)
            pipe.expire(f"{PREFIX}owner:{owner}", KEEP_S)
            if key is not None:
                pipe.set(f"{PREFIX}key:{key}", job.id, ex=KEEP_S)
            pipe.execute()
            return job, True

    def update(self, job_id: str, **changes: Any) -> None:
        self.client.hset(self._key(job_id), mapping={k: _encode(v) for k, v in changes.items()})

    def progress(self, job_id: str, fraction: float, message: str) -> None:
        record = self._read(job_id)
        if record is None or record["state"] not in ("queued", "running"):
            return
        self.update(
            job_id,
            progress=max(record["progress"], 0.0, min(1.0, float(fraction))),
            message=message,
        )

    def beat(self, worker: str) -> None:
        self.client.set(f"{PREFIX}worker:{worker}", "1", ex=max(1, int(self.stale_s)))

    def get(self, job_id: str) -> Job | None:
        record = self._read(job_id)
        if record is None:
            return None
        job = Job(
            id=job_id,
            kind=record["kind"],
            owner=record["owner"],
            state=record["state"],
            progress=record["progress"],
            message=record["message"],
            result=record["result"],
            error=record["error"],
            started=record["started"],
            finished=record["finished"],
            key=record["key"],
            worker=record["worker"],
            parts_done=record["parts_done"],
            parts_total=record["parts_total"],
        )
        if not job.active:
            return job
        if record["mode"] == "celery":
            return self._from_tasks(job, record["tasks"])
        if not self.client.exists(f"{PREFIX}worker:{job.worker}"):
            self.update(job_id, state="failed", error=LOST_MESSAGE, finished=time.time())
            return self.get(job_id)
        return job

    def _from_tasks(self, job: Job, task_ids: list[str]) -> Job:
        """The job as its Celery tasks say; a finished job's state is kept in its record."""
        if not task_ids:
            return job
        results = [AsyncResult(t, app=self.celery) for t in task_ids]
        states = [r.state for r in results]
        total = len(results)
        fractions, messages = [], []
        for r, state in zip(results, states, strict=True):
            info = r.info if state == "PROGRESS" and isinstance(r.info, dict) else {}
            fractions.append(1.0 if state in FINISHED else float(info.get("progress", 0.0)))
            if info.get("message"):
                messages.append(str(info["message"]))
        job.parts_total = total
        job.parts_done = sum(state in FINISHED for state in states)
        job.progress = max(job.progress, sum(fractions) / total)
        if total > 1:
            job.message = f"{job.parts_done} of {total} parts done" + (
                f"; {messages[-1]}" if messages else ""
            )
        elif messages:
            job.message = messages[-1]
        if job.parts_done < total:
            job.state = "queued" if all(s == "PENDING" for s in states) else "running"
            return job
        errors = []
        for n, (r, state) in enumerate(zip(results, states, strict=True), 1):
            if state == "REVOKED":
                errors.append((n, "cancelled"))
            elif state == "FAILURE":
                err = r.result
                errors.append(
                    (n, error_message(err) if isinstance(err, BaseException) else str(err))
                )
        job.finished = time.time()
        if errors:
            job.state = "failed"
            job.error = errors[0][1] if total == 1 else part_failures(errors, total)
        else:
            job.state, job.progress = "done", 1.0
            job.result = results[0].result if total == 1 else [r.result for r in results]
            job.message = "done"
        self.update(
            job.id,
            state=job.state,
            error=job.error,
            result=job.result,
            progress=job.progress,
            message=job.message,
            finished=job.finished,
            parts_done=job.parts_done,
            parts_total=job.parts_total,
        )
        for r in results:
            r.forget()
        return job

    def celery_tasks(self, job_id: str) -> list[str] | None:
        """The Celery task ids of a job sent to the workers (``None``: no such job, or one on a
        thread here)."""
        raw = self.client.hmget(self._key(job_id), ["mode", "tasks"])
        if raw[0] is None or json.loads(raw[0]) != "celery":
            return None
        return [str(t) for t in json.loads(raw[1] or "[]")]

    def kept_state(self, job_id: str) -> str | None:
        """The state kept in a job's record (``done`` or ``failed`` once someone has read it
        finished; its parts' results are then forgotten)."""
        raw = self.client.hget(self._key(job_id), "state")
        return None if raw is None else str(json.loads(raw))

    def active_count(self, owner: str) -> int:
        count = 0
        for raw in self.client.smembers(f"{PREFIX}owner:{owner}"):
            job = self.get(str(raw))
            if job is not None and job.active:
                count += 1
            else:
                self.client.srem(f"{PREFIX}owner:{owner}", raw)
        return count


class CeleryRunner(LocalRunner):
    """Jobs sent to Celery workers (registered tasks) or run on threads here (anything else),
    all recorded in Redis; the interface of :class:`geogrid.jobs.local.LocalRunner`."""

    distributed = True

    def __init__(
        self,
        broker_url: str | None = None,
        workers: int = 1,
        per_user: int | None = None,
        stale_s: float = STALE_S,
        queue: str | None = None,
    ) -> None:
        url = broker_url or os.environ.get(ENV_BROKER) or DEFAULT_BROKER
        self.celery = celery_app(url, queue)
        self.records = RedisRecords(url, self.celery, stale_s)
        super().__init__(workers, self.records, per_user)

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
        name = T.task_name(fn)
        if name is None:
            return super().submit_group(kind, owner, fn, parts, key=key, single=single)
        plain = [list(p) for p in parts]
        if not plain:
            raise ValueError("a job needs at least one part")
        try:
            json.dumps(plain)
        except TypeError as err:
            raise TypeError(f"task {name}: arguments must be plain data (JSON): {err}") from err
        job, created = self.records.create(
            kind, owner, self.worker, key=key, limit=self.per_user, parts=len(plain), mode="celery"
        )
        if not created:
            return job
        if len(plain) == 1 and single:
            self.celery.send_task(RUN_TASK, args=(job.id, name, plain[0]), task_id=job.id)
        else:
            sent = group(
                self.celery.signature(RUN_TASK, args=(job.id, name, p)) for p in plain
            ).apply_async()
            self.records.update(job.id, tasks=[r.id for r in sent.results])
        return job

    def wait(
        self, job_id: str, timeout_s: float = 30.0, *, interval_s: float = WAIT_INTERVAL_S
    ) -> Job:
        """Block until the job is finished (tests and the CLI; never from a view).

        A job on the workers is followed through its oldest unfinished part only: one
        result-backend read per poll, not one per part (parts are taken from the queue in
        order, so the oldest is the next to finish), polls backing off from 20 ms to
        ``interval_s``. All parts are read once, when the last has finished. (Reading every
        part's state every 50 ms cost the waiting process about half a core at 684 parts.)
        """
        tasks = self.records.celery_tasks(job_id)
        if tasks is None:
            return super().wait(job_id, timeout_s)
        deadline = time.monotonic() + timeout_s
        pause = min(0.02, interval_s)
        pending = list(reversed(tasks))  # the oldest part last: pop() takes it
        while True:
            while pending and AsyncResult(pending[-1], app=self.celery).state in FINISHED:
                pending.pop()
            if not pending or self.records.kept_state(job_id) not in ("queued", "running"):
                job = self.get(job_id)
                if job is not None and not job.active:
                    return job
            if time.monotonic() >= deadline:
                raise TimeoutError(f"job {job_id} still running after {timeout_s} s")
            time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
            pause = min(interval_s, pause * 1.5)
