"""A team leader prints tonight's route sheet, in a real headless Chromium, offline.

Signs in, computes tonight's plan on the demo area (the solve runs outside
the request; the page shows its progress), opens the busiest team's plan
(map with numbered stops and the street route, stop table), opens the A4
print view and prints it to PDF; downloads the PDF route sheets and the GPX.
Screenshots and the printed sheet go to tests/output/.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from browser_staff import OUTPUT, browser, local_page, serve, sign_in, skip_without_chromium
from webmap_staff import PASSWORD, add_accounts

from geogrid.io.workspace import read_area
from webmap import create_app

pytestmark = pytest.mark.browser
skip_without_chromium()

CONFIG = Path(__file__).parent / "data" / "patrol" / "small.toml"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from geogrid.services.demo import build_demo

    folder = tmp_path_factory.mktemp("browser-patrol") / "helsinki-demo"
    build_demo(folder)
    return folder


@pytest.fixture(scope="module")
def base(demo: Path) -> Iterator[str]:
    users = demo.parent / "users.json"
    add_accounts(users)
    yield from serve(
        create_app(
            {
                "AREA_PATH": str(demo),
                "USERS_PATH": str(users),
                "TESTING": True,
                "SECRET_KEY": "browser-test",
                "PATROL_CONFIG": str(CONFIG),
                "PATROL_TIME_LIMIT_S": 2.0,
            }
        )
    )


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    yield from browser()


def test_team_leader_prints_tonights_sheet(base: str, demo: Path, chromium) -> None:
    """Compute tonight's plan with progress, open a team's plan, print the A4 sheet, get PDF and
    GPX."""
    blocked: list[str] = []
    page = local_page(chromium, blocked)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, base, "lead", PASSWORD)
    assert page.url.endswith("/patrol/")
    tonight = datetime.now(ZoneInfo(read_area(demo).timezone)).date().isoformat()  # the area's day
    assert page.locator("#date").input_value() == tonight

    page.click("#compute-btn")
    page.wait_for_selector("#progress:not([hidden])", timeout=5_000)
    page.screenshot(path=str(OUTPUT / "patrol-solving.png"))
    page.wait_for_url(f"**/patrol/plans/{tonight}/*", timeout=60_000)

    summary = json.loads((demo / "plans/web" / tonight / "plan.json").read_text(encoding="utf-8"))
    team = max(summary["teams"], key=lambda t: t["stops"])
    page.goto(f"{base}/patrol/?date={tonight}")
    page.select_option("#team", team["team"])
    page.click("#open-btn")
    page.wait_for_url(f"**/patrol/plans/{tonight}/{team['team']}")
    page.wait_for_selector("#map[data-ready='1']", timeout=15_000)
    assert page.locator(".stop-number").count() == team["stops"]
    assert page.locator(".stop-number").first.inner_text() == "1"
    assert page.locator("#stops tbody tr").count() == team["stops"]
    assert page.locator("path.leaflet-interactive[stroke='#1f5fbf']").count() >= 1
    page.screenshot(path=str(OUTPUT / "patrol-plan.png"))

    pdf = page.request.get(base + page.locator("#pdf-link").get_attribute("href"))
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    gpx = page.request.get(base + page.locator("#gpx-link").get_attribute("href"))
    assert gpx.status == 200 and b"<trkpt" in gpx.body()

    page.click("#print-link")
    page.wait_for_selector("#map[data-ready='1']", timeout=15_000)
    page.wait_for_selector("#print-btn", state="visible", timeout=10_000)
    page.emulate_media(media="print")
    assert not page.locator("#print-btn").is_visible()
    assert page.locator(".stop-number").count() == team["stops"]
    page.screenshot(path=str(OUTPUT / "patrol-print.png"), full_page=True)
    sheet = page.pdf(format="A4", print_background=True)
    (OUTPUT / "patrol-route-sheet.pdf").write_bytes(sheet)
    assert sheet.startswith(b"%PDF")
    assert errors == [] and blocked == []
    page.close()
