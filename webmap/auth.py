"""Sign-in, roles and CSRF: the ``auth`` blueprint (/login, /logout) and the guards.

* Sessions are Flask's signed cookie (HttpOnly, SameSite=Lax, Secure unless
  ``SESSION_COOKIE_SECURE`` is False for plain-http development); the account
  is re-read from the users file on every request, so disabling a user ends
  their sessions at once.
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
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from webmap.users import User, UserStore

bp = Blueprint("auth", __name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
#: failed sign-ins per user name before it is refused for LOCKOUT_S (in this process)
MAX_FAILURES = 5
LOCKOUT_S = 600
_FAILURES: dict[str, list[float]] = {}
_FAILURES_LOCK = threading.Lock()
#: landing page per role after sign-in
HOME = {"team_leader": "patrol.index", "planner": "planner.editor", "admin": "planner.editor"}


def user_store() -> UserStore:
    return UserStore(current_app.config["USERS_PATH"])


def current_user() -> User | None:
    """The signed-in, active user of this request (None for the public)."""
    if "user" not in g:
        name = session.get("user")
        user = user_store().get(name) if name else None
        if user is not None and (user.disabled or session.get("pw") != user.password_hash[-16:]):
            user = None
        if user is None and name:
            session.pop("user", None)
        g.user = user
    return g.user


def csrf_token() -> str:
    """This session's CSRF token (made on first use)."""
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


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlparse(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = ""
    status = 200
    if request.method == "POST":
        name = request.form.get("username", "").strip()
        if _locked_out(name):
            abort(429, description=f"too many wrong passwords for {name!r}; wait "
                                   f"{LOCKOUT_S // 60} minutes or ask an admin")
        user = user_store().authenticate(name, request.form.get("password", ""))
        _count_attempt(name, ok=user is not None)
        if user is None:
            error = "用户名或密码不正确，或账户已停用。 Wrong user name or password, or the account is disabled."
            status = 401
        else:
            session.clear()
            session.permanent = True  # PERMANENT_SESSION_LIFETIME (12 h by default), then sign in again
            session["user"] = user.username
            session["pw"] = user.password_hash[-16:]  # a password change ends old sessions
            csrf_token()
            target = _safe_next(request.args.get("next")) or url_for(HOME[user.role])
            return redirect(target)
    return render_template("auth/login.html", error=error, user=current_user()), status


def _locked_out(name: str) -> bool:
    now = time.time()
    with _FAILURES_LOCK:
        recent = [t for t in _FAILURES.get(name, []) if now - t < LOCKOUT_S]
        _FAILURES[name] = recent
        return len(recent) >= MAX_FAILURES


def _count_attempt(name: str, ok: bool) -> None:
    with _FAILURES_LOCK:
        if ok:
            _FAILURES.pop(name, None)
        else:
            _FAILURES.setdefault(name, []).append(time.time())


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("public.index"))


def secret_key_for(app: Flask) -> str:
    """The app's SECRET_KEY: from the config, else one made once in the instance folder."""
    if app.config.get("SECRET_KEY"):
        return str(app.config["SECRET_KEY"])
    if app.config.get("TESTING"):
        return secrets.token_hex(32)  # tests never write into the instance folder
    from geogrid.io.atomic import write_text_atomic

    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        write_text_atomic(path, secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def init_app(app: Flask) -> None:
    """Secret key, CSRF check before every request, and template helpers."""
    app.secret_key = secret_key_for(app)
    if not app.config.get("USERS_PATH"):
        app.config["USERS_PATH"] = str(Path(app.instance_path) / "users.json")
    app.before_request(check_csrf)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["current_user"] = current_user
