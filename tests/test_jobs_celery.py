"""geogrid.jobs.celery: jobs on a real Celery worker with Redis.

The shared job suite (tests/jobs_suite.py) runs against a worker subprocess
(``celery -A geogrid.jobs.celery worker --pool=prefork --concurrency=1``) on a
queue of its own; a worker killed mid-plan has its task delivered again to a
new worker, which completes it with whole files. Skipped, saying why, without
redis-server or celery.
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import jobs_worker
import pytest
from jobs_area import TEAMS, make_patrol_area
from jobs_suite import (  # noqa: F401 - the shared suite, collected here
    assert_whole_plan,
    poll,
    test_failure_messages,
    test_group_of_team_plans_shows_parts,
    test_quota_per_user,
    test_same_key_gives_the_running_job,
    test_submit_progress_result,
)
from jobs_worker import Worker, new_queue, redis_url

from geogrid.jobs import open_runner
from geogrid.jobs.tasks import plan_shift

celery_worker = jobs_worker.celery_worker  # the module-scoped worker fixture, requested by name


@pytest.fixture
def runner(celery_worker: Worker) -> Any:
    from geogrid.jobs.celery import CeleryRunner

    return CeleryRunner(celery_worker.url, per_user=2, queue=celery_worker.queue)


@pytest.fixture
def owner() -> str:
    return f"wang-{uuid.uuid4().hex[:6]}"


def test_worker_killed_mid_plan_is_retried_on_a_new_worker(tmp_path: Path) -> None:
    """SIGKILL of the worker (and its pool process) while it solves a plan: the job stays
    active, a new worker gets the task again (second attempt) and completes it; the day's
    files are whole, none half-written."""
    from geogrid.jobs.celery import PREFIX, CeleryRunner, _redis

    url, queue = redis_url(), new_queue()
    folder, config = make_patrol_area(tmp_path / "area")
    day = date.today().isoformat()
    first = Worker(url, queue, tmp_path)
    try:
        runner = CeleryRunner(url, queue=queue)
        job = runner.submit("patrol", "wang", plan_shift, str(folder), day, str(config), 2.0, None)
        poll(runner, job.id, lambda j: j.message.startswith("solving routes"), 120)
        first.kill()
        assert runner.get(job.id).active, "a lost worker's job is not failed: it is delivered again"
    finally:
        first.stop()
    second = Worker(url, queue, tmp_path)
    try:
        done = runner.wait(job.id, 90)
    finally:
        second.stop()
    assert done.state == "done", done.error
    assert int(_redis(url).get(f"{PREFIX}attempts:{job.id}")) == 2
    assert "started again (attempt 2)" in second.text() or done.result["visited"] > 0
    assert_whole_plan(folder / "plans" / "web" / day, TEAMS)


def test_other_callables_run_here_recorded_in_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    """A callable that is not a registered task (it needs this process) runs on a thread here;
    its record is in Redis, so another web node reads its progress and result."""
    url = redis_url()
    monkeypatch.setenv("GEOGRID_BROKER_URL", url)
    here, there = open_runner(), open_runner()
    assert here.distributed
    gate = threading.Event()

    def work(progress):
        progress(0.3, "counting")
        gate.wait(5)
        return {"n": 2}

    job = here.submit("test", f"li-{uuid.uuid4().hex[:6]}", work)
    assert poll(there, job.id, lambda j: j.message == "counting").progress == 0.3
    gate.set()
    assert there.wait(job.id).result == {"n": 2}


def test_thread_job_of_a_dead_web_node_is_failed() -> None:
    """A job on a thread of a node that stopped beating (its key expired) is reported failed."""
    from geogrid.jobs.celery import CeleryRunner

    runner = CeleryRunner(redis_url(), stale_s=1)
    job, _ = runner.records.create("patrol", "wang", f"gone-{uuid.uuid4().hex[:6]}")
    runner.records.update(job.id, state="running")
    runner.records.beat(job.worker)
    assert runner.get(job.id).state == "running"
    time.sleep(1.3)
    lost = runner.get(job.id)
    assert lost.state == "failed" and "start it again" in lost.error


def test_arguments_must_be_plain_data(celery_worker: Worker) -> None:
    """A registered task with arguments JSON cannot carry is refused before anything is sent."""
    from geogrid.jobs.celery import CeleryRunner

    runner = CeleryRunner(celery_worker.url, queue=celery_worker.queue)
    with pytest.raises(TypeError, match="plain data"):
        runner.submit("patrol", "wang", plan_shift, Path("/x"), "2026-01-01", object(), 1.0)


def test_wait_reads_one_part_per_poll(
    runner: Any, owner: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Waiting for a group follows its oldest unfinished part: the part states read while
    waiting are at most one per poll plus one per part (and every part once at the end), not
    every part at every poll; waiting again on the finished job (its parts' results forgotten)
    returns it at once."""
    import types

    import geogrid.jobs.celery as celery_module
    from geogrid.jobs.tasks import probe

    reads, sleeps = [0], [0]

    class CountingResult(celery_module.AsyncResult):  # type: ignore[misc]
        @property
        def state(self) -> str:
            reads[0] += 1
            return str(super().state)

    def sleep(seconds: float) -> None:
        sleeps[0] += 1
        time.sleep(seconds)

    parts = 6
    job = runner.submit_group("probe", owner, probe, [[2, 0.1]] * parts)
    monkeypatch.setattr(celery_module, "AsyncResult", CountingResult)
    monkeypatch.setattr(
        celery_module,
        "time",
        types.SimpleNamespace(time=time.time, monotonic=time.monotonic, sleep=sleep),
    )
    done = runner.wait(job.id, 60)
    assert done.state == "done" and done.result == [{"steps": 2}] * parts
    assert reads[0] <= (sleeps[0] + 1) + parts + parts, (reads[0], sleeps[0])
    again = runner.wait(job.id, 5)
    assert again.state == "done" and again.result == done.result
