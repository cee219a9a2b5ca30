"""webmap.throttle and the sign-in page under attack: back-off shared by every worker.

The counts live in one SQLite file, so two app instances (two gunicorn
workers) see the same failures and a burst of parallel guesses from several
processes gets exactly the free attempts through. A stranger's failures from
one address never stop the owner signing in from another; spreading guesses
over many user names is slowed per address.
"""

from __future__ import annotations

import re
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pytest
from webmap_staff import PASSWORD, add_accounts

from webmap import create_app
from webmap.throttle import ADDRESS, PAIR, Limit, Throttle


def _app(users: Path):
    return create_app(
        {
            "USERS_PATH": str(users),
            "TESTING": True,
            "SECRET_KEY": "throttle-test",
            "AREA_PATH": str(users.parent / "no-area"),
        }
    )


def _client(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _login(client, name: str, password: str) -> int:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    res = client.post("/login", data={"username": name, "password": password, "csrf_token": token})
    return res.status_code


def _guesses_in_a_worker(users: str, address: str, name: str, count: int) -> list[int]:
    """One 'worker': its own app (own process, own memory) on the shared instance folder."""
    client = _client(_app(Path(users)), address)
    return [_login(client, name, "wrong-guess-0") for _ in range(count)]


def _attempts(path: str, count: int) -> int:
    """Attempts at one key from one process, four threads at once; how many were let through."""
    throttle = Throttle(path, clock=lambda: 1_000_000.0)
    with ThreadPoolExecutor(4) as pool:
        return sum(
            w == 0 for w in pool.map(lambda _: throttle.attempt("10.0.0.9", "plan"), range(count))
        )


def test_waits_grow_exponentially_and_are_capped() -> None:
    """Free attempts, then 1, 2, 4 ... seconds, never more than the cap."""
    assert [PAIR.wait_s(n) for n in range(PAIR.free + 4)] == [0.0] * PAIR.free + [
        1.0,
        2.0,
        4.0,
        8.0,
    ]
    assert PAIR.wait_s(1000) == PAIR.cap_s == 900
    assert ADDRESS.free > PAIR.free and Limit(1, 2.0, 5.0).wait_s(3) == 5.0


def test_throttle_counts_refuses_and_forgives(tmp_path: Path) -> None:
    """Past the free attempts the answer is a wait; when it has passed one more try is let through;
    a right password clears the pair; an idle day forgets it."""
    now = [1000.0]
    throttle = Throttle(tmp_path / "t.sqlite3", clock=lambda: now[0])
    for _ in range(PAIR.free):
        assert throttle.attempt("10.0.0.1", "plan") == 0
    assert throttle.attempt("10.0.0.1", "plan") == 1
    assert throttle.attempt("10.0.0.1", "PLAN") == 1  # names are compared case-blind
    assert throttle.attempt("10.0.0.2", "plan") == 0  # another address is not slowed
    now[0] += 1
    assert throttle.attempt("10.0.0.1", "plan") == 0
    assert throttle.attempt("10.0.0.1", "plan") == 2
    throttle.succeeded("10.0.0.1", "plan")
    assert throttle.attempt("10.0.0.1", "plan") == 0
    for _ in range(10):
        throttle.attempt("10.0.0.3", "li")
    now[0] += 24 * 3600 + 1
    assert throttle.attempt("10.0.0.3", "li") == 0


def test_parallel_guesses_from_two_processes_are_counted_one_by_one(tmp_path: Path) -> None:
    """40 simultaneous attempts (2 processes x 4 threads) at one key: exactly the free ones pass."""
    path = str(tmp_path / "t.sqlite3")
    Throttle(path)
    with ProcessPoolExecutor(2, mp_context=get_context("spawn")) as pool:
        passed = sum(pool.map(_attempts, [path, path], [20, 20]))
    assert passed == PAIR.free


def test_throttle_holds_across_two_workers(tmp_path: Path) -> None:
    """Guesses split over two app processes on one instance folder: the sixth is 429 either way."""
    users = tmp_path / "instance" / "users.json"
    add_accounts(users)
    with ProcessPoolExecutor(2, mp_context=get_context("spawn")) as pool:
        first = pool.submit(_guesses_in_a_worker, str(users), "10.0.0.7", "plan", 3).result()
        second = pool.submit(_guesses_in_a_worker, str(users), "10.0.0.7", "plan", 3).result()
    assert first == [401, 401, 401] and second == [401, 401, 429]
    assert (tmp_path / "instance" / "throttle.sqlite3").exists()


def test_a_stranger_cannot_lock_the_owner_out(tmp_path: Path) -> None:
    """Ten wrong passwords for 'plan' from address A; the owner signs in from B at once."""
    users = tmp_path / "users.json"
    add_accounts(users)
    app = _app(users)
    stranger = _client(app, "203.0.113.5")
    codes = [_login(stranger, "plan", "wrong-guess-1") for _ in range(10)]
    assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}
    owner = _client(app, "198.51.100.20")
    assert _login(owner, "plan", PASSWORD) == 302


def test_spreading_guesses_over_accounts_is_slowed(tmp_path: Path) -> None:
    """One address guessing a different name each time is slowed after the address's free
    attempts."""
    users = tmp_path / "users.json"
    add_accounts(users)
    client = _client(_app(users), "203.0.113.9")
    codes = [_login(client, f"user{k}", "wrong-guess-2") for k in range(ADDRESS.free + 1)]
    assert codes[: ADDRESS.free] == [401] * ADDRESS.free and codes[-1] == 429


@pytest.mark.parametrize("password", ["12345678", "password", "qwertyuiop", "Password123", "short"])
def test_weak_passwords_are_refused_with_a_clear_message(tmp_path: Path, password: str) -> None:
    """`geogrid-web users add` and `users passwd` refuse short and common passwords, saying why."""
    from click.testing import CliRunner

    from webmap.__main__ import main

    users = str(tmp_path / "users.json")
    runner = CliRunner()
    res = runner.invoke(
        main,
        [
            "users",
            "add",
            "wang",
            "--role",
            "planner",
            "--password",
            password,
            "--users-file",
            users,
        ],
    )
    assert res.exit_code != 0 and re.search(
        "at least 10 characters|most common passwords", res.output
    )
    ok = runner.invoke(
        main,
        [
            "users",
            "add",
            "wang",
            "--role",
            "planner",
            "--password",
            "long-and-rare-7",
            "--users-file",
            users,
        ],
    )
    assert ok.exit_code == 0, ok.output
    res = runner.invoke(
        main, ["users", "passwd", "wang", "--password", password, "--users-file", users]
    )
    assert res.exit_code != 0 and re.search(
        "at least 10 characters|most common passwords", res.output
    )
    res = runner.invoke(
        main, ["users", "passwd", "wang", "--password", "another-rare-8", "--users-file", users]
    )
    assert res.exit_code == 0 and "open sessions have ended" in res.output
