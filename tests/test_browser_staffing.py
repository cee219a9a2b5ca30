"""The planner's staffing page in a real headless Chromium, offline.

On the small synthetic area with a synthetic roster (``staff synthetic``)
assigned by the solver, one full-time worker was taken off his grid: the page
shows that grid's open post highlighted (row, cell and the gap list), a
planner clicks the open post, picks the spare worker and assigns him; the
page shows the new version and no gap, with no page error and no CSP
violation. Screenshots go to tests/output/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_staff import OUTPUT, browser, local_page, serve, sign_in, skip_without_chromium
from webmap_staff import PASSWORD, add_accounts

from geogrid.services import grids as SG
from geogrid.services import staffing as SS
from tests.grids_area import make_area
from webmap import create_app

pytestmark = pytest.mark.browser
skip_without_chromium()


@pytest.fixture(scope="module")
def area(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Staffed by the solver (s0001), then one grid's worker taken off (s0002): one gap."""
    folder = make_area(tmp_path_factory.mktemp("browser-staffing") / "area", with_communities=True)
    SG.generate(folder, seed=0, author="setup", restarts=1)
    SS.synthetic_roster(folder)
    SS.assign(folder, author="setup")
    state = SS.staffing_overview(folder).to_dict()
    grid = state["grids"][2]
    worker = grid["posts"]["worker"]["people"][0]
    SS.edit_staffing(
        folder,
        "unassign",
        person=worker["id"],
        grid=grid["code"],
        role="worker",
        author="setup",
        message="网格员调离",
    )
    return folder


@pytest.fixture(scope="module")
def base(area: Path) -> Iterator[str]:
    users = area.parent / "users.json"
    add_accounts(users)
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


def test_planner_sees_the_gap_and_fills_it(base: str, area: Path, chromium) -> None:
    """The open worker post is highlighted; assigning the spare worker saves s0003, no gap left."""
    blocked: list[str] = []
    page = local_page(chromium, blocked)
    errors: list[str] = []
    csp: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: (
            csp.append(msg.text)
            if "Content Security Policy" in msg.text
            else errors.append(msg.text)
            if msg.type == "error"
            else None
        ),
    )
    sign_in(page, base, "plan", PASSWORD)
    page.click("text=力量配置 Staffing")
    page.wait_for_selector("#staffing-table tbody tr", timeout=15_000)
    assert page.url.endswith("/planner/staffing")
    state = SS.staffing_overview(area).to_dict()
    gap = state["gaps"][0]
    assert page.locator("#version").inner_text() == "s0002"
    assert page.locator("#gap-count").inner_text() == "1"
    row = page.locator(f'#staffing-table tr[data-grid="{gap["grid"]}"]')
    assert "row-gap" in (row.get_attribute("class") or "")
    open_chip = row.locator("td.post-worker.post-open .chip-open")
    assert open_chip.count() == 1 and open_chip.is_visible()
    assert page.locator("#staffing-table .chip-open").count() == 1
    assert page.locator("#gaps li").first.inner_text().startswith(gap["grid"])
    page.screenshot(path=str(OUTPUT / "staffing-gap.png"), full_page=True)

    spare = [p for p in state["people"] if p["role"] == "worker" and not p["grids"]]
    assert len(spare) == 2  # the roster's spare worker and the one taken off
    open_chip.click()
    assert page.locator("#edit-grid").input_value() == gap["grid"]
    assert page.locator("#edit-role").input_value() == "worker"
    page.select_option("#edit-person", spare[0]["id"])
    page.fill("#edit-message", "新网格员到岗")
    page.click("#assign-btn")
    page.wait_for_function(
        "() => document.getElementById('version').textContent === 's0003'", timeout=15_000
    )
    assert page.locator("#gap-count").inner_text() == "0"
    assert page.locator("#staffing-table .chip-open").count() == 0
    assert spare[0]["name"] in row.locator("td.post-worker").inner_text()
    assert "新网格员到岗" in page.locator("#saved").inner_text()
    assert page.locator("#saved-by").inner_text().startswith("· plan · ")
    assert page.locator("#versions li").count() == 3
    page.screenshot(path=str(OUTPUT / "staffing-assigned.png"), full_page=True)

    # the download links: boards without phones by default, with phones when ticked
    assert page.locator("#boards-link").get_attribute("href").endswith("?phones=0")
    page.check("#boards-phones")
    assert page.locator("#boards-link").get_attribute("href").endswith("?phones=1")
    assert errors == [] and csp == [] and blocked == []
    page.close()
