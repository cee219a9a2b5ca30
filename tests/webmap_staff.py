"""Shared helpers for the staff-page tests (not a test module).

:func:`grids_area` writes the small synthetic grids workspace of
``tests/grids_area.py`` and generates its grids (v0001) through the grids
service; :func:`staff_app` makes an app on a folder with one account per
role; :func:`sign_in` signs a test client in and returns its CSRF token.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from geogrid.services import grids as S
from tests.grids_area import make_area
from webmap import create_app
from webmap.users import UserStore

PASSWORD = "correct horse battery"
#: one account per role; lead1 leads team-1 only
ACCOUNTS = {
    "lead": "team_leader",
    "lead1": "team_leader",
    "plan": "planner",
    "plan2": "planner",
    "boss": "admin",
}
TEAMS = {"lead1": "team-1"}


def grids_area(folder: Path) -> Path:
    """The synthetic grids workspace with generated grids (v0001 by 'setup')."""
    make_area(folder)
    S.generate(folder, seed=0, author="setup", restarts=1)
    return folder


def add_accounts(users_path: Path) -> None:
    store = UserStore(users_path)
    for name, role in ACCOUNTS.items():
        store.add(name, PASSWORD, role, team=TEAMS.get(name))


def staff_app(area: Path, users_path: Path, **config: Any) -> Flask:
    if not users_path.exists():
        add_accounts(users_path)
    return create_app(
        {
            "AREA_PATH": str(area),
            "USERS_PATH": str(users_path),
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            **config,
        }
    )


def csrf_of(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert match, "the page has no csrf meta tag"
    return match.group(1)


def sign_in(client: FlaskClient, name: str, password: str = PASSWORD) -> str:
    """Sign ``client`` in as ``name``; returns the session's CSRF token."""
    token = csrf_of(client)
    res = client.post("/login", data={"username": name, "password": password, "csrf_token": token})
    assert res.status_code == 302, res.get_data(as_text=True)[:500]
    return csrf_of(client)
