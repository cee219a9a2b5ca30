"""Every staff route as every role, against one declared table of status codes.

Roles: the public (a session with a CSRF token but no account), the leader of
team-1, the leader of team-2, a planner and an admin. The area is the small
grids workspace with two patrol teams and today's plan written as the solver
would; starting a job runs a stand-in instead of the solver (the table is about
who may, not about solving). A leader of team-2 may neither plan nor read
team-1's plan; no leader computes a plan for a date outside yesterday .. 14 days
ahead; a job's status is for its owner, planners and admins.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from flask import Flask
from flask.testing import FlaskClient
from grids_area import UTM_50N, outline
from webmap_staff import PASSWORD, add_accounts, csrf_of, grids_area, sign_in, staff_app

from webmap.jobs import runner_of
from webmap.users import UserStore

#: the server's today is the area's (time zone); the UTC date is inside the window either way
TODAY = date.today().isoformat()
ROLES = ("anon", "lead1", "lead2", "plan", "boss")
#: what each role gets; P = public, L1/L2 = leaders of team-1/team-2, PL = planner, A = admin
#: (path or (method, path, body), {role: status})
PAGE = {"anon": 302, "lead1": 403, "lead2": 403, "plan": 200, "boss": 200}
PLANNER_JSON = {"anon": 401, "lead1": 403, "lead2": 403, "plan": 200, "boss": 200}
TEAM1 = {"anon": 302, "lead1": 200, "lead2": 403, "plan": 403, "boss": 200}
TEAM1_JSON = {"anon": 401, "lead1": 200, "lead2": 403, "plan": 403, "boss": 200}
TABLE: list[tuple[str, str, Any, dict[str, int]]] = [
    ("GET", "/planner/", None, PAGE),
    ("GET", "/planner/versions", None, PAGE),
    ("GET", "/planner/diff?a=1&b=1", None, PAGE),
    ("GET", "/api/planner/state", None, PLANNER_JSON),
    ("GET", "/api/planner/diff?a=1&b=1", None, PLANNER_JSON),
    ("GET", "/api/planner/export.geojson", None, PLANNER_JSON),
    (
        "GET",
        "/api/planner/openapi.json",
        None,
        {"anon": 401, "lead1": 200, "lead2": 200, "plan": 200, "boss": 200},
    ),
    ("POST", "/api/planner/edits", "lock", {**PLANNER_JSON}),
    ("POST", "/api/planner/regenerate", {}, {**PLANNER_JSON, "plan": 202, "boss": 202}),
    ("POST", "/api/planner/rebalance", {}, {**PLANNER_JSON, "plan": 202, "boss": 202}),
    (
        "POST",
        "/api/planner/rebalance/accept",
        {"job": "0123456789abcdef"},
        {**PLANNER_JSON, "plan": 404, "boss": 404},
    ),
    # staffing: the area has no roster or staffing yet (downloads 404); the grids' If-Match
    # that _request sends is not a staffing tag (400), so nothing is saved or started
    ("GET", "/planner/staffing", None, PAGE),
    (
        "GET",
        "/planner/staffing/notice_boards.pdf?phones=1",
        None,
        {**PAGE, "plan": 404, "boss": 404},
    ),
    ("GET", "/planner/staffing/table.xlsx", None, {**PAGE, "plan": 404, "boss": 404}),
    ("GET", "/api/planner/staffing", None, PLANNER_JSON),
    (
        "POST",
        "/api/planner/staffing/edits",
        {"op": "assign", "person": "p", "grid": "g1", "role": "worker"},
        {**PLANNER_JSON, "plan": 400, "boss": 400},
    ),
    ("POST", "/api/planner/staffing/assign", {}, {**PLANNER_JSON, "plan": 400, "boss": 400}),
    ("GET", "/patrol/", None, {"anon": 302, "lead1": 200, "lead2": 200, "plan": 403, "boss": 200}),
    ("GET", f"/patrol/plans/{TODAY}/team-1", None, TEAM1),
    # no rota is planned for that week: whoever may see the file gets 404, the others 403
    (
        "GET",
        "/patrol/rota/2026-W50/team-1.pdf",
        None,
        {"anon": 302, "lead1": 404, "lead2": 403, "plan": 403, "boss": 404},
    ),
    (
        "GET",
        "/patrol/rota/2026-W50/rota.pdf",
        None,
        {"anon": 302, "lead1": 403, "lead2": 403, "plan": 403, "boss": 404},
    ),
    ("GET", f"/patrol/plans/{TODAY}/team-1/print", None, TEAM1),
    ("GET", f"/patrol/plans/{TODAY}/team-1.gpx", None, TEAM1),
    (
        "GET",
        f"/patrol/plans/{TODAY}/route_sheets.pdf",
        None,
        {"anon": 302, "lead1": 403, "lead2": 403, "plan": 403, "boss": 200},
    ),
    ("GET", f"/api/patrol/plans/{TODAY}/team-1.geojson", None, TEAM1_JSON),
    (
        "GET",
        f"/api/patrol/plans/{TODAY}/team-2.geojson",
        None,
        {"anon": 401, "lead1": 403, "lead2": 200, "plan": 403, "boss": 200},
    ),
    # a leader plans their own team; another team's plan is 403, whatever the date
    (
        "POST",
        "/api/patrol/plans",
        {"date": TODAY, "teams": ["team-1"]},
        {**TEAM1_JSON, "lead1": 202, "boss": 202},
    ),
    (
        "POST",
        "/api/patrol/plans",
        {"date": TODAY},
        {**TEAM1_JSON, "lead1": 202, "lead2": 202, "boss": 202},
    ),
    (
        "POST",
        "/api/patrol/plans",
        {"date": "9999-12-31"},
        {**TEAM1_JSON, "lead1": 400, "lead2": 400, "boss": 400},
    ),
    (
        "POST",
        "/api/patrol/plans",
        {"date": "0001-01-01", "teams": ["team-1"]},
        {**TEAM1_JSON, "lead1": 400, "lead2": 400, "boss": 400},
    ),
    (
        "POST",
        "/api/patrol/plans",
        {"date": (date.today() + timedelta(days=16)).isoformat()},
        {**TEAM1_JSON, "lead1": 400, "lead2": 400, "boss": 400},
    ),
    # after the patrol: a team's track and phone files, own teams only (no track logged yet: 404)
    (
        "GET",
        f"/api/patrol/plans/{TODAY}/team-1/track.geojson",
        None,
        {**TEAM1_JSON, "lead1": 404, "boss": 404},
    ),
    ("GET", f"/api/patrol/plans/{TODAY}/team-1/plan.kml", None, TEAM1_JSON),
    (
        "GET",
        f"/api/patrol/plans/{TODAY}/team-2/plan.gpx?datum=gcj02",
        None,
        {"anon": 401, "lead1": 403, "lead2": 200, "plan": 403, "boss": 200},
    ),
    (
        "POST",
        f"/api/patrol/plans/{TODAY}/team-1/track",
        {},
        {**TEAM1_JSON, "lead1": 400, "boss": 400},
    ),
    (
        "GET",
        "/api/jobs/{lead1_job}",
        None,
        {"anon": 401, "lead1": 200, "lead2": 404, "plan": 200, "boss": 200},
    ),
]


def _collection(features: list[dict[str, Any]]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def _point(x: float, y: float, **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": "Point", "coordinates": [round(x, 7), round(y, 7)]},
    }


def two_team_area(folder: Path) -> Path:
    """The grids workspace with team-1 and team-2 and today's plan of both."""
    grids_area(folder)
    centre = gpd.GeoSeries([outline().centroid], crs=UTM_50N).to_crs("EPSG:4326").iloc[0]
    x, y = centre.x, centre.y
    (folder / "teams.geojson").write_text(
        _collection(
            [
                _point(
                    x,
                    y,
                    id=team,
                    mode="walk",
                    name=team,
                    leader=team,
                    shift_start="07:00",
                    shift_end="09:00",
                )
                for team in ("team-1", "team-2")
            ]
        ),
        encoding="utf-8",
    )
    out = folder / "plans" / "web" / TODAY
    out.mkdir(parents=True)
    features = []
    for team in ("team-1", "team-2"):
        features.append(
            _point(
                x,
                y,
                team=team,
                feature="stop",
                seq=1,
                name="学校",
                kind="school",
                arrival="07:30",
                start="07:30",
                leave="07:55",
                dwell_min=25,
            )
        )
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [[x, y], [x + 0.001, y], [x, y]]},
                "properties": {
                    "team": team,
                    "feature": "route",
                    "stops": 1,
                    "depart": "07:10",
                    "return": "08:20",
                    "distance_m": 400.0,
                    "total_min": 70,
                },
            }
        )
        (out / f"{team}.gpx").write_text("<gpx><wpt lat='0' lon='0'/></gpx>", encoding="utf-8")
        (out / f"{team}.pdf").write_bytes(b"%PDF-1.4 stand-in")
    (out / "route_sheets.pdf").write_bytes(b"%PDF-1.4 stand-in")
    (out / "plan.geojson").write_text(_collection(features), encoding="utf-8")
    (out / "plan.json").write_text(
        json.dumps(
            {
                "area": "test",
                "prize": 2,
                "seed": 0,
                "solve_s": 0.1,
                "stops": 2,
                "visited": 2,
                "skipped": [],
                "teams": [{"team": t, "stops": 1} for t in ("team-1", "team-2")],
            }
        ),
        encoding="utf-8",
    )
    return folder


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    base = tmp_path_factory.mktemp("roles")
    users = base / "users.json"
    add_accounts(users)
    UserStore(users).add("lead2", PASSWORD, "team_leader", team="team-2")
    return staff_app(two_team_area(base / "area"), users, JOBS_PER_USER=50)


