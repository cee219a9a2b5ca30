"""webmap.jobs: background jobs with ids, progress, errors as messages, owner-only status."""

from __future__ import annotations

import threading
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
    """Only the user who started a job (or an admin) may poll it; others get 404, the public 401."""
    from webmap_staff import grids_area

    app = staff_app(grids_area(tmp_path / "area"), tmp_path / "users.json")
    job = runner_of(app).submit("regenerate", "plan", lambda progress: "ok")
    runner_of(app).wait(job.id)
    assert app.test_client().get(f"/api/jobs/{job.id}").status_code == 401
    for name, status in (("plan", 200), ("plan2", 404), ("boss", 200)):
        client = app.test_client()
        sign_in(client, name)
        assert client.get(f"/api/jobs/{job.id}").status_code == status, name


@pytest.mark.parametrize("workers", [1, 2])
def test_runner_of_is_one_per_app(tmp_path: Path, workers: int) -> None:
    """runner_of gives the same runner for the same app."""
    app = staff_app(tmp_path / "area", tmp_path / "users.json", JOB_WORKERS=workers)
    assert runner_of(app) is runner_of(app)
