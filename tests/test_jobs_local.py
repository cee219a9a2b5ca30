"""geogrid.jobs.local: jobs on threads of this process, recorded in the SQLite job store.

The shared job suite (tests/jobs_suite.py) runs here in-process; tests/test_jobs_celery.py runs
it on a real Celery worker.
"""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest
from jobs_suite import (  # noqa: F401 - the shared suite, collected here
    test_failure_messages,
    test_group_of_team_plans_shows_parts,
    test_quota_per_user,
    test_same_key_gives_the_running_job,
    test_submit_progress_result,
)

from geogrid.errors import InputError
from geogrid.jobs import open_runner
from geogrid.jobs.local import LocalRunner


@pytest.fixture
def runner(tmp_path: Path) -> LocalRunner:
    return LocalRunner(workers=2, store=tmp_path / "jobs.sqlite3", per_user=2)


@pytest.fixture
def owner() -> str:
    return f"wang-{uuid.uuid4().hex[:6]}"


def test_any_callable_runs_in_process(runner: LocalRunner) -> None:
    """In-process jobs may be any callable (closures too): progress while it waits, then done."""
    gate = threading.Event()

    def work(progress, n):
        progress(0.5, "half way")
        gate.wait(5)
        return n * 2

    job = runner.submit("test", "li", work, 21)
    while runner.get(job.id).message != "half way":
        pass
    assert runner.get(job.id).as_json()["progress"] == 0.5
    gate.set()
    assert runner.wait(job.id).result == 42


def test_failed_parts_are_named(runner: LocalRunner) -> None:
    """A job of parts fails naming each failed part; the others still ran."""
    ran = []

    def part(progress, n):
        ran.append(n)
        if n == 2:
            raise InputError("team-2 has no base")
        return n

    job = runner.wait(runner.submit_group("t", "li", part, [(1,), (2,), (3,)]).id)
    assert job.state == "failed" and job.error == "part 2 of 3: team-2 has no base"
    assert sorted(ran) == [1, 2, 3] and job.parts_done == 3


def test_open_runner_without_a_broker_is_local(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No GEOGRID_BROKER_URL: the embedded runner on the given store."""
    monkeypatch.delenv("GEOGRID_BROKER_URL", raising=False)
    runner = open_runner(tmp_path / "jobs.sqlite3")
    assert type(runner) is LocalRunner and not runner.distributed
