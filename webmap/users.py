"""Web accounts: a JSON file of users with hashed passwords and one role each.

The file (``USERS_PATH``, default ``<instance folder>/users.json``) looks like::

    {"schema": "geogrid-users/1",
     "users": {"wang": {"role": "planner", "password_hash": "scrypt:...",
                        "disabled": false, "team": null, "created": "...",
                        "session_gen": 3}}}

It is rewritten whole through :func:`geogrid.io.atomic.write_text_atomic`
(temp file + rename), so a crash never leaves half a file. Passwords are
hashed with :mod:`werkzeug.security` (scrypt); the plain password is never
stored. Roles, from least to most: ``team_leader``, ``planner``, ``admin``
(the public needs no account).

Passwords (:func:`password_problems`): at least 10 characters, not the user
name, and not one of the common passwords in ``common_passwords.txt`` (the
10,000 most common of Mark Burnett's public-domain "10 million passwords" set,
as the zxcvbn project ships them, plus common Chinese-keyboard ones; see the
file's header). ``session_gen`` counts the account's session generations:
every session remembers the one it began in, and signing out or changing the
password moves it on, which ends every older session of the account.

Several web nodes share accounts in the database instead: ``USERS_STORE``
(``FLASK_USERS_STORE``) names it (a PostgreSQL URL, usually the same as
``GEOGRID_STORE``); the ``users`` table of the store (:func:`users_of`).
"""

from __future__ import annotations

import functools
import json
import re
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from werkzeug.security import check_password_hash, generate_password_hash

from geogrid.errors import InputError
from geogrid.io.atomic import write_text_atomic
from geogrid.store.base import Store, UserRecord, is_db_url, open_store

ROLES = ("team_leader", "planner", "admin")
SCHEMA = "geogrid-users/1"
MIN_PASSWORD = 10
COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")
USERNAME_RE = re.compile(r"^[\w.\-@]{2,64}$")
#: compared against when the user is unknown, so a wrong name costs as long as a wrong password
_DUMMY_HASH = generate_password_hash("not-a-password-of-anyone")


@dataclass(frozen=True)
class User:
    """One account (never holds the plain password)."""

    username: str
    role: str
    password_hash: str
    disabled: bool = False
    team: str | None = None
    created: str = ""
    #: session generation: sessions that began in an older one are ended
    session_gen: int = 0

    def may(self, *roles: str) -> bool:
        """True when the account is active and has one of ``roles`` (admin may everything)."""
        return not self.disabled and (self.role == "admin" or self.role in roles)


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped blocklist, lower case (lines starting with # are comments)."""
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().casefold() for line in lines if line.strip() and not line.startswith("#")
    )


def password_problems(password: str, username: str = "") -> list[str]:
    """Why ``password`` is refused (empty when it is fine)."""
    problems = []
    if len(password) < MIN_PASSWORD:
        problems.append(
            f"password: at least {MIN_PASSWORD} characters"
            " (a few random words are easy to remember)"
        )
    if password.casefold() in common_passwords():
        problems.append(
            "password: it is one of the most common passwords, which attackers try first; "
            "choose another"
        )
    if username and password.casefold() == username.casefold():
        problems.append("password: must not be the user name")
    return problems


