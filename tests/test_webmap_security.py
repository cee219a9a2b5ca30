"""webmap.security and the attacks of the security issue, through Flask's test client.

Headers on every kind of route (public, API, planner, patrol, login,
static, errors) with a CSP whose script-src has no 'unsafe-inline' and whose
nonce is on every inline script Folium renders; grid codes with markup are
refused; our templates hold no inline script or event-handler attribute.
(The browser side of the same attacks: tests/test_browser_security.py; logins
and sessions: tests/test_webmap_throttle.py and tests/test_webmap_auth.py.)
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from webmap_attack import DAY, TEAM, XSS, hostile_area
from webmap_staff import csrf_of, sign_in, staff_app

from webmap.security import content_security_policy, tile_hosts

TEMPLATES = Path(__file__).parents[1] / "webmap" / "templates"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    base = tmp_path_factory.mktemp("security")
    return staff_app(hostile_area(base / "area"), base / "users.json")


def _csp(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


def _check_headers(res, where: str) -> dict[str, list[str]]:
    assert res.headers.get("X-Content-Type-Options") == "nosniff", where
    assert res.headers.get("X-Frame-Options") == "DENY", where
    assert res.headers.get("Referrer-Policy") in ("same-origin", "strict-origin"), where
    csp = _csp(res.headers.get("Content-Security-Policy", ""))
    assert "'unsafe-inline'" not in csp["script-src"] and "'self'" in csp["script-src"], where
    assert "'unsafe-eval'" not in csp["script-src"], where
    assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"], where
    assert csp["frame-ancestors"] == ["'none'"], where
    assert csp["img-src"][:2] == ["'self'", "data:"], where
    return csp


def test_every_kind_of_route_sends_the_headers(app: Flask) -> None:
    """Public, API, login, static, 404/400/405 errors, planner and patrol pages and APIs."""
    public = app.test_client()
    urls = [
        "/",
        "/healthz",
        "/api/area",
        "/api/openapi.json",
        "/login",
        "/static/js/planner.js",
        "/static/vendor/leaflet-1.9.3/leaflet.css",
        "/no-such-page",
        "/api/no-such",
        "/?basemap=nope",
        "/planner/",
        "/api/planner/state",
    ]
    for url in urls:
        _check_headers(public.get(url), url)
    _check_headers(public.post("/login", data={}), "POST /login without CSRF (400)")
    _check_headers(public.put("/healthz"), "PUT /healthz (405)")
    planner = app.test_client()
    sign_in(planner, "plan")
    for url in ("/planner/", "/planner/versions", "/planner/diff", "/api/planner/state"):
        res = planner.get(url)
        assert res.status_code == 200, url
        _check_headers(res, url)
    lead = app.test_client()
    sign_in(lead, "lead")
    for url in (
        "/patrol/",
        f"/patrol/plans/{DAY}/{TEAM}",
        f"/patrol/plans/{DAY}/{TEAM}/print",
        f"/api/patrol/plans/{DAY}/{TEAM}.geojson",
    ):
        res = lead.get(url)
        assert res.status_code == 200, url
        _check_headers(res, url)


def test_folium_inline_scripts_carry_this_responses_nonce(app: Flask) -> None:
    """Every inline <script> of the public map has the nonce of its CSP; nonces differ per
    response."""
    client = app.test_client()
    nonces = []
    for _ in range(2):
        res = client.get("/")
        csp = _check_headers(res, "/")
        nonce = next(v for v in csp["script-src"] if v.startswith("'nonce-"))[7:-1]
        nonces.append(nonce)
        page = res.get_data(as_text=True)
        scripts = re.findall(r"<script\b[^>]*>", page)
        inline = [s for s in scripts if "src=" not in s]
        assert inline, "the public map renders inline scripts"
        assert all(f'nonce="{nonce}"' in s for s in inline), inline
    assert nonces[0] != nonces[1]


def test_tile_hosts_only_when_a_tile_basemap_is_drawn(app: Flask) -> None:
    """The offline map allows no remote images; ?basemap=osm allows OSM's tile host only."""
    client = app.test_client()
    offline = _csp(client.get("/").headers["Content-Security-Policy"])
    assert offline["img-src"] == ["'self'", "data:"]
    osm = _csp(client.get("/?basemap=osm").headers["Content-Security-Policy"])
    assert osm["img-src"] == ["'self'", "data:", "https://tile.openstreetmap.org"]
    assert tile_hosts("amap") == ["https://*.is.autonavi.com"]
    assert tile_hosts("tianditu") == ["https://*.tianditu.gov.cn"]
    assert "'nonce-" not in content_security_policy(None, [])


def test_templates_hold_no_inline_script_or_handler() -> None:
    """Page scripts live in static/js: no on...= attribute, and the only inline script is
    Folium's."""
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\son[a-z]+\s*=", text), path
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag or "csp_nonce()" in tag, (path, tag)
        assert "|safe" not in text.replace("parts.script|safe", ""), path


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"op": "rename", "new_code": XSS}, "new_code"),
        ({"op": "rename", "new_code": "a" * 33}, "new_code"),
        ({"op": "split", "new_code": "110 108"}, "new_code"),
        ({"op": "reassign", "units": ["x"], "to": XSS}, "to"),
        ({"op": "reassign", "units": ["x"], "to": "${alert(1)}"}, "to"),
    ],
)
def test_grid_codes_with_markup_are_refused(app: Flask, body: dict, field: str) -> None:
    """A new code or move target outside ^[0-9A-Za-z_-]{1,32}$ is 400 naming the field; nothing
    saved."""
    client = app.test_client()
    token = sign_in(client, "plan")
    state = client.get("/api/planner/state").get_json()
    code = state["grids"]["features"][0]["properties"]["code"]
    res = client.post(
        "/api/planner/edits",
        json={"codes": [code], **body},
        headers={"X-CSRF-Token": token, "If-Match": f'"{state["etag"]}"'},
    )
    assert res.status_code == 400
    message = res.get_json()["error"]["message"]
    assert message.startswith(f"{field}:") and "[0-9A-Za-z_-]{1,32}" in message, message
    assert client.get("/api/planner/state").get_json()["etag"] == state["etag"]


def test_error_pages_escape_what_they_echo(app: Flask) -> None:
    """A payload in the URL or a form comes back escaped (Jinja autoescape), never as markup."""
    client = app.test_client()
    page = client.get("/?basemap=" + XSS).get_data(as_text=True)
    assert "<img src=x" not in page
    token = csrf_of(client)
    page = client.post("/login", data={"username": XSS, "password": "x", "csrf_token": token})
    assert "<img src=x" not in page.get_data(as_text=True)
