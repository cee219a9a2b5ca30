"""webmap.views.planner_staffing: the planner's 1+3+N staffing page and its JSON edits.

The area is the small synthetic grids workspace (two communities) with a
synthetic roster assigned by the solver (s0001, by 'setup'). A planner lists
every grid's posts; assigns and unassigns people, each edit a new version; an
edit that breaks a rule of the solver is refused with 422 naming the rule and
leaves every staff file byte-identical; a stale If-Match is a 409; a team
leader gets 403; a wrong type is a 400 naming the field; the notice boards and
the table download; re-running the assignment is a background job.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from webmap_staff import add_accounts, sign_in, staff_app

from geogrid.io.workspace import Workspace
from geogrid.services import grids as SG
from geogrid.services import staffing as SS
from tests.grids_area import make_area
from webmap.jobs import runner_of

STATE = "/api/planner/staffing"
EDITS = "/api/planner/staffing/edits"


@pytest.fixture(scope="module")
def staffed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic area with grids, a synthetic roster and the solver's staffing (s0001)."""
    folder = make_area(tmp_path_factory.mktemp("staffing") / "area", with_communities=True)
    SG.generate(folder, seed=0, author="setup", restarts=1)
    SS.synthetic_roster(folder)
    SS.assign(folder, author="setup")
    return folder


@pytest.fixture
def app(staffed: Path, tmp_path: Path) -> Flask:
    """A fresh copy of the staffed area per test (edits change it) and an app on it."""
    folder = tmp_path / "area"
    shutil.copytree(staffed, folder)
    users = tmp_path / "users.json"
    add_accounts(users)
    return staff_app(folder, users)


@pytest.fixture
def planner(app: Flask) -> tuple[FlaskClient, str]:
    client = app.test_client()
    return client, sign_in(client, "plan")


def staff_files(app: Flask) -> dict[str, bytes]:
    """Every file under the area's staff/ folder (history too), by relative path."""
    root = Workspace(app.config["AREA_PATH"]).staff_dir
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def post_edit(client: FlaskClient, token: str, body: dict[str, Any], etag: str | None) -> Any:
    headers = {"X-CSRF-Token": token}
    if etag is not None:
        headers["If-Match"] = etag
    return client.post(EDITS, json=body, headers=headers)


def state_of(client: FlaskClient) -> dict[str, Any]:
    res = client.get(STATE)
    assert res.status_code == 200, res.get_data(as_text=True)
    body = res.get_json()
    assert res.headers["ETag"] == f'"{body["etag"]}"'
    return body


def spare(state: dict[str, Any], role: str = "worker") -> dict[str, Any]:
    """Someone of ``role`` who serves no grid (the synthetic roster has a spare worker)."""
    free = [p for p in state["people"] if p["role"] == role and not p["grids"]]
    assert free, f"no spare {role} in the synthetic roster"
    return free[0]


def test_state_lists_every_grid_posts_and_who_fills_them(planner) -> None:
    """Every grid with its five posts, who fills them, no gaps; the page renders and links."""
    client, _ = planner
    state = state_of(client)
    assert state["etag"] == "s0001" and state["saved"]["author"] == "setup"
    assert state["synthetic"] is True
    assert len(state["grids"]) == 13 and state["gaps"] == [] and state["overloaded"] == []
    for grid in state["grids"]:
        assert set(grid["posts"]) == {"worker", "police", "cadre", "property", "volunteer"}
        assert len(grid["posts"]["worker"]["people"]) == 1 and grid["full"]
    assert state["summary"].startswith("13 of 13 grids fully staffed")
    page = client.get("/planner/staffing").get_data(as_text=True)
    assert 'id="staffing-table"' in page and "js/staffing.js" in page
    assert "<script>" not in page  # CSP: no inline script
    assert 'href="/planner/staffing"' in client.get("/planner/").get_data(as_text=True)


