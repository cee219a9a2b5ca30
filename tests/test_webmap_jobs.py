"""webmap.jobs: background jobs with ids, progress, errors as messages, status for the owner and
planners; state in a SQLite store shared by worker processes, a quota per user, dead workers."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from webmap_staff import sign_in, staff_app

from geogrid.errors import InputError
from webmap.jobs import JobRunner, runner_of


def test_progress_result_and_failures() -> None:
    """A job reports progress while it runs, its result when done, and errors as messages."""
    runner = JobRunner()
    gate = threading.Event()

    def work(progress, n):
        progress(0.5, "half way")
        gate.wait(5)
        return n * 2

    job = runner.submit("test", "wang", work, 21)
    while runner.get(job.id).message != "half way":
        pass
    assert runner.get(job.id).as_json()["progress"] == 0.5
    gate.set()
    done = runner.wait(job.id)
    assert done.state == "done" and done.result == 42 and done.progress == 1.0

    def bad_input(progress):
        raise InputError("grid 7 is locked; unlock it first")

    def crash(progress):
        raise RuntimeError("secret internals")

    assert "unlock it first" in runner.wait(runner.submit("t", "w", bad_input).id).error
    failed = runner.wait(runner.submit("t", "w", crash).id)
    assert failed.state == "failed" and "secret internals" not in failed.error and "server log" in failed.error


def test_status_endpoint_is_for_the_owner(tmp_path: Path) -> None:
    """The user who started a job, planners and admins may poll it; other team leaders get 404,
    the public 401."""
    from webmap_staff import grids_area

    app = staff_app(grids_area(tmp_path / "area"), tmp_path / "users.json")
    job = runner_of(app).submit("regenerate", "plan", lambda progress: "ok")
    runner_of(app).wait(job.id)
    assert app.test_client().get(f"/api/jobs/{job.id}").status_code == 401
    for name, status in (("plan", 200), ("plan2", 200), ("lead1", 404), ("boss", 200)):
        client = app.test_client()
        sign_in(client, name)
        assert client.get(f"/api/jobs/{job.id}").status_code == status, name


@pytest.mark.parametrize("workers", [1, 2])
def test_runner_of_is_one_per_app(tmp_path: Path, workers: int) -> None:
    """runner_of gives the same runner for the same app."""
    app = staff_app(tmp_path / "area", tmp_path / "users.json", JOB_WORKERS=workers)
    assert runner_of(app) is runner_of(app)


def test_store_is_shared_between_runners(tmp_path: Path) -> None:
    """A second runner on the same store (another worker process) sees the job and its progress."""
    from webmap.jobs import JobStore

    path = tmp_path / "jobs.sqlite3"
    first, second = JobRunner(store=path), JobRunner(store=JobStore(path))
    gate = threading.Event()

    def work(progress):
        progress(0.4, "counting")
        gate.wait(5)
        return {"n": 3}

    job = first.submit("test", "wang", work)
    while (seen := second.get(job.id)) is None or seen.message != "counting":
        time.sleep(0.01)
    assert seen.state == "running" and seen.progress == 0.4
    gate.set()
    assert second.wait(job.id).result == {"n": 3}


def test_quota_per_user(tmp_path: Path) -> None:
    """A user may have JOBS_PER_USER jobs queued or running; one more is 429, another user is fine."""
    from webmap.jobs import JobLimitError

    runner = JobRunner(store=tmp_path / "jobs.sqlite3", per_user=2)
    gate = threading.Event()
    jobs = [runner.submit("t", "wang", lambda progress: gate.wait(5)) for _ in range(2)]
    with pytest.raises(JobLimitError) as info:
        runner.submit("t", "wang", lambda progress: None)
    assert info.value.code == 429 and "at most 2" in info.value.description
    runner.wait(runner.submit("t", "li", lambda progress: None).id)
    gate.set()
    for job in jobs:
        runner.wait(job.id)
    runner.wait(runner.submit("t", "wang", lambda progress: None).id)  # free again


def test_job_of_a_dead_worker_is_reported_failed(tmp_path: Path) -> None:
    """A running job whose process stopped beating its heartbeat is failed, with a clear message."""
    from webmap.jobs import JobStore

    store = JobStore(tmp_path / "jobs.sqlite3", stale_s=0.5)
    job, created = store.create("patrol", "wang", "gone-host:123")
    store.update(job.id, state="running")
    assert created and store.get(job.id).state == "running"
    time.sleep(0.7)
    lost = store.get(job.id)
    assert lost.state == "failed" and "stopped" in lost.error and "start it again" in lost.error
