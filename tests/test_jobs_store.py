"""geogrid.jobs.store: the SQLite job store shared by processes: records, parts, dead workers,
stores made by an older geogrid."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from geogrid.errors import InputError
from geogrid.jobs.local import LocalRunner
from geogrid.jobs.store import (
    DISK_FULL_MESSAGE,
    Job,
    JobFailed,
    JobLimitError,
    JobStore,
    error_message,
)


def test_store_is_shared_between_runners(tmp_path: Path) -> None:
    """A second runner on the same store (another worker process) sees the job and its progress."""
    import threading

    path = tmp_path / "jobs.sqlite3"
    first, second = LocalRunner(store=path), LocalRunner(store=JobStore(path))
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


def test_job_of_a_dead_worker_is_reported_failed(tmp_path: Path) -> None:
    """A running job whose process stopped beating its heartbeat is failed, with a clear message."""
    store = JobStore(tmp_path / "jobs.sqlite3", stale_s=0.5)
    job, created = store.create("patrol", "wang", "gone-host:123")
    store.update(job.id, state="running")
    assert created and store.get(job.id).state == "running"
    time.sleep(0.7)
    lost = store.get(job.id)
    assert lost.state == "failed" and "stopped" in lost.error and "start it again" in lost.error


def test_quota_and_parts(tmp_path: Path) -> None:
    """The quota counts queued and running jobs; a job of parts says how many."""
    store = JobStore(tmp_path / "jobs.sqlite3")
    job, _ = store.create("patrol", "wang", "w", limit=1, parts=3)
    assert job.as_json()["parts"] == {"done": 0, "total": 3}
    with pytest.raises(JobLimitError, match="at most 1"):
        store.create("patrol", "wang", "w", limit=1)
    store.update(job.id, parts_done=2)
    assert store.get(job.id).as_json()["parts"] == {"done": 2, "total": 3}


def test_store_of_an_older_geogrid_gets_the_new_columns(tmp_path: Path) -> None:
    """A jobs.sqlite3 made before jobs had parts is opened and its jobs read (one part)."""
    path = tmp_path / "jobs.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE jobs (id TEXT PRIMARY KEY, kind TEXT NOT NULL, owner TEXT NOT "
        "NULL, key TEXT, state TEXT NOT NULL, progress REAL NOT NULL DEFAULT 0, message "
        "TEXT NOT NULL DEFAULT '', result TEXT, error TEXT NOT NULL DEFAULT '', worker "
        "TEXT NOT NULL, created REAL NOT NULL, started REAL, finished REAL);"
        "INSERT INTO jobs (id, kind, owner, state, worker, created, finished, result) "
        "VALUES ('abc', 'patrol', 'wang', 'done', 'w', 1, 2, '{\"n\": 1}');"
    )
    db.close()
    job = JobStore(path).get("abc")
    assert job is not None and job.result == {"n": 1} and job.parts_total == 1


@pytest.mark.parametrize(
    ("err", "expected"),
    [
        (InputError("row 3: empty time"), "row 3: empty time"),
        (JobFailed("the worker stopped 3 times"), "the worker stopped 3 times"),
        (OSError(28, "No space left on device"), DISK_FULL_MESSAGE),
        (KeyError("secret"), "internal error (KeyError); see the server log"),
    ],
)
def test_error_messages(err: BaseException, expected: str) -> None:
    """What a person reads about a failed job."""
    assert error_message(err) == expected


def test_job_json_shape() -> None:
    """The polled status has every documented member."""
    assert set(Job("a", "k", "o").as_json()) == {
        "id",
        "kind",
        "state",
        "progress",
        "message",
        "result",
        "error",
        "elapsed_s",
        "parts",
    }
