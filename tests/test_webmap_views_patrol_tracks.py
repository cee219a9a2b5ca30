"""webmap.views.patrol_tracks: a team leader uploads the night's track and sees planned vs actual.

Scope (a leader of another team gets 403), CSRF (400 without the token), the size
limit (413), form validation (400 naming the field), a bad file (400 naming the
file and the fix, nothing logged), and the phone files (KML, GCJ-02 GPX).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from tracks_area import DAY, TRACKS, make_planned_area
from webmap_staff import PASSWORD, sign_in, staff_app

from geogrid.io.workspace import Workspace
from webmap.users import UserStore

URL = f"/api/patrol/plans/{DAY}/team-a/track"


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    area = make_planned_area(tmp_path / "area")
    users = tmp_path / "users.json"
    app = staff_app(area, users, TRACK_MAX_BYTES=200_000)
    UserStore(users).add("leada", PASSWORD, "team_leader", team="team-a")
    return app


def upload(
    client, token: str | None, name: str = "walk.gpx", data: bytes | None = None, **fields: str
):
    body = {
        "members": "3",
        **fields,
        "track": (io.BytesIO(data if data is not None else (TRACKS / name).read_bytes()), name),
    }
    headers = (
        {"X-CSRF-Token": token, "Accept": "application/json"}
        if token
        else {"Accept": "application/json"}
    )
    return client.post(URL, data=body, content_type="multipart/form-data", headers=headers)


def test_upload_logs_and_track_shows(app: Flask) -> None:
    """The team's leader uploads the walk: 1 of 3 stops; the track GeoJSON has track, walked,
    stops."""
    client = app.test_client()
    token = sign_in(client, "leada")
    assert client.get(f"{URL}.geojson").status_code == 404
    res = upload(client, token)
    assert res.status_code == 200, res.get_data(as_text=True)
    body = res.get_json()
    assert (body["planned"], body["done"], body["members"]) == (3, 1, 3)
    assert {m["stop_id"] for m in body["missed"]} == {"hotspot-B", "hotspot-C"}
    track = client.get(f"/api/patrol/plans/{DAY}/team-a/track.geojson").get_json()
    assert {f["properties"]["feature"] for f in track["features"]} == {"track", "walked", "stop"}
    page = client.get(f"/patrol/plans/{DAY}/team-a").get_data(as_text=True)
    assert 'id="track-form"' in page and 'id="legend"' in page and "data-track-url" in page


def test_scope_csrf_size_and_fields(app: Flask) -> None:
    """Another team's leader: 403; no CSRF token: 400; too large: 413; bad fields: 400 naming
    them."""
    client = app.test_client()
    token = sign_in(client, "lead1")  # leads team-1 only
    assert upload(client, token).status_code == 403
    client = app.test_client()
    token = sign_in(client, "leada")
    assert upload(client, None).status_code == 400
    assert upload(client, token, data=b"x" * 300_000).status_code == 413
    res = upload(client, token, datum="bd09")
    assert res.status_code == 400 and "datum" in res.get_data(as_text=True)
    res = upload(client, token, time_offset="many")
    assert res.status_code == 400 and "time_offset" in res.get_data(as_text=True)
    assert upload(client, token, members="").status_code == 400
    assert not Workspace(app.config["AREA_PATH"]).patrol_log_path.exists()


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("walk_local_as_utc.gpx", "time offset -8 h"),
        ("walk_gcj02_as_wgs84.gpx", "GCJ-02"),
        ("broken.gpx", "broken.gpx: not a readable GPX"),
        ("empty.gpx", "no track points"),
        ("make_tracks.py", "give a track as"),
    ],
)
def test_bad_file_is_a_400_naming_it(app: Flask, name: str, fragment: str) -> None:
    """Bad tracks: 400 whose message names the file and the fix; nothing logged."""
    client = app.test_client()
    token = sign_in(client, "leada")
    res = upload(client, token, name=name)
    assert res.status_code == 400 and fragment in res.get_json()["error"]["message"]
    assert not Workspace(app.config["AREA_PATH"]).patrol_log_path.exists()


def test_phone_files(app: Flask) -> None:
    """plan.kml and plan.gpx?datum=gcj02: downloads named so; an unknown datum is a 400."""
    client = app.test_client()
    sign_in(client, "leada")
    kml = client.get(f"/api/patrol/plans/{DAY}/team-a/plan.kml")
    assert kml.status_code == 200 and b"<kml" in kml.data
    assert f"team-a-{DAY}.kml" in kml.headers["Content-Disposition"]
    gcj = client.get(f"/api/patrol/plans/{DAY}/team-a/plan.gpx?datum=gcj02")
    assert gcj.status_code == 200 and b"GCJ-02" in gcj.data
    assert f"team-a.gcj02-{DAY}.gpx" in gcj.headers["Content-Disposition"]
    assert client.get(f"/api/patrol/plans/{DAY}/team-a/plan.gpx?datum=bd09").status_code == 400
