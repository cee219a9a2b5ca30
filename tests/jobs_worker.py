"""A real Celery worker for the job tests (not a test module).

:func:`redis_url` is the test Redis (``GEOGRID_TEST_REDIS``, else a local
redis-server on 6379 when one answers); :class:`Worker` starts
``celery -A geogrid.jobs.celery worker --pool=prefork --concurrency=1`` in its own
session on a queue of its own (so nothing else takes its tasks), waits until it
is ready, and can be killed with SIGKILL like a lost machine.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CELERY = Path(sys.executable).with_name("celery")
#: seconds an unacknowledged task waits before another worker gets it (the test's lost-worker
#: window, longer than any task of the tests; production keeps the default of hours)
VISIBILITY_S = 12


def redis_url() -> str:
    """The test Redis URL, or skip saying what is missing."""
    url = os.environ.get("GEOGRID_TEST_REDIS", "").strip()
    if not CELERY.exists():
        pytest.skip(f"celery is not installed ({CELERY} missing): pip install 'celery[redis]'")
    try:
        import redis
    except ImportError:
        pytest.skip("the redis client is not installed: pip install 'celery[redis]'")
    if not url:
        if shutil.which("redis-server") is None:
            pytest.skip(
                "no Redis for the Celery tests: install redis-server or set GEOGRID_TEST_REDIS"
            )
        url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as err:
        pytest.skip(
            f"Redis at {url} does not answer ({err}); start it with "
            "`redis-server --daemonize yes --bind 127.0.0.1 --port 6379`"
        )
    return url


class Worker:
    """One Celery worker process (and its pool process) on ``queue``."""

    def __init__(self, url: str, queue: str, log_dir: Path) -> None:
        self.url, self.queue = url, queue
        self.name = f"test-{uuid.uuid4().hex[:8]}@%h"
        self.log = log_dir / f"worker-{uuid.uuid4().hex[:6]}.log"
        env = {
            **os.environ,
            "GEOGRID_BROKER_URL": url,
            "GEOGRID_JOB_QUEUE": queue,
            "GEOGRID_JOB_VISIBILITY_S": str(VISIBILITY_S),
            "GEOGRID_NUMBA_CACHE_DIR": str(Path(tempfile.gettempdir()) / "geogrid-test-numba"),
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")]),
        }
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [
                    str(CELERY),
                    "-A",
                    "geogrid.jobs.celery",
                    "worker",
                    "--pool=prefork",
                    "--concurrency=1",
                    "--loglevel=INFO",
                    "-n",
                    self.name,
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.time() + 60
        while "ready." not in self.text():
            if self.proc.poll() is not None or time.time() > deadline:
                self.stop()
                raise RuntimeError(f"the Celery worker did not start:\n{self.text()[-3000:]}")
            time.sleep(0.1)

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        """SIGKILL the worker and its pool process (a machine lost mid-task)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        """Warm shutdown (SIGTERM to the main process), SIGKILL when it does not stop in 15 s."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(scope="module")
def celery_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    """One worker for a test module, on a queue of its own; stopped at the end."""
    url = redis_url()
    worker = Worker(url, new_queue(), tmp_path_factory.mktemp("celery"))
    try:
        yield worker
    finally:
        worker.stop()


def new_queue() -> str:
    """A queue of the test's own, so that no other worker on the same Redis takes its tasks."""
    return f"geogrid-test-{uuid.uuid4().hex[:10]}"