@pytest.fixture(scope="module")
def clients(app: Flask) -> dict[str, tuple[FlaskClient, str]]:
    out = {}
    for role in ROLES:
        client = app.test_client()
        out[role] = (client, csrf_of(client) if role == "anon" else sign_in(client, role))
    return out


@pytest.fixture(autouse=True)
def quick_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Jobs run a stand-in: the table is about who may start them, not about solving."""
    from geogrid.jobs import tasks
    from webmap.views import planner

    monkeypatch.setattr(tasks, "plan_shift", lambda progress, *args: {"stand_in": True})
    monkeypatch.setattr(planner, "_regenerate", lambda progress, *args: {"stand_in": True})
    monkeypatch.setattr(planner, "_rebalance_preview", lambda progress, *args: {"stand_in": True})


def _request(
    app: Flask,
    clients: dict[str, tuple[FlaskClient, str]],
    role: str,
    method: str,
    path: str,
    body: Any,
):
    client, token = clients[role]
    headers = {"X-CSRF-Token": token}
    if path.startswith("/api/planner/"):
        boss = clients["boss"][0]
        headers["If-Match"] = boss.get("/api/planner/state").headers["ETag"]
    if body == "lock":
        state = clients["boss"][0].get("/api/planner/state").get_json()
        body = {"op": "lock", "codes": [state["grids"]["features"][0]["properties"]["code"]]}
    if method == "GET":
        return client.get(path, headers=headers)
    return client.post(path, json=body, headers=headers)


def test_every_staff_route_is_in_the_table(app: Flask) -> None:
    """The table names every planner, patrol and jobs route (a new route needs a row)."""
    staff = ("planner.", "planner_api.", "patrol.", "patrol_api.", "patrol_tracks_api.", "jobs.")
    rules = {r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith(staff)}
    covered = {
        "/planner/",
        "/planner/versions",
        "/planner/diff",
        "/api/planner/state",
        "/api/planner/diff",
        "/api/planner/export.geojson",
        "/api/planner/openapi.json",
        "/api/planner/edits",
        "/api/planner/regenerate",
        "/api/planner/undo",
        "/patrol/",
        "/api/planner/rebalance",
        "/api/planner/rebalance/accept",
        "/planner/staffing",
        "/planner/staffing/notice_boards.pdf",
        "/planner/staffing/table.<fmt>",
        "/api/planner/staffing",
        "/api/planner/staffing/edits",
        "/api/planner/staffing/assign",
        "/patrol/plans/<day>/<team>",
        "/patrol/plans/<day>/<team>/print",
        "/patrol/plans/<day>/<team>.gpx",
        "/patrol/plans/<day>/<team>.pdf",
        "/patrol/plans/<day>/route_sheets.pdf",
        "/api/patrol/plans",
        "/api/patrol/plans/<day>/<team>.geojson",
        "/api/jobs/<job_id>",
        "/api/patrol/plans/<day>/<team>/track",
        "/api/patrol/plans/<day>/<team>/track.geojson",
        "/api/patrol/plans/<day>/<team>/plan.<fmt>",
        "/patrol/rota/<week>/<name>",
    }
    assert rules == covered


@pytest.mark.parametrize(
    "row",
    range(len(TABLE)),
    ids=[f"{m} {p} {b if isinstance(b, dict) else ''}" for m, p, b, _ in TABLE],
)
def test_route_as_every_role(
    app: Flask, clients: dict[str, tuple[FlaskClient, str]], row: int
) -> None:
    """Each role gets exactly the declared status; jobs are waited for so none overlaps."""
    method, path, body, expected = TABLE[row]
    if "{lead1_job}" in path:
        client, token = clients["lead1"]
        res = client.post(
            "/api/patrol/plans",
            json={"date": TODAY, "teams": ["team-1"]},
            headers={"X-CSRF-Token": token},
        )
        assert res.status_code == 202, res.get_json()
        path = path.format(lead1_job=res.get_json()["job"])
        runner_of(app).wait(res.get_json()["job"])
    got = {}
    for role in ROLES:
        res = _request(app, clients, role, method, path, body)
        got[role] = res.status_code
        if res.status_code == 202:
            runner_of(app).wait(res.get_json()["job"])
    assert got == expected


def test_team_pdf_of_another_team_is_refused(
    app: Flask, clients: dict[str, tuple[FlaskClient, str]]
) -> None:
    """The per-team PDF follows the same rule: team-2's leader cannot download team-1's sheet."""
    assert clients["lead2"][0].get(f"/patrol/plans/{TODAY}/team-1.pdf").status_code == 403
    assert clients["lead1"][0].get(f"/patrol/plans/{TODAY}/team-1.pdf").status_code == 200
    index = clients["lead2"][0].get("/patrol/").get_data(as_text=True)
    assert 'value="team-2"' in index and 'value="team-1"' not in index


def test_leader_job_plans_only_their_team(
    app: Flask, clients: dict[str, tuple[FlaskClient, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A team-1 leader's job is started for team-1 only, whatever the body leaves out."""
    from geogrid.jobs import tasks

    seen: list[Any] = []
    monkeypatch.setattr(tasks, "plan_shift", lambda progress, *args: seen.append(args[-1]) or {})
    client, token = clients["lead1"]
    res = client.post("/api/patrol/plans", json={"date": TODAY}, headers={"X-CSRF-Token": token})
    runner_of(app).wait(res.get_json()["job"])
    assert seen == [["team-1"]]
    boss, token = clients["boss"]
    res = boss.post("/api/patrol/plans", json={"date": TODAY}, headers={"X-CSRF-Token": token})
    runner_of(app).wait(res.get_json()["job"])
    assert seen[-1] is None  # an admin's plan covers every team
