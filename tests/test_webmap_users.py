"""webmap.users: the accounts file (hashed passwords, roles, disable, atomic writes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from geogrid.errors import InputError
from webmap.users import UserStore


def test_add_hashes_the_password_and_authenticates(tmp_path: Path) -> None:
    """The file holds a scrypt/pbkdf2 hash, never the password; the right password signs in."""
    store = UserStore(tmp_path / "users.json")
    store.add("wang", "secret-pass-1", "planner")
    text = (tmp_path / "users.json").read_text(encoding="utf-8")
    assert "secret-pass-1" not in text
    row = json.loads(text)["users"]["wang"]
    assert row["password_hash"].startswith(("scrypt:", "pbkdf2:")) and row["role"] == "planner"
    assert store.authenticate("wang", "secret-pass-1") is not None
    assert store.authenticate("wang", "wrong-pass-1") is None
    assert store.authenticate("nobody", "secret-pass-1") is None


def test_disable_and_enable(tmp_path: Path) -> None:
    """A disabled account cannot sign in; enabling it again restores it."""
    store = UserStore(tmp_path / "users.json")
    store.add("li", "secret-pass-1", "team_leader", team="team-2")
    assert store.set_disabled("li").disabled
    assert store.authenticate("li", "secret-pass-1") is None
    assert not store.set_disabled("li", False).disabled
    assert store.get("li").team == "team-2"
    assert [u.username for u in store.list()] == ["li"]


@pytest.mark.parametrize(
    ("name", "password", "role", "fragment"),
    [
        ("x", "secret-pass-1", "planner", "user name"),
        ("wang", "short", "planner", "at least 10"),
        ("wang", "12345678", "planner", "at least 10"),
        ("wang", "password", "planner", "at least 10.*most common"),
        ("wang", "Password123", "planner", "most common"),
        ("wang", "1qaz2wsx3edc", "planner", "most common"),
        ("wangwangwang", "WANGWANGWANG", "admin", "user name"),
        ("wang", "secret-pass-1", "mayor", "choose one of team_leader, planner, admin"),
    ],
)
def test_bad_accounts_are_refused(
    tmp_path: Path, name: str, password: str, role: str, fragment: str
) -> None:
    """Bad names, short or common passwords and unknown roles are refused, saying why."""
    with pytest.raises(InputError, match=fragment):
        UserStore(tmp_path / "users.json").add(name, password, role)


def test_duplicate_and_unknown_users(tmp_path: Path) -> None:
    """A taken name is refused; disabling an unknown user names the list command."""
    store = UserStore(tmp_path / "users.json")
    store.add("wang", "secret-pass-1", "admin")
    with pytest.raises(InputError, match="exists"):
        store.add("wang", "secret-pass-2", "planner")
    with pytest.raises(InputError, match="users list"):
        store.set_disabled("zhao")


def test_file_is_written_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failing write leaves the previous file intact and no temp file behind."""
    store = UserStore(tmp_path / "users.json")
    store.add("wang", "secret-pass-1", "admin")
    before = (tmp_path / "users.json").read_text(encoding="utf-8")
    import os

    def boom(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        store.add("li", "secret-pass-1", "planner")
    assert (tmp_path / "users.json").read_text(encoding="utf-8") == before
    assert [p.name for p in tmp_path.iterdir()] == ["users.json"]


def test_password_change_checks_the_policy_and_moves_the_session_generation(tmp_path: Path) -> None:
    """set_password refuses weak passwords and bumps session_gen; end_sessions bumps it too."""
    store = UserStore(tmp_path / "users.json")
    assert store.add("wang", "secret-pass-1", "planner").session_gen == 0
    with pytest.raises(InputError, match="most common"):
        store.set_password("wang", "qwertyuiop")
    assert store.get("wang").session_gen == 0
    changed = store.set_password("wang", "another-secret-2")
    assert changed.session_gen == 1 and store.authenticate("wang", "another-secret-2") is not None
    assert store.authenticate("wang", "secret-pass-1") is None
    assert store.end_sessions("wang").session_gen == 2
    with pytest.raises(InputError, match="users list"):
        store.set_password("zhao", "another-secret-2")


def test_blocklist_ships_with_the_package() -> None:
    """The common-password list is a file beside webmap.users, read without the network."""
    from webmap.users import COMMON_PASSWORDS, common_passwords

    assert COMMON_PASSWORDS.exists() and len(common_passwords()) >= 10_000
    assert {"password", "12345678", "qwertyuiop", "woaini1314"} <= common_passwords()


def test_accounts_in_the_database(tmp_path: Path) -> None:
    """With a database (USERS_STORE) the same account life: add, sign in, refuse a duplicate,
    disable, change the password (sessions end); nothing is written to the users file."""
    from store_db import db_url, unique_name

    url = db_url()
    store = UserStore(tmp_path / "users.json", db=url)
    name = unique_name("u")
    store.add(name, "long enough pass 1", "team_leader", team="team-1")
    assert store.authenticate(name, "long enough pass 1") is not None
    assert store.authenticate(name, "wrong password 12") is None
    with pytest.raises(InputError, match="exists"):
        store.add(name, "long enough pass 2", "planner")
    assert (
        store.set_disabled(name).disabled and store.authenticate(name, "long enough pass 1") is None
    )
    store.set_disabled(name, False)
    changed = store.set_password(name, "another long pass 3")
    assert changed.session_gen == 1 and store.authenticate(name, "another long pass 3")
    other = UserStore(tmp_path / "elsewhere.json", db=url)  # another web node
    assert other.get(name) == changed and name in [u.username for u in other.list()]
    assert not (tmp_path / "users.json").exists()
    with pytest.raises(InputError, match="PostgreSQL URL"):
        UserStore(tmp_path / "users.json", db="/srv/users")
