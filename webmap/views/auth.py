"""The ``auth`` blueprint: sign in (/login), sign out (/logout), change the password (/password).

Sign-in attempts go through the shared throttle (:mod:`webmap.throttle`):
past the free failures the answer is 429 with ``Retry-After``, per client
address and user name and per address, so a stranger elsewhere never locks
the owner out. Signing out ends every session of the account (its session
generation moves on); so does a password change, which keeps only the
session that made it.
"""

from __future__ import annotations

from urllib.parse import urlparse

from flask import Blueprint, make_response, redirect, render_template, request, session, url_for

from geogrid.errors import InputError
from webmap.auth import (
    client_address,
    current_user,
    role_required,
    start_session,
    throttle,
    user_store,
)
from webmap.users import MIN_PASSWORD

bp = Blueprint("auth", __name__)

#: landing page per role after sign-in
HOME = {"team_leader": "patrol.index", "planner": "planner.editor", "admin": "planner.editor"}
WRONG = (
    "用户名或密码不正确，或账户已停用。 Wrong user name or password, or the account is disabled."
)


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlparse(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _too_many(template: str, wait_s: int, **context):
    """429 with Retry-After, on the page the person was using."""
    error = (
        f"尝试次数过多，请 {wait_s} 秒后再试。 Too many wrong passwords from here; "
        f"try again in {wait_s} s."
    )
    response = make_response(render_template(template, error=error, **context), 429)
    response.headers["Retry-After"] = str(wait_s)
    return response


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = ""
    status = 200
    if request.method == "POST":
        name = request.form.get("username", "").strip()
        wait_s = throttle().attempt(client_address(), name)
        if wait_s:
            return _too_many("auth/login.html", wait_s, user=current_user())
        user = user_store().authenticate(name, request.form.get("password", ""))
        if user is None:
            error, status = WRONG, 401
        else:
            throttle().succeeded(client_address(), name)
            start_session(user)
            target = _safe_next(request.args.get("next")) or url_for(HOME[user.role])
            return redirect(target)
    return render_template("auth/login.html", error=error, user=current_user()), status


@bp.post("/logout")
def logout():
    user = current_user()
    if user is not None:
        user_store().end_sessions(user.username)  # a copied cookie stops working too
    session.clear()
    return redirect(url_for("public.index"))


@bp.route("/password", methods=["GET", "POST"])
@role_required("team_leader", "planner")
def password():
    user = current_user()
    assert user is not None
    context = {"user": user, "min_length": MIN_PASSWORD}
    if request.method == "GET":
        return render_template("auth/password.html", error="", done=False, **context)
    wait_s = throttle().attempt(client_address(), user.username)
    if wait_s:
        return _too_many("auth/password.html", wait_s, done=False, **context)
    if user_store().authenticate(user.username, request.form.get("current_password", "")) is None:
        return render_template(
            "auth/password.html",
            error="当前密码不正确。 The current password is wrong.",
            done=False,
            **context,
        ), 401
    throttle().succeeded(client_address(), user.username)
    new = request.form.get("new_password", "")
    if new != request.form.get("new_password_again", ""):
        return render_template(
            "auth/password.html",
            error="两次输入的新密码不一致。 The new passwords differ.",
            done=False,
            **context,
        ), 400
    try:
        changed = user_store().set_password(user.username, new)
    except InputError as err:
        return render_template("auth/password.html", error=str(err), done=False, **context), 400
    start_session(changed)  # this browser stays signed in; every other session has ended
    return render_template("auth/password.html", error="", done=True, **context)