class UserStore:
    """The users file; every change is read-modify-write under a lock, written atomically.

    With ``db`` (a PostgreSQL URL: the ``users`` table of the store,
    :meth:`geogrid.store.base.Store.get_user` / ``put_user``) the accounts live in the
    database instead, shared by every web node; ``path`` is then unused.
    """

    _locks: ClassVar[dict[str, threading.Lock]] = {}
    _locks_guard = threading.Lock()

    def __init__(self, path: Path | str, db: str | None = None) -> None:
        self.path = Path(path)
        self.db: Store | None = None
        key = str(self.path.resolve())
        if db:
            if not is_db_url(db):
                raise InputError(
                    f"USERS_STORE {db!r}: give a PostgreSQL URL (postgresql://...), or leave it "
                    "empty for the users file"
                )
            self.db, key = open_store(db), db
        with self._locks_guard:
            self._lock = self._locks.setdefault(key, threading.Lock())

    def _rows(self) -> dict[str, dict[str, Any]]:
        """Every account as the file holds it: name -> fields."""
        if self.db is None:
            users: dict[str, dict[str, Any]] = self._read()["users"]
            return users
        return {u.username: _fields(u) for u in self.db.list_users()}

    def _row(self, username: str) -> dict[str, Any] | None:
        if self.db is None:
            row: dict[str, Any] | None = self._read()["users"].get(username)
            return row
        found = self.db.get_user(username)
        return None if found is None else _fields(found)

    def _put(self, username: str, row: dict[str, Any]) -> None:
        """Create or replace one account (under the lock)."""
        if self.db is not None:
            self.db.put_user(UserRecord(username=username, **row))
            return
        data = self._read()
        data["users"][username] = row
        self._write(data)

    def _read(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"schema": SCHEMA, "users": {}}
        try:
            data: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise InputError(
                f"{self.path}: malformed JSON at line {err.lineno}: {err.msg}; restore the file"
            ) from err
        data.setdefault("users", {})
        return data

    def _write(self, data: dict[str, Any]) -> None:
        write_text_atomic(  # password hashes: 0600, never readable by other users
            self.path, json.dumps(data, ensure_ascii=False, indent=2) + "\n", private=True
        )

    def get(self, username: str) -> User | None:
        row = self._row(username)
        return None if row is None else User(username=username, **row)

    def list(self) -> list[User]:
        return [User(username=name, **row) for name, row in sorted(self._rows().items())]

    def add(self, username: str, password: str, role: str, team: str | None = None) -> User:
        """Create an account; refuses a taken name, an unknown role or a short password."""
        problems = []
        if not USERNAME_RE.fullmatch(username):
            problems.append(f"user name {username!r}: 2-64 letters, digits or . - _ @")
        if role not in ROLES:
            problems.append(f"role {role!r}: choose one of {', '.join(ROLES)}")
        problems += password_problems(password, username)
        if problems:
            raise InputError("cannot add the user: " + "; ".join(problems))
        with self._lock:
            if self._row(username) is not None:
                raise InputError(f"user {username!r} exists; choose another name")
            user = User(
                username=username,
                role=role,
                password_hash=generate_password_hash(password),
                team=team or None,
                created=datetime.now(UTC).replace(microsecond=0).isoformat(),
            )
            row = asdict(user)
            del row["username"]
            self._put(username, row)
        return user

    def set_disabled(self, username: str, disabled: bool = True) -> User:
        """Disable (or enable again) an account; its sessions stop working at the next request."""
        return self._update(username, disabled=disabled)

    def _update(self, username: str, **changes: Any) -> User:
        with self._lock:
            row = self._row(username)
            if row is None:
                raise InputError(f"no user {username!r}; `geogrid-web users list` shows them")
            for key, value in changes.items():
                row[key] = value(row) if callable(value) else value
            self._put(username, row)
        user = self.get(username)
        assert user is not None
        return user

    def set_password(self, username: str, password: str) -> User:
        """Set a new password (checked by :func:`password_problems`); ends the user's sessions."""
        problems = password_problems(password, username)
        if problems:
            raise InputError("cannot set the password: " + "; ".join(problems))
        return self._update(
            username,
            password_hash=generate_password_hash(password),
            session_gen=lambda row: int(row.get("session_gen", 0)) + 1,
        )

    def end_sessions(self, username: str) -> User:
        """Move the user's session generation on: every session they have ends."""
        return self._update(username, session_gen=lambda row: int(row.get("session_gen", 0)) + 1)

    def authenticate(self, username: str, password: str) -> User | None:
        """The active user with this name and password, else None."""
        user = self.get(username)
        if user is None:
            check_password_hash(_DUMMY_HASH, password)
            return None
        if not check_password_hash(user.password_hash, password) or user.disabled:
            return None
        return user


def _fields(record: UserRecord) -> dict[str, Any]:
    """A stored account as the file's fields (all but the name)."""
    row = asdict(record)
    del row["username"]
    return row


def users_of(config: Any) -> UserStore:
    """The app's accounts: the database ``USERS_STORE`` (``FLASK_USERS_STORE``) when set, else
    the file ``USERS_PATH``."""
    return UserStore(config["USERS_PATH"], db=str(config.get("USERS_STORE") or "").strip() or None)