def test_unassign_then_assign_each_save_a_version(app: Flask, planner) -> None:
    """Unassign opens a gap (s0002); assigning the spare worker fills it (s0003), by 'plan'."""
    client, token = planner
    state = state_of(client)
    grid = state["grids"][0]
    worker = grid["posts"]["worker"]["people"][0]
    res = post_edit(
        client,
        token,
        {"op": "unassign", "person": worker["id"], "grid": grid["code"], "role": "worker"},
        state["etag"],
    )
    assert res.status_code == 200, res.get_json()
    after = res.get_json()
    assert after["etag"] == "s0002" and res.headers["ETag"] == '"s0002"'
    assert after["gaps"] == [{"grid": grid["code"], "role": "worker", "missing": 1}]
    newcomer = spare(after)
    res = post_edit(
        client,
        token,
        {
            "op": "assign",
            "person": newcomer["id"],
            "grid": grid["code"],
            "role": "worker",
            "message": "新网格员到岗",
        },
        after["etag"],
    )
    assert res.status_code == 200, res.get_json()
    done = res.get_json()
    assert done["etag"] == "s0003" and done["gaps"] == []
    filled = next(g for g in done["grids"] if g["code"] == grid["code"])
    assert [p["id"] for p in filled["posts"]["worker"]["people"]] == [newcomer["id"]]
    assert [(v["version"], v["author"]) for v in done["versions"]] == [
        (3, "plan"),
        (2, "plan"),
        (1, "setup"),
    ]
    assert done["versions"][0]["message"] == "新网格员到岗"
    assert done["result"] == "saved s0003 by plan: 新网格员到岗"
    assert done["saved"]["author"] == "plan" and done["saved"]["message"] == "新网格员到岗"
    csv = Workspace(app.config["AREA_PATH"]).staffing_csv_path.read_text(encoding="utf-8-sig")
    assert newcomer["name"] in csv


def _second_worker(state: dict[str, Any]) -> dict[str, Any]:
    return {
        "op": "assign",
        "person": spare(state)["id"],
        "grid": state["grids"][0]["code"],
        "role": "worker",
    }


def _police_elsewhere(state: dict[str, Any]) -> dict[str, Any]:
    grid = state["grids"][0]
    officer = next(
        p for p in state["people"] if p["role"] == "police" and p["community"] != grid["community"]
    )
    return {"op": "assign", "person": officer["id"], "grid": grid["code"], "role": "police"}


def _volunteer_twice(state: dict[str, Any]) -> dict[str, Any]:
    room = next(
        g for g in state["grids"] if len(g["posts"]["volunteer"]["people"]) < 6
    )  # max_volunteers 6: only the volunteer's capacity (1) is broken
    volunteer = next(
        p
        for p in state["people"]
        if p["role"] == "volunteer" and p["grids"] and room["code"] not in p["grids"]
    )
    return {"op": "assign", "person": volunteer["id"], "grid": room["code"], "role": "volunteer"}


def _wrong_post(state: dict[str, Any]) -> dict[str, Any]:
    return {**_second_worker(state), "role": "police"}


@pytest.mark.parametrize(
    ("make_body", "rule"),
    [
        (_second_worker, "too many"),
        (_police_elsewhere, "other community"),
        (_volunteer_twice, "over capacity"),
        (_wrong_post, "wrong role"),
    ],
    ids=["second full-time worker", "police of another community", "capacity", "wrong role"],
)
def test_an_edit_that_breaks_a_rule_is_refused_and_nothing_changes(
    app: Flask, planner, make_body, rule: str
) -> None:
    """422 naming the rule the checker finds; every staff file byte-identical, version kept."""
    client, token = planner
    state = state_of(client)
    before = staff_files(app)
    res = post_edit(client, token, make_body(state), state["etag"])
    assert res.status_code == 422, res.get_json()
    error = res.get_json()["error"]
    assert error["code"] == "staffing_rule"
    assert rule in [r["kind"] for r in error["rules"]] and rule in error["message"]
    assert staff_files(app) == before
    assert state_of(client)["etag"] == "s0001"


def test_unassigning_someone_who_does_not_hold_the_post_is_refused(app: Flask, planner) -> None:
    """Taking off a person who does not serve there: 422 that says so, nothing saved."""
    client, token = planner
    state = state_of(client)
    before = staff_files(app)
    body = {**_second_worker(state), "op": "unassign"}
    res = post_edit(client, token, body, state["etag"])
    assert res.status_code == 422 and "does not hold" in res.get_json()["error"]["message"]
    assert staff_files(app) == before


def test_stale_or_missing_if_match_saves_nothing(app: Flask, planner) -> None:
    """A second planner saved first: the first one's edit is 409 naming who; none at all: 428."""
    client, token = planner
    other = app.test_client()
    other_token = sign_in(other, "plan2")
    state = state_of(client)
    worker_of = state["grids"][0]["posts"]["worker"]["people"][0]
    res = post_edit(
        other,
        other_token,
        {
            "op": "unassign",
            "person": worker_of["id"],
            "grid": state["grids"][0]["code"],
            "role": "worker",
        },
        state["etag"],
    )
    assert res.status_code == 200
    before = staff_files(app)
    res = post_edit(client, token, _second_worker(state), state["etag"])
    assert res.status_code == 409
    assert "plan2 saved s0002" in res.get_json()["error"]["message"]
    assert post_edit(client, token, _second_worker(state), None).status_code == 428
    assert staff_files(app) == before
    res = client.post(
        "/api/planner/staffing/assign",
        json={},
        headers={"X-CSRF-Token": token, "If-Match": "s0001"},
    )
    assert res.status_code == 409


