"""webmap.views.patrol: team leaders compute tonight's plan in the background and open, print,
download it.

One demo area (built once per module) and one short solve (1 s limit,
tests/data/patrol/small.toml) shared by the tests.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from webmap_staff import sign_in, staff_app

from webmap.jobs import runner_of

DAY = date.today().isoformat()  # plans are computed from yesterday to 14 days ahead
CONFIG = Path(__file__).parent / "data" / "patrol" / "small.toml"


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Flask, str, str]:
    """The demo area with the plan of DAY computed through the API; returns the app and the busiest
    team."""
    from geogrid.services.demo import build_demo

    base = tmp_path_factory.mktemp("patrol")
    build_demo(base / "demo")
    app = staff_app(
        base / "demo", base / "users.json", PATROL_CONFIG=str(CONFIG), PATROL_TIME_LIMIT_S=1.0
    )
    client = app.test_client()
    token = sign_in(client, "lead")
    res = client.post("/api/patrol/plans", json={"date": DAY}, headers={"X-CSRF-Token": token})
    assert res.status_code == 202
    again = client.post("/api/patrol/plans", json={"date": DAY}, headers={"X-CSRF-Token": token})
    assert again.get_json()["job"] == res.get_json()["job"], "one solve per shift at a time"
    job = runner_of(app).wait(res.get_json()["job"], timeout_s=60)
    assert job.state == "done", job.error
    summary = json.loads((base / "demo/plans/web" / DAY / "plan.json").read_text(encoding="utf-8"))
    busiest = max(summary["teams"], key=lambda t: t["stops"])["team"]
    return app, busiest, job.id


def test_job_status_reports_progress(solved: tuple[Flask, str, str]) -> None:
    """The polled status says done, with the visited stop count."""
    app, _, job_id = solved
    client = app.test_client()
    sign_in(client, "lead")
    status = client.get(f"/api/jobs/{job_id}").get_json()
    assert (
        status["state"] == "done" and status["progress"] == 1.0 and status["result"]["visited"] > 0
    )


def test_plan_page_map_and_stop_table(solved: tuple[Flask, str, str]) -> None:
    """The plan page lists numbered stops with times and links the print view, PDF and GPX."""
    app, team, _ = solved
    client = app.test_client()
    sign_in(client, "lead")
    page = client.get(f"/patrol/plans/{DAY}/{team}").get_data(as_text=True)
    assert (
        'id="stops"' in page and "print" in page and ".gpx" in page and "route_sheets.pdf" in page
    )
    assert f"{team}.pdf" in page
    features = client.get(f"/api/patrol/plans/{DAY}/{team}.geojson").get_json()["features"]
    stops = [f for f in features if f["properties"]["feature"] == "stop"]
    assert [f["properties"]["seq"] for f in stops] == list(range(1, len(stops) + 1))
    assert any(f["properties"]["feature"] == "route" and f["geometry"] for f in features)
    for f in stops:
        assert f["properties"]["start"] in page
    index = client.get(f"/patrol/?date={DAY}").get_data(as_text=True)
    assert "已算好" in index and DAY in index


def test_print_pdf_gpx(solved: tuple[Flask, str, str]) -> None:
    """A4 print view, the PDF route sheets and the team's GPX download."""
    app, team, _ = solved
    client = app.test_client()
    sign_in(client, "lead")
    sheet = client.get(f"/patrol/plans/{DAY}/{team}/print").get_data(as_text=True)
    assert (
        "平安巡逻路线单" in sheet
        and "☐" in sheet
        and 'id="print-btn"' in sheet
        and "onclick" not in sheet
    )
    pdf = client.get(f"/patrol/plans/{DAY}/route_sheets.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    own = client.get(f"/patrol/plans/{DAY}/{team}.pdf")
    assert own.status_code == 200 and own.data.startswith(b"%PDF") and len(own.data) < len(pdf.data)
    gpx = client.get(f"/patrol/plans/{DAY}/{team}.gpx")
    assert gpx.status_code == 200 and b"<gpx" in gpx.data and b"<wpt" in gpx.data
    assert "attachment" in gpx.headers["Content-Disposition"]


def test_team_leader_sees_only_their_team(solved: tuple[Flask, str, str]) -> None:
    """lead1 leads team-1: other teams are 403 and not offered; an admin sees all."""
    app, _, _ = solved
    client = app.test_client()
    sign_in(client, "lead1")
    assert client.get(f"/patrol/plans/{DAY}/team-2").status_code == 403
    assert client.get(f"/patrol/plans/{DAY}/team-2.gpx").status_code == 403
    assert client.get(f"/patrol/plans/{DAY}/team-2.pdf").status_code == 403
    assert client.get(f"/patrol/plans/{DAY}/route_sheets.pdf").status_code == 403
    assert client.get(f"/patrol/plans/{DAY}/team-1.pdf").status_code == 200
    assert client.get(f"/patrol/plans/{DAY}/team-1").status_code == 200
    index = client.get("/patrol/").get_data(as_text=True)
    assert 'value="team-1"' in index and 'value="team-2"' not in index
    admin = app.test_client()
    sign_in(admin, "boss")
    assert admin.get(f"/patrol/plans/{DAY}/team-2").status_code == 200


@pytest.mark.parametrize(
    ("url", "status", "fragment"),
    [
        ("/patrol/plans/2026-13-40/team-1", 400, "does not exist"),
        ("/patrol/plans/tonight/team-1", 400, "YYYY-MM-DD"),
        ("/patrol/plans/2030-01-01/team-1", 404, "no plan for 2030-01-01"),
        (f"/patrol/plans/{DAY}/team-9", 404, "no team"),
        ("/patrol/plans/2030-01-01/route_sheets.pdf", 404, "compute the plan first"),
    ],
)
def test_bad_requests_say_what_to_do(
    solved: tuple[Flask, str, str], url: str, status: int, fragment: str
) -> None:
    """Bad dates, unknown teams and shifts with no plan answer with a message, not a traceback."""
    app, _, _ = solved
    client = app.test_client()
    sign_in(client, "lead")
    res = client.get(url)
    assert res.status_code == status and fragment in res.get_data(as_text=True)


def test_leader_plans_only_their_team_and_keeps_the_others(solved: tuple[Flask, str, str]) -> None:
    """lead1 recomputes team-1: its routes are replaced, every other team's stay as they were."""
    app, _, _ = solved
    folder = Path(app.config["AREA_PATH"]) / "plans" / "web" / DAY
    before = json.loads((folder / "plan.geojson").read_text(encoding="utf-8"))["features"]
    others = [f for f in before if f["properties"]["team"] != "team-1"]
    client = app.test_client()
    token = sign_in(client, "lead1")
    res = client.post(
        "/api/patrol/plans",
        json={"date": DAY, "teams": ["team-2"]},
        headers={"X-CSRF-Token": token},
    )
    assert res.status_code == 403
    res = client.post("/api/patrol/plans", json={"date": DAY}, headers={"X-CSRF-Token": token})
    assert res.status_code == 202
    job = runner_of(app).wait(res.get_json()["job"], timeout_s=60)
    assert job.state == "done" and job.result["teams"] == ["team-1"], job.error
    after = json.loads((folder / "plan.geojson").read_text(encoding="utf-8"))["features"]
    assert [f for f in after if f["properties"]["team"] != "team-1"] == others
    assert any(f["properties"]["team"] == "team-1" for f in after)
    assert not (folder / "route_sheets.pdf").exists()  # no longer matches every team
