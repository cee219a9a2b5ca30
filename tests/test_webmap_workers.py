"""Jobs across gunicorn workers: a job started on one worker is polled from any, never "lost".

Starts the README's production command (2 gthread workers) on the small grids
workspace and a free localhost port, signs in as a planner, starts a grid
regeneration and polls its status 30 times over fresh connections (so the polls
are spread over both workers). Every poll must find the job.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from webmap_staff import PASSWORD, add_accounts, grids_area

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path):
    if not GUNICORN.exists() and shutil.which("gunicorn") is None:
        pytest.skip("gunicorn is not installed (pip install -e '.[serve]')")
    requests = pytest.importorskip("requests")
    area = grids_area(tmp_path / "area")
    add_accounts(tmp_path / "users.json")
    port = _free_port()
    env = {
        **os.environ,
        "FLASK_AREA_PATH": str(area),
        "FLASK_USERS_PATH": str(tmp_path / "users.json"),
        "FLASK_SECRET_KEY": "workers-test",
        "FLASK_SESSION_COOKIE_SECURE": "false",
        "PYTHONPATH": str(ROOT),
    }
    cmd = [
        str(GUNICORN) if GUNICORN.exists() else "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--worker-class",
        "gthread",
        "--threads",
        "2",
        "--preload",
        "webmap:create_app()",
    ]
    log = (tmp_path / "gunicorn.log").open("w")
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if requests.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        else:
            pytest.fail(
                "gunicorn did not start: " + (tmp_path / "gunicorn.log").read_text()[-2000:]
            )
        yield base, requests
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def test_job_polls_reach_it_from_every_worker(server) -> None:
    base, requests = server
    session = requests.Session()
    token = re.search(
        r'name="csrf-token" content="([^"]+)"', session.get(base + "/login").text
    ).group(1)
    res = session.post(
        base + "/login",
        data={"username": "plan", "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
    )
    assert res.status_code == 302, res.text[:300]
    page = session.get(base + "/planner/")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    etag = session.get(base + "/api/planner/state").headers["ETag"]
    res = session.post(
        base + "/api/planner/regenerate",
        json={"seed": 1},
        headers={"X-CSRF-Token": token, "If-Match": etag},
    )
    assert res.status_code == 202, res.text[:300]
    status_url = base + res.json()["status_url"]
    cookies = session.cookies.get_dict()
    states = []
    for _ in range(30):
        with requests.Session() as fresh:  # a new connection each time: either worker may answer
            poll = fresh.get(status_url, cookies=cookies, headers={"Connection": "close"})
        assert poll.status_code == 200, poll.text[:300]
        states.append(poll.json()["state"])
        time.sleep(0.05)
    assert set(states) <= {"queued", "running", "done"}


def test_login_throttle_holds_across_workers(server) -> None:
    """Brute force against the 2-worker server: 40 wrong passwords sent 16 at a time reach the
    password check at most 6 times (5 free tries, then waits of 1 s, 2 s, ... shared by both
    workers through the throttle's SQLite file); the rest are 429 with Retry-After."""
    from concurrent.futures import ThreadPoolExecutor

    base, requests = server

    def guess(n: int) -> tuple[int, str | None]:
        with requests.Session() as s:  # a fresh session and connection: either worker answers
            token = re.search(
                r'name="csrf-token" content="([^"]+)"', s.get(base + "/login").text
            ).group(1)
            res = s.post(
                base + "/login",
                data={"username": "plan", "password": f"wrong-{n}", "csrf_token": token},
                allow_redirects=False,
            )
            return res.status_code, res.headers.get("Retry-After")

    started = time.monotonic()
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(guess, range(40)))
    elapsed_s = time.monotonic() - started
    statuses = [status for status, _ in answers]
    assert set(statuses) <= {401, 429}, statuses
    refused = [retry for status, retry in answers if status == 429]
    assert all(retry is not None and int(retry) >= 1 for retry in refused)
    # 5 free tries, plus one more for each back-off (1 s, 2 s, 4 s, ...) that ran out meanwhile
    allowed_s, extra = 1.0, 0
    while allowed_s <= elapsed_s:
        extra += 1
        allowed_s += 2.0**extra
    assert statuses.count(401) <= 5 + extra, (statuses, elapsed_s)
