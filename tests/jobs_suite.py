"""The job suite every runner passes (not a test module): imported by tests/test_jobs_local.py
(threads) and tests/test_jobs_celery.py (a real Celery worker), which give the fixtures
``runner`` (per-user quota 2) and ``owner`` (a user name of the test's own)."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from jobs_area import TEAMS, make_patrol_area

from geogrid.jobs import JobLimitError
from geogrid.jobs.tasks import plan_shift, probe, team_groups


def poll(runner: Any, job_id: str, until: Any, timeout_s: float = 30.0) -> Any:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        job = runner.get(job_id)
        if job is not None and until(job):
            return job
        time.sleep(0.05)
    raise TimeoutError(f"job {job_id}: {runner.get(job_id)}")


def test_submit_progress_result(runner: Any, owner: str) -> None:
    """A job is queued or running at once, reports progress with a message while it runs, and
    its small JSON result when done."""
    job = runner.submit("probe", owner, probe, 4, 0.4)
    assert job.owner == owner and runner.get(job.id).state in ("queued", "running")
    seen = poll(runner, job.id, lambda j: j.message == "step 3 of 4")
    assert seen.state == "running" and 0.2 < seen.progress < 1.0
    done = runner.wait(job.id, 30)
    assert done.state == "done" and done.result == {"steps": 4} and done.progress == 1.0
    assert done.as_json()["parts"] == {"done": 1, "total": 1}


def test_failure_messages(runner: Any, owner: str) -> None:
    """Bad input fails with its own words; anything else with an internal error that shows no
    internals."""
    bad = runner.wait(
        runner.submit("probe", owner, probe, 1, 0.0, "grid 7 is locked; unlock it first").id, 30
    )
    assert bad.state == "failed" and bad.error == "grid 7 is locked; unlock it first"
    crash = runner.wait(runner.submit("probe", owner, probe, 1, 0.0, "", True).id, 30)
    assert crash.state == "failed" and "internal details" not in crash.error
    assert "internal error (RuntimeError)" in crash.error and "server log" in crash.error


def test_quota_per_user(runner: Any, owner: str) -> None:
    """An owner may have 2 jobs queued or running; the third is refused with a message, another
    owner is served, and the owner may submit again once one finished."""
    jobs = [runner.submit("probe", owner, probe, 3, 0.3) for _ in range(2)]
    with pytest.raises(JobLimitError, match="at most 2"):
        runner.submit("probe", owner, probe, 1, 0.0)
    other = runner.submit("probe", owner + "-other", probe, 1, 0.0)
    for job in (*jobs, other):
        assert runner.wait(job.id, 30).state == "done"
    assert runner.wait(runner.submit("probe", owner, probe, 1, 0.0).id, 30).state == "done"


def test_same_key_gives_the_running_job(runner: Any, owner: str) -> None:
    """A second submit with the key of an active job returns that job instead of another."""
    first = runner.submit("probe", owner, probe, 2, 0.3, key=f"probe:{owner}")
    again = runner.submit("probe", owner, probe, 2, 0.3, key=f"probe:{owner}")
    assert again.id == first.id
    runner.wait(first.id, 30)


def test_group_of_team_plans_shows_parts(runner: Any, owner: str, tmp_path: Path) -> None:
    """The plan of three teams as three parts (one team each): the status counts parts done of
    3, and the day's plan holds every team's route, each file whole."""
    folder, config = make_patrol_area(tmp_path / "area")
    day = date.today().isoformat()
    parts = [(str(folder), day, str(config), 1.0, group) for group in team_groups(TEAMS, 1)]
    job = runner.submit_group("patrol", owner, plan_shift, parts)
    seen = set()
    while (now := runner.get(job.id)).active:
        status = now.as_json()
        seen.add(status["parts"]["done"])
        assert status["parts"]["total"] == 3
        time.sleep(0.05)
    assert now.state == "done", now.error
    assert now.as_json()["parts"] == {"done": 3, "total": 3} and len(now.result) == 3
    assert seen & {1, 2}, "parts done are counted while the others run"
    out = folder / "plans" / "web" / day
    summary = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert sorted(t["team"] for t in summary["teams"]) == list(TEAMS)
    assert_whole_plan(out, TEAMS)


def assert_whole_plan(out: Path, teams: tuple[str, ...]) -> None:
    """Only complete files: JSON that parses, PDFs with their end marker, no temp files."""
    names = sorted(p.name for p in out.iterdir())
    assert not [n for n in names if n.startswith(".") or n.endswith(".tmp")], names
    json.loads((out / "plan.json").read_text(encoding="utf-8"))
    features = json.loads((out / "plan.geojson").read_text(encoding="utf-8"))["features"]
    assert {f["properties"]["team"] for f in features if f["properties"].get("team")} == set(teams)
    for team in teams:
        assert (out / f"{team}.pdf").read_bytes().rstrip().endswith(b"%%EOF")
        assert (out / f"{team}.gpx").read_text(encoding="utf-8").rstrip().endswith("</gpx>")
