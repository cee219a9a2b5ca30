"""webmap.jobs: the web app's adapter over geogrid.jobs: one runner per app and process, embedded
or Celery by config, 429 beyond the per-user quota, status for the owner and planners, and a
patrol plan of many teams as one job of parts whose status counts them."""

from __future__ import annotations

import threading
import time
from datetime import date
from pathlib import Path

import pytest
from jobs_area import make_patrol_area
from webmap_staff import sign_in, staff_app

from geogrid.errors import InputError
from webmap.jobs import JobLimitError, JobRunner, broker_url, runner_of


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
    assert (
        failed.state == "failed"
        and "secret internals" not in failed.error
        and "server log" in failed.error
    )


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
    """runner_of gives the same runner for the same app; embedded without a broker."""
    app = staff_app(
        tmp_path / "area", tmp_path / "users.json", JOB_WORKERS=workers, JOBS_BROKER_URL=""
    )
    assert runner_of(app) is runner_of(app) and not runner_of(app).distributed


def test_broker_from_config_else_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """JOBS_BROKER_URL wins; unset, GEOGRID_BROKER_URL of the environment says it."""
    monkeypatch.setenv("GEOGRID_BROKER_URL", "redis://10.0.0.5:6379/0")
    app = staff_app(tmp_path / "area", tmp_path / "users.json")
    assert broker_url(app) == "redis://10.0.0.5:6379/0"
    app.config["JOBS_BROKER_URL"] = ""
    assert broker_url(app) == ""


def test_quota_per_user_is_429(tmp_path: Path) -> None:
    """A user may have JOBS_PER_USER jobs queued or running; one more is 429, another user is
    fine."""
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


def test_plan_of_many_teams_shows_parts(tmp_path: Path) -> None:
    """With PATROL_TEAMS_PER_PART=1 a team leader's plan of three teams is one job of three
    parts: the polled status says parts done of 3, and the day's plan has every team."""
    folder, config = make_patrol_area(tmp_path / "area")
    app = staff_app(
        folder,
        tmp_path / "users.json",
        PATROL_CONFIG=str(config),
        PATROL_TIME_LIMIT_S=1.0,
        PATROL_TEAMS_PER_PART=1,
        JOBS_BROKER_URL="",
    )
    client = app.test_client()
    token = sign_in(client, "lead")
    res = client.post(
        "/api/patrol/plans",
        json={"date": date.today().isoformat()},
        headers={"X-CSRF-Token": token},
    )
    assert res.status_code == 202, res.get_json()
    totals, done = set(), set()
    while (status := client.get(res.get_json()["status_url"]).get_json())["state"] in (
        "queued",
        "running",
    ):
        totals.add(status["parts"]["total"])
        done.add(status["parts"]["done"])
        time.sleep(0.1)
    assert status["state"] == "done", status["error"]
    assert totals == {3} and status["parts"] == {"done": 3, "total": 3} and done & {1, 2}
    plan = client.get(f"/api/patrol/plans/{date.today().isoformat()}/team-c.geojson").get_json()
    assert any(f["properties"]["feature"] == "route" for f in plan["features"])