def test_team_leader_may_not(app: Flask) -> None:
    """A team leader gets 403 on the page, the state, an edit, a re-run and the downloads."""
    client = app.test_client()
    token = sign_in(client, "lead")
    assert client.get("/planner/staffing").status_code == 403
    assert client.get(STATE).status_code == 403
    assert client.get("/planner/staffing/notice_boards.pdf").status_code == 403
    assert client.get("/planner/staffing/table.csv").status_code == 403
    before = staff_files(app)
    body = {"op": "unassign", "person": "x", "grid": "g1", "role": "worker"}
    assert post_edit(client, token, body, "s0001").status_code == 403
    res = client.post(
        "/api/planner/staffing/assign",
        json={},
        headers={"X-CSRF-Token": token, "If-Match": "s0001"},
    )
    assert res.status_code == 403
    assert staff_files(app) == before


GOOD = {"op": "assign", "person": "someone", "grid": "110108001001001", "role": "worker"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"person": 5}, "person"),
        ({"grid": ["110108001001001"]}, "grid"),
        ({"grid": "<b>x</b>"}, "grid"),
        ({"role": "chief"}, "role"),
        ({"op": "swap"}, "op"),
        ({"message": {"a": 1}}, "message"),
        ({"person": "a\nb"}, "person"),
        ({"extra": 1}, "extra"),
    ],
)
def test_bad_types_are_400_naming_the_field(
    app: Flask, planner, change: dict[str, Any], field: str
) -> None:
    """A wrong type or value is a 400 whose fields name it; nothing saved."""
    client, token = planner
    before = staff_files(app)
    res = post_edit(client, token, {**GOOD, **change}, "s0001")
    assert res.status_code == 400
    assert field in [f["field"] for f in res.get_json()["error"]["fields"]]
    assert staff_files(app) == before


def test_if_match_of_the_grids_is_not_a_staffing_tag(planner) -> None:
    """The grids' ETag ("v0001.0") is refused as If-Match of a staffing edit (400 naming it)."""
    client, token = planner
    res = post_edit(client, token, GOOD, '"v0001.0"')
    assert res.status_code == 400
    assert res.get_json()["error"]["fields"][0]["field"] == "If-Match"


def test_downloads_boards_with_or_without_phones_and_tables(planner) -> None:
    """Notice boards as PDF with and without phones, the table as CSV and Excel."""
    client, _ = planner
    for phones, suffix in (("0", ""), ("1", "-phones")):
        res = client.get(f"/planner/staffing/notice_boards.pdf?phones={phones}")
        assert res.status_code == 200 and res.data.startswith(b"%PDF")
        assert f"notice_boards-s0001{suffix}.pdf" in res.headers["Content-Disposition"]
        assert res.headers["Cache-Control"] == "no-store"
    assert client.get("/planner/staffing/notice_boards.pdf?phones=yes").status_code == 400
    csv = client.get("/planner/staffing/table.csv")
    assert csv.status_code == 200 and "专职网格员" in csv.data.decode("utf-8-sig")
    xlsx = client.get("/planner/staffing/table.xlsx")
    assert xlsx.status_code == 200 and xlsx.data.startswith(b"PK")
    assert client.get("/planner/staffing/table.doc").status_code == 404


def test_rerun_assignment_is_a_job_that_saves_the_next_version(app: Flask, planner) -> None:
    """POST assign answers 202 at once; the job saves s0002 by the planner and fills the gap."""
    client, token = planner
    state = state_of(client)
    grid = state["grids"][0]
    worker = grid["posts"]["worker"]["people"][0]
    body = {"op": "unassign", "person": worker["id"], "grid": grid["code"], "role": "worker"}
    opened = post_edit(client, token, body, state["etag"]).get_json()
    assert opened["gaps"]
    res = client.post(
        "/api/planner/staffing/assign",
        json={"seed": 0, "message": "重新分配"},
        headers={"X-CSRF-Token": token, "If-Match": opened["etag"]},
    )
    assert res.status_code == 202, res.get_json()
    job = runner_of(app).wait(res.get_json()["job"], timeout_s=60)
    assert job.state == "done", job.error
    assert job.result["etag"] == "s0003"
    after = state_of(client)
    assert after["etag"] == "s0003" and after["gaps"] == []
    assert (
        after["versions"][0]["author"] == "plan" and after["versions"][0]["message"] == "重新分配"
    )
