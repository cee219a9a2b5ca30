"""The ``auth`` blueprint: the sign-in page (/login) and sign-out (/logout)."""

from __future__ import annotations

import threading
import time
from urllib.parse import urlparse

from flask import Blueprint, abort, redirect, render_template, request, session, url_for

from webmap.auth import csrf_token, current_user, user_store

bp = Blueprint("auth", __name__)

#: failed sign-ins per user name before it is refused for LOCKOUT_S (in this process)
MAX_FAILURES = 5
LOCKOUT_S = 600
_FAILURES: dict[str, list[float]] = {}
_FAILURES_LOCK = threading.Lock()
#: landing page per role after sign-in
HOME = {"team_leader": "patrol.index", "planner": "planner.editor", "admin": "planner.editor"}


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


