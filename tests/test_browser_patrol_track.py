"""After the patrol, in a real headless Chromium: a team leader uploads the phone's track
and sees planned vs actual - the planned route (blue), the actual track (orange, dashed),
visited stops green and missed stops red, with the legend; a bad file shows its message.
Screenshot: tests/output/patrol-track.png."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser_staff import OUTPUT, browser, local_page, serve, sign_in, skip_without_chromium
from tracks_area import DAY, TRACKS, make_planned_area
from webmap_staff import PASSWORD, add_accounts

from webmap import create_app
from webmap.users import UserStore

pytestmark = pytest.mark.browser
skip_without_chromium()


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("browser-track")
    area = make_planned_area(folder / "area")
    users = folder / "users.json"
    add_accounts(users)
    UserStore(users).add("leada", PASSWORD, "team_leader", team="team-a")
    yield from serve(
        create_app(
            {
                "AREA_PATH": str(area),
                "USERS_PATH": str(users),
                "TESTING": True,
                "SECRET_KEY": "browser-test",
            }
        )
    )


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    yield from browser()


def test_upload_track_shows_planned_vs_actual(base: str, chromium) -> None:
    """A wrong-clock file says which offset fits; the good walk draws the track and marks A visited,
    B and C missed."""
    blocked: list[str] = []
    page = local_page(chromium, blocked)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    sign_in(page, base, "leada", PASSWORD)
    page.goto(f"{base}/patrol/plans/{DAY}/team-a")
    page.wait_for_selector("#map[data-ready='1']", timeout=15_000)
    assert page.locator("#map").get_attribute("data-track") == "0"
    assert page.locator("#legend li").count() == 4

    page.set_input_files("#track-file", str(TRACKS / "walk_local_as_utc.gpx"))
    page.fill("#track-members", "3")
    page.click("#track-btn")
    page.wait_for_selector("#track-result.error", timeout=15_000)
    assert "-8 h" in page.locator("#track-result").inner_text()
    errors.clear()  # the 400 of the bad file is logged by the browser console

    page.set_input_files("#track-file", str(TRACKS / "walk.gpx"))
    page.click("#track-btn")
    page.wait_for_selector("#map[data-uploaded='1']", timeout=15_000)
    assert "1/3" in page.locator("#track-result").inner_text()
    assert page.locator(".stop-number.stop-visited").count() == 1
    assert page.locator(".stop-number.stop-missed").count() == 2
    assert page.locator("path.leaflet-interactive[stroke='#e67e22']").count() >= 1
    assert page.locator("path.leaflet-interactive[stroke='#1f5fbf']").count() >= 1
    page.screenshot(path=str(OUTPUT / "patrol-track.png"))

    page.reload()  # the logged track comes back with the page
    page.wait_for_selector("#map[data-ready='1']", timeout=15_000)
    assert page.locator("#map").get_attribute("data-track") == "1"
    assert page.locator(".stop-number.stop-missed").count() == 2
    assert errors == [] and blocked == []
    page.close()
