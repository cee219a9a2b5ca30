"""Tests for webmap.__main__ (the `geogrid-web` command), without starting a server."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from webmap.__main__ import main


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Flask, str, int]]:
    calls: list[tuple[Flask, str, int]] = []
    monkeypatch.setenv("FLASK_SECRET_KEY", "test-only")  # no key file in the real instance folder

    def fake_run(self: Flask, host: str, port: int, **kwargs: object) -> None:
        calls.append((self, host, port))

    monkeypatch.setattr(Flask, "run", fake_run)
    return calls


def test_demo_flag_builds_the_demo_then_serves(tmp_path: Path, served, monkeypatch):
    """--demo builds the missing demo area, prints the URL and serves that folder; the
    route searches are compiled in a background thread while the server starts."""
    monkeypatch.chdir(tmp_path)
    warmed = threading.Event()
    monkeypatch.setattr("webmap.__main__.warm_up_searches", warmed.set)
    res = CliRunner().invoke(main, ["--demo", "--port", "5099"])
    assert warmed.wait(10)
    assert res.exit_code == 0, res.output
    assert "building the demo area" in res.output
    assert "http://127.0.0.1:5099/" in res.output
    assert (tmp_path / "data/geo/helsinki-demo/area.json").exists()
    app, host, port = served[0]
    assert (host, port) == ("127.0.0.1", 5099)
    assert app.config["AREA_PATH"].endswith("helsinki-demo")
    again = CliRunner().invoke(main, ["--demo"])
    assert "building the demo area" not in again.output


def test_not_an_area_says_how_to_make_one(tmp_path: Path, served):
    """Pointing at a folder that is not an area gives a message, not a traceback."""
    res = CliRunner().invoke(main, ["--area", str(tmp_path)])
    assert res.exit_code != 0
    assert "not an area workspace" in res.output and "geogrid-web --demo" in res.output
    assert served == []


def test_users_add_list_disable(tmp_path: Path):
    """`geogrid-web users add|list|disable` manage the accounts file; the password is hashed."""
    users = str(tmp_path / "users.json")
    runner = CliRunner()
    res = runner.invoke(
        main,
        ["users", "add", "wang", "--role", "planner", "--users-file", users],
        input="secret-pass-1\nsecret-pass-1\n",
    )
    assert res.exit_code == 0, res.output
    assert "added wang (planner)" in res.output
    assert "secret-pass-1" not in (tmp_path / "users.json").read_text(encoding="utf-8")
    res = runner.invoke(
        main,
        [
            "users",
            "add",
            "li",
            "--role",
            "team_leader",
            "--team",
            "team-1",
            "--password",
            "secret-pass-2",
            "--users-file",
            users,
        ],
    )
    assert res.exit_code == 0, res.output
    assert runner.invoke(main, ["users", "disable", "li", "--users-file", users]).exit_code == 0
    listed = runner.invoke(main, ["users", "list", "--users-file", users]).output
    assert "wang\tplanner\tactive" in listed and "li\tteam_leader\tdisabled team=team-1" in listed
    bad = runner.invoke(
        main,
        ["users", "add", "x", "--role", "planner", "--password", "short", "--users-file", users],
    )
    assert bad.exit_code != 0 and "at least 10" in bad.output
    assert (
        "no user" in runner.invoke(main, ["users", "disable", "zhao", "--users-file", users]).output
    )


def test_serves_an_area_of_the_database_without_a_folder(
    tmp_path: Path, served, monkeypatch: pytest.MonkeyPatch
):
    """--store URL --area-name NAME serves an area pushed to PostGIS (no folder at all); an
    area the database lacks is refused naming the areas it has; accounts of the database
    (FLASK_USERS_STORE) are managed by `users`."""
    from store_db import area_copy, db_url, make_template, unique_name

    url = db_url()
    store, name = area_copy(make_template(tmp_path / "template"), "postgis", tmp_path)
    monkeypatch.setattr("webmap.__main__.warm_up_searches", lambda: None)
    res = CliRunner().invoke(main, ["--store", url, "--area-name", name, "--port", "5098"])
    assert res.exit_code == 0, res.output
    app, _host, port = served[0]
    assert port == 5098 and app.config["STORE"] == url and app.config["AREA_NAME"] == name
    missing = CliRunner().invoke(main, ["--store", url, "--area-name", "no-such-area-x"])
    assert missing.exit_code != 0 and "no area 'no-such-area-x'" in missing.output
    assert name in missing.output and len(served) == 1
    monkeypatch.setenv("FLASK_USERS_STORE", url)
    user = unique_name("u")
    add = CliRunner().invoke(
        main, ["users", "add", user, "--role", "planner", "--password", "long enough pass 1"]
    )
    assert add.exit_code == 0, add.output
    got = store.get_user(user)
    assert got is not None and got.role == "planner"
