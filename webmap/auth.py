"""Sessions, roles and CSRF: the guards every view uses (sign-in pages: :mod:`webmap.views.auth`).

* Sessions are Flask's signed cookie (HttpOnly, SameSite=Lax, Secure unless
  ``SESSION_COOKIE_SECURE`` is False for plain-http development). It holds the
  user name, the account's session generation at sign-in and the CSRF token,
  nothing of the password. The account is re-read from the users file on
  every request: a disabled account, or a session of an older generation
  (the user signed out or changed the password since), is signed out.
* :func:`throttle` is the shared sign-in throttle (:mod:`webmap.throttle`).
* :func:`role_required` guards a view: no session -> the sign-in page (or
  401 JSON under /api), wrong role -> 403.
* CSRF: every POST/PUT/PATCH/DELETE must carry the session's token, as the
  ``csrf_token`` form field or the ``X-CSRF-Token`` header (pages put it in
  ``<meta name="csrf-token">``); anything else is refused with 400.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import (
    Flask,
    abort,
    current_app,
    g,
    redirect,
    request,
    session,
    url_for,
)

from webmap.throttle import Throttle
from webmap.users import User, UserStore, users_of

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"


def user_store() -> UserStore:
    """The app's accounts: the users file, or the database ``USERS_STORE`` (webmap.users)."""
    return users_of(current_app.config)


def throttle() -> Throttle:
    """The sign-in throttle shared by every worker (``THROTTLE_PATH``, default next to the
    users file)."""
    path = current_app.config.get("THROTTLE_PATH") or (
        Path(current_app.config["USERS_PATH"]).with_name("throttle.sqlite3")
    )
    return Throttle(path)


def client_address() -> str:
    """The client's address (behind a proxy only with ``PROXY_FIX_X_FOR`` set)."""
    return request.remote_addr or "unknown"


def start_session(user: User) -> None:
    """Sign ``user`` in on this browser: a fresh session of the account's current generation."""
    session.clear()
    session.permanent = True  # PERMANENT_SESSION_LIFETIME (12 h by default), then sign in again
    session["user"] = user.username
    session["gen"] = user.session_gen
    csrf_token()


def current_user() -> User | None:
    """The signed-in, active user of this request (None for the public)."""
    if "user" not in g:
        name = session.get("user")
        user = user_store().get(name) if name else None
        if user is not None and (user.disabled or session.get("gen") != user.session_gen):
            user = None
        if user is None and name:
            session.pop("user", None)
        g.user = user
    return g.user


def csrf_token() -> str:
    """The current session's CSRF token (made on first use)."""
    token = session.get(CSRF_FIELD)
    if not token:
        token = secrets.token_urlsafe(32)
        session[CSRF_FIELD] = token
    return token


def check_csrf() -> None:
    """Refuse a state-changing request without the session's CSRF token (400)."""
    if request.method in SAFE_METHODS or request.routing_exception is not None:
        return  # unknown routes and methods get their own 404 / 405
    expected = session.get(CSRF_FIELD)
    given = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD) or ""
    if not expected or not hmac.compare_digest(str(expected), str(given)):
        abort(400, description="CSRF token missing or wrong; reload the page and try again")


def role_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Let only signed-in users with one of ``roles`` (or admin) through."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                if request.path.startswith("/api/"):
                    abort(401, description="sign in first (POST /login)")
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if not user.may(*roles):
                abort(403, description=f"your role ({user.role}) may not open this page")
            return view(*args, **kwargs)

        return guarded

    return decorate


def secret_key_for(app: Flask) -> str:
    """The app's SECRET_KEY: from the config, else one made once in the instance folder."""
    if app.config.get("SECRET_KEY"):
        return str(app.config["SECRET_KEY"])
    if app.config.get("TESTING"):
        return secrets.token_hex(32)  # tests never write into the instance folder
    from geogrid.io.atomic import write_text_atomic

    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        write_text_atomic(path, secrets.token_hex(32), private=True)  # 0600 from the start
    return path.read_text(encoding="utf-8").strip()


def init_app(app: Flask) -> None:
    """Secret key, CSRF check before every request, and template helpers."""
    app.secret_key = secret_key_for(app)
    if not app.config.get("USERS_PATH"):
        app.config["USERS_PATH"] = str(Path(app.instance_path) / "users.json")
    app.before_request(check_csrf)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["current_user"] = current_user
