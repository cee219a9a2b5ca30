"""webmap.views.patrol, the week: the leader's page shows the week's rota of the shift date
(dates x teams, links to each night's sheets) and serves the rota PDFs; a team leader bound
to a team sees and downloads only that team's week; data reaches the page as escaped text."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from webmap_staff import sign_in, staff_app

from geogrid.services.rota import plan_week

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "data" / "config" / "rota.example.toml"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    from geogrid.services.demo import build_demo

    base = tmp_path_factory.mktemp("rota")
    build_demo(base / "demo")
    plan_week(base / "demo", "2026-W50", EXAMPLE, time_limit_s=5, night_time_limit_s=1)
    return staff_app(base / "demo", base / "users.json")


def test_week_table_with_links_to_each_night(app: Flask) -> None:
    """The page of a date in 2026-W50 shows the week: every date, every team, the school post,
    and links to the nights' sheets and the rota PDFs; no inline script."""
    client = app.test_client()
    sign_in(client, "lead")
    page = client.get("/patrol/?date=2026-12-09").get_data(as_text=True)
    assert "本周排班 Week rota 2026-W50" in page
    for day in ("2026-12-07", "2026-12-13"):
        assert day in page
    assert "平安志愿者第3队" in page and "护学岗" in page
    assert (
        "/patrol/plans/2026-12-07/team-3.pdf" in page
        and "/patrol/plans/2026-12-07/team-3.gpx" in page
    )
    assert "/patrol/rota/2026-W50/rota.pdf" in page and "/patrol/rota/2026-W50/team-1.pdf" in page
    assert "<script>" not in page and "onclick" not in page
    assert "No rota for 2026-W51" in client.get("/patrol/?date=2026-12-14").get_data(as_text=True)
    night = client.get("/patrol/plans/2026-12-07/team-3.pdf")
    assert night.status_code == 200 and night.data.startswith(b"%PDF")


def test_rota_files_and_scope(app: Flask) -> None:
    """The district PDF and CSV for accounts that see every team; a bound team leader gets
    only their team's week (403 for the district, another team's week)."""
    client = app.test_client()
    sign_in(client, "lead")
    pdf = client.get("/patrol/rota/2026-W50/rota.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    csv = client.get("/patrol/rota/2026-W50/rota.csv")
    assert csv.status_code == 200 and "attachment" in csv.headers["Content-Disposition"]
    assert client.get("/patrol/rota/2026-W51/rota.pdf").status_code == 404
    assert client.get("/patrol/rota/2026-50/rota.pdf").status_code == 400
    assert client.get("/patrol/rota/2026-W50/plan.json").status_code == 404
    bound = app.test_client()
    sign_in(bound, "lead1")
    assert bound.get("/patrol/rota/2026-W50/team-1.pdf").status_code == 200
    assert bound.get("/patrol/rota/2026-W50/rota.pdf").status_code == 403
    assert bound.get("/patrol/rota/2026-W50/team-2.pdf").status_code == 403
    page = bound.get("/patrol/?date=2026-12-09").get_data(as_text=True)
    assert "平安志愿者第1队" in page and "平安志愿者第2队" not in page


def test_week_text_is_escaped(app: Flask, tmp_path: Path) -> None:
    """A stop name with markup reaches the page as text."""
    import json

    from geogrid.io.workspace import Workspace

    path = Workspace(app.config["AREA_PATH"]).rota_dir("2026-W50") / "rota.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["days"][0]["teams"][0]["stops"][0]["name"] = "<img src=x onerror=alert(1)>"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    client = app.test_client()
    sign_in(client, "lead")
    page = client.get("/patrol/?date=2026-12-07").get_data(as_text=True)
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
