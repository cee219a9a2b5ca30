"""webmap.auth: sign-in, the route-by-role table, CSRF, session cookies.

Every staff route is tried as the public, a team leader, a planner and an
admin: a role that may not open it is sent to the sign-in page (pages) or
gets 401 (API) when signed out, 403 when signed in; a role that may is let
through. POSTs send bodies that are refused after the role check (bad date,
no If-Match, ...) so nothing is solved or saved here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from webmap_staff import PASSWORD, csrf_of, grids_area, sign_in, staff_app

from webmap.auth import secret_key_for
from webmap.users import UserStore

DAY = "2026-05-01"
#: rule -> (method, sample URL, JSON body, audience); admin may everything
STAFF_ROUTES: dict[str, tuple[str, str, dict | None, str]] = {
    "/planner/": ("GET", "/planner/", None, "planner"),
    "/planner/versions": ("GET", "/planner/versions", None, "planner"),
    "/planner/diff": ("GET", "/planner/diff?a=1&b=1", None, "planner"),
    "/api/planner/state": ("GET", "/api/planner/state", None, "planner"),
    "/api/planner/edits": ("POST", "/api/planner/edits", {"op": "split", "codes": []}, "planner"),
    "/api/planner/undo": ("POST", "/api/planner/undo", {}, "planner"),
    "/api/planner/regenerate": ("POST", "/api/planner/regenerate", {}, "planner"),
    "/api/planner/diff": ("GET", "/api/planner/diff", None, "planner"),
    "/api/planner/export.geojson": ("GET", "/api/planner/export.geojson", None, "planner"),
    "/api/planner/openapi.json": ("GET", "/api/planner/openapi.json", None, "staff"),
    # refused after the role check (bad types), so nothing is computed or saved here
    "/api/planner/rebalance": ("POST", "/api/planner/rebalance", {"seed": "x"}, "planner"),
    "/api/planner/rebalance/accept": ("POST", "/api/planner/rebalance/accept", {}, "planner"),
    "/planner/staffing": ("GET", "/planner/staffing", None, "planner"),
    "/planner/staffing/notice_boards.pdf": (
        "GET",
        "/planner/staffing/notice_boards.pdf",
        None,
        "planner",
    ),
    "/planner/staffing/table.<fmt>": ("GET", "/planner/staffing/table.csv", None, "planner"),
    "/api/planner/staffing": ("GET", "/api/planner/staffing", None, "planner"),
    "/api/planner/staffing/edits": ("POST", "/api/planner/staffing/edits", {}, "planner"),
    "/api/planner/staffing/assign": ("POST", "/api/planner/staffing/assign", {}, "planner"),
    "/patrol/": ("GET", "/patrol/", None, "team_leader"),
    "/patrol/plans/<day>/<team>": ("GET", f"/patrol/plans/{DAY}/team-1", None, "team_leader"),
    "/patrol/rota/<week>/<name>": ("GET", "/patrol/rota/2026-W50/team-1.pdf", None, "team_leader"),
    "/patrol/plans/<day>/<team>/print": (
        "GET",
        f"/patrol/plans/{DAY}/team-1/print",
        None,
        "team_leader",
    ),
    "/patrol/plans/<day>/route_sheets.pdf": (
        "GET",
        f"/patrol/plans/{DAY}/route_sheets.pdf",
        None,
        "team_leader",
    ),
    "/patrol/plans/<day>/<team>.gpx": (
        "GET",
        f"/patrol/plans/{DAY}/team-1.gpx",
        None,
        "team_leader",
    ),
    "/patrol/plans/<day>/<team>.pdf": (
        "GET",
        f"/patrol/plans/{DAY}/team-1.pdf",
        None,
        "team_leader",
    ),
    "/api/patrol/plans": ("POST", "/api/patrol/plans", {"date": "not-a-date"}, "team_leader"),
    "/api/patrol/plans/<day>/<team>.geojson": (
        "GET",
        f"/api/patrol/plans/{DAY}/team-1.geojson",
        None,
        "team_leader",
    ),
    "/api/patrol/plans/<day>/<team>/track": (
        "POST",
        f"/api/patrol/plans/{DAY}/team-1/track",
        {},
        "team_leader",
    ),
    "/api/patrol/plans/<day>/<team>/track.geojson": (
        "GET",
        f"/api/patrol/plans/{DAY}/team-1/track.geojson",
        None,
        "team_leader",
    ),
    "/api/patrol/plans/<day>/<team>/plan.<fmt>": (
        "GET",
        f"/api/patrol/plans/{DAY}/team-1/plan.kml",
        None,
        "team_leader",
    ),
    "/api/jobs/<job_id>": ("GET", "/api/jobs/000000000000", None, "staff"),
    "/password": ("GET", "/password", None, "staff"),
}
OPEN_ROUTES = {"/login", "/logout"}
#: audience -> roles let in: each role sees only its own pages
AUDIENCE = {
    "planner": {"planner", "admin"},
    "team_leader": {"team_leader", "admin"},
    "staff": {"team_leader", "planner", "admin"},
}
ROLE_USERS = {None: None, "team_leader": "lead", "planner": "plan", "admin": "boss"}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    base = tmp_path_factory.mktemp("auth")
    return staff_app(grids_area(base / "area"), base / "users.json")


def test_every_staff_rule_is_in_the_table(app: Flask) -> None:
    """No route escapes the route-by-role test: each staff rule has a row here."""
    staff = (
        "auth.",
        "planner.",
        "planner_api.",
        "patrol.",
        "patrol_api.",
        "patrol_tracks_api.",
        "jobs.",
    )
    rules = {r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith(staff)}
    assert rules == set(STAFF_ROUTES) | OPEN_ROUTES


@pytest.mark.parametrize("role", list(ROLE_USERS))
def test_route_by_role(app: Flask, role: str | None) -> None:
    """Each role opens exactly the routes of its audience and is refused the others."""
    client = app.test_client()
    token = sign_in(client, ROLE_USERS[role]) if role else csrf_of(client)
    for method, url, body, audience in STAFF_ROUTES.values():
        headers = {"X-CSRF-Token": token}
        res = client.open(url, method=method, json=body, headers=headers)
        allowed = role in AUDIENCE[audience]
        where = f"{role} {method} {url} -> {res.status_code}"
        if allowed:
            assert res.status_code not in (401, 403) and res.status_code < 500, where
            assert "/login" not in (res.headers.get("Location") or ""), where
        elif role is None and url.startswith("/api/"):
            assert res.status_code == 401, where
        elif role is None:
            assert res.status_code == 302 and "/login?next=" in res.headers["Location"], where
        else:
            assert res.status_code == 403, where


def test_allowed_pages_render(app: Flask) -> None:
    """The pages a role may open answer 200 with its name and the sign-out form."""
    client = app.test_client()
    sign_in(client, "plan")
    for url in ("/planner/", "/planner/versions", "/planner/diff?a=1&b=1"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert "plan (planner)" in page.get_data(as_text=True)
    lead = app.test_client()
    sign_in(lead, "lead")
    assert lead.get("/patrol/").status_code == 200
    assert lead.get("/planner/").status_code == 403


def test_login_wrong_password_and_disabled_user(app: Flask, tmp_path: Path) -> None:
    """A wrong password is 401 with a message; disabling a user ends their open session."""
    client = app.test_client()
    token = csrf_of(client)
    res = client.post(
        "/login", data={"username": "plan", "password": "nope-nope", "csrf_token": token}
    )
    assert res.status_code == 401 and "Wrong user name or password" in res.get_data(as_text=True)
    store = UserStore(app.config["USERS_PATH"])
    store.add("temp", PASSWORD, "planner")
    sign_in(client, "temp")
    assert client.get("/planner/").status_code == 200
    store.set_disabled("temp")
    assert client.get("/planner/").status_code == 302
    assert client.get("/api/planner/state").status_code == 401


def test_csrf_is_required_on_every_state_change(app: Flask) -> None:
    """A POST without the token (or with another session's) is 400, sign-in included."""
    client = app.test_client()
    res = client.post("/login", data={"username": "plan", "password": PASSWORD})
    assert res.status_code == 400 and "CSRF" in res.get_data(as_text=True)
    sign_in(client, "plan")
    other = csrf_of(app.test_client())
    for headers in ({}, {"X-CSRF-Token": other}):
        res = client.post("/api/planner/undo", headers={**headers, "If-Match": "*"})
        assert res.status_code == 400 and "CSRF" in res.get_json()["error"]["message"]
    assert client.post("/logout").status_code == 400


def test_logout_and_safe_next(app: Flask) -> None:
    """Sign-out needs the token and ends the session; ?next= never leads off the site."""
    client = app.test_client()
    token = csrf_of(client)
    res = client.post(
        "/login?next=https://evil.example/",
        data={"username": "lead", "password": PASSWORD, "csrf_token": token},
    )
    assert res.headers["Location"] == "/patrol/"
    token = csrf_of(client, "/patrol/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/patrol/").status_code == 302


def test_session_cookie_flags(tmp_path: Path) -> None:
    """HttpOnly and SameSite=Lax always; Secure by default (production), off in tests."""
    area = grids_area(tmp_path / "area")
    prod = staff_app(area, tmp_path / "users.json", TESTING=False, SESSION_COOKIE_SECURE=True)
    client = prod.test_client()
    csrf_of(client)
    cookie = client.get("/login").headers.get("Set-Cookie") or ""
    client2 = prod.test_client()
    res = client2.get("/login")
    cookie = res.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    from webmap import create_app

    assert (
        create_app({"AREA_PATH": str(area), "TESTING": True}).config["SESSION_COOKIE_SECURE"]
        is False
    )
    assert (
        create_app({"AREA_PATH": str(area), "SECRET_KEY": "k"}).config["SESSION_COOKIE_SECURE"]
        is True
    )


def test_dev_secret_key_is_made_once_in_the_instance_folder(tmp_path: Path) -> None:
    """Without SECRET_KEY a key is written once to <instance>/secret_key and reused."""
    app = Flask("keytest", instance_path=str(tmp_path / "instance"))
    first = secret_key_for(app)
    assert len(first) == 64 and (tmp_path / "instance/secret_key").stat().st_mode & 0o777 == 0o600
    assert secret_key_for(app) == first


def test_repeated_wrong_passwords_slow_the_guesser_down(app: Flask) -> None:
    """After five wrong passwords from one address the name waits (429 with Retry-After)."""
    UserStore(app.config["USERS_PATH"]).add("guess", PASSWORD, "planner")
    client = app.test_client()
    token = csrf_of(client)
    for _ in range(5):
        res = client.post(
            "/login", data={"username": "guess", "password": "wrong-wrong", "csrf_token": token}
        )
        assert res.status_code == 401
    res = client.post(
        "/login", data={"username": "guess", "password": PASSWORD, "csrf_token": token}
    )
    assert res.status_code == 429 and "Too many wrong passwords" in res.get_data(as_text=True)
    assert int(res.headers["Retry-After"]) >= 1


def _cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _decoded_session(value: str) -> str:
    """The session cookie's payload as text (Flask's cookie is signed, not encrypted)."""
    import base64
    import zlib

    payload = value.split(".")[1] if value.startswith(".") else value.split(".", maxsplit=1)[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return (zlib.decompress(raw) if value.startswith(".") else raw).decode("utf-8")


def test_session_cookie_holds_no_password_material(app: Flask) -> None:
    """The decoded cookie names the user and its session generation, nothing of the hash."""
    client = app.test_client()
    sign_in(client, "plan")
    payload = _decoded_session(_cookie(client))
    user = UserStore(app.config["USERS_PATH"]).get("plan")
    assert '"user":"plan"' in payload.replace(" ", "")
    assert '"pw"' not in payload and "scrypt" not in payload
    hash_text = user.password_hash.split("$")[-1]
    for k in range(0, len(hash_text) - 8, 4):
        assert hash_text[k : k + 8] not in payload


def test_copied_cookie_is_refused_after_logout(tmp_path: Path) -> None:
    """A cookie copied before sign-out opens nothing afterwards (every session of the user ends)."""
    app = staff_app(grids_area(tmp_path / "area"), tmp_path / "users.json")
    client = app.test_client()
    sign_in(client, "plan")
    copied = _cookie(client)
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/api/planner/state").status_code == 200
    token = csrf_of(client, "/planner/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    thief.set_cookie("session", copied)
    assert thief.get("/api/planner/state").status_code == 401
    assert thief.get("/planner/").status_code == 302
    sign_in(client, "plan")  # signing in again works
    assert client.get("/api/planner/state").status_code == 200


def test_password_change_page_ends_other_sessions(tmp_path: Path) -> None:
    """Current password, new one twice, CSRF: the policy is enforced; old cookies stop working."""
    app = staff_app(grids_area(tmp_path / "area"), tmp_path / "users.json")
    client = app.test_client()
    token = sign_in(client, "lead")
    copied = _cookie(client)
    page = client.get("/password")
    assert page.status_code == 200 and 'name="new_password_again"' in page.get_data(as_text=True)

    def change(current: str, new: str, again: str | None = None, csrf: str | None = None):
        return client.post(
            "/password",
            data={
                "current_password": current,
                "new_password": new,
                "new_password_again": again or new,
                "csrf_token": token if csrf is None else csrf,
            },
        )

    assert change(PASSWORD, "brand-new-secret-7", csrf="").status_code == 400  # no CSRF token
    assert change("not-my-password", "brand-new-secret-7").status_code == 401
    assert change(PASSWORD, "brand-new-secret-7", "brand-new-secret-8").status_code == 400
    weak = change(PASSWORD, "1234567890")
    assert weak.status_code == 400 and "most common" in weak.get_data(as_text=True)
    short = change(PASSWORD, "abc")
    assert short.status_code == 400 and "at least 10" in short.get_data(as_text=True)
    done = change(PASSWORD, "brand-new-secret-7")
    assert done.status_code == 200 and "password-changed" in done.get_data(as_text=True)
    assert client.get("/patrol/").status_code == 200  # the session that changed it goes on
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/patrol/").status_code == 302
    fresh = app.test_client()
    token = csrf_of(fresh)
    assert (
        fresh.post(
            "/login", data={"username": "lead", "password": PASSWORD, "csrf_token": token}
        ).status_code
        == 401
    )
    assert (
        fresh.post(
            "/login",
            data={"username": "lead", "password": "brand-new-secret-7", "csrf_token": token},
        ).status_code
        == 302
    )
