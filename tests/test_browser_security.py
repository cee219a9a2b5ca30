"""Script payloads stored through the staff pages never run, in a real headless Chromium.

A planner stores ``"><img src=x onerror=alert(1)>`` (and a JS template-literal
breakout) through every text field the planner API takes; grid codes with
such text are refused (400). A hostile OSM name sits in a place layer, a team
file and a patrol plan. Then the editor (with a code payload injected into
its state, as if one had slipped past the check), the versions and diff pages,
the team-leader pages and the public map are opened, every tooltip and popup
is opened, and the test proves that no dialog fired, no ``<img src=x>`` exists,
the payload shows as text, and the browser reported no CSP violation.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from browser_staff import browser, local_page, serve, sign_in, skip_without_chromium
from webmap_attack import DAY, TEAM, XSS, XSS_TEMPLATE, hostile_area
from webmap_staff import PASSWORD, staff_app
from webmap_staff import sign_in as client_sign_in

pytestmark = pytest.mark.browser
skip_without_chromium()

OPEN_ALL = """() => {
  const map = window.geogridEditor ? window.geogridEditor.map
            : window.geogridPatrol ? window.geogridPatrol.map
            : Object.values(window).find((v) => v instanceof L.Map);
  let opened = 0;
  map.eachLayer((layer) => {
    if (layer.getTooltip && layer.getTooltip()) { layer.openTooltip(); opened++; }
    if (layer.getPopup && layer.getPopup() && layer.getLatLng) { layer.openPopup(); opened++; }
  });
  return opened;
}"""


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("browser-security")
    return staff_app(hostile_area(base / "area"), base / "users.json")


@pytest.fixture(scope="module")
def stored(app) -> dict[str, int]:
    """Store the payloads through the planner API; returns status per attempt."""
    client = app.test_client()
    token = client_sign_in(client, "plan")
    status: dict[str, int] = {}

    def post(label: str, body: dict) -> None:
        state = client.get("/api/planner/state").get_json()
        res = client.post(
            "/api/planner/edits",
            json=body,
            headers={"X-CSRF-Token": token, "If-Match": f'"{state["etag"]}"'},
        )
        status[label] = res.status_code

    state = client.get("/api/planner/state").get_json()
    codes = [f["properties"]["code"] for f in state["grids"]["features"]]
    unit = state["units"]["features"][0]["properties"]["unit_id"]
    post("rename code", {"op": "rename", "codes": [codes[0]], "new_code": XSS})
    post("reassign to", {"op": "reassign", "units": [unit], "to": XSS})
    post("split new code", {"op": "split", "codes": [codes[0]], "new_code": XSS_TEMPLATE})
    post("rename name", {"op": "rename", "codes": [codes[0]], "name": XSS, "message": XSS})
    post(
        "worker",
        {"op": "worker", "codes": [codes[1]], "worker": XSS_TEMPLATE, "message": XSS_TEMPLATE},
    )
    return status


@pytest.fixture(scope="module")
def base(app, stored) -> Iterator[str]:
    yield from serve(app)


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    yield from browser()


class Watch:
    """Dialogs, page errors and CSP reports of one page."""

    def __init__(self, page) -> None:
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.csp: list[str] = []
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on(
            "console",
            lambda msg: (
                self.csp.append(msg.text) if "Content Security Policy" in msg.text else None
            ),
        )

    def assert_clean(self, page, where: str) -> None:
        page.wait_for_timeout(300)  # an <img src=x> fails to load asynchronously
        assert self.dialogs == [], f"{where}: a payload ran: {self.dialogs}"
        assert page.evaluate("document.querySelector('img[src=\"x\"], [onerror]') === null"), where
        assert self.errors == [], f"{where}: {self.errors}"
        assert self.csp == [], f"{where}: CSP violations {self.csp}"


def test_codes_with_markup_are_refused_and_text_fields_are_stored(stored: dict[str, int]) -> None:
    """Grid codes must match ^[0-9A-Za-z_-]{1,32}$ (400); names, workers, messages are text
    (200)."""
    assert stored == {
        "rename code": 400,
        "reassign to": 400,
        "split new code": 400,
        "rename name": 200,
        "worker": 200,
    }


def test_planner_pages_show_payloads_as_text(base: str, chromium) -> None:
    """Editor (grid table, labels, unit tooltips, problem popups and list), versions and diff."""
    blocked: list[str] = []
    page = local_page(chromium, blocked)
    watch = Watch(page)

    def poisoned_state(route) -> None:
        """The real state with the first grid's code swapped for the payload everywhere."""
        response = route.fetch()
        state = response.json()
        first = state["grids"]["features"][0]["properties"]["code"]
        text = json.dumps(state, ensure_ascii=False).replace(
            json.dumps(first)[1:-1], json.dumps(XSS)[1:-1]
        )
        state = json.loads(text)
        unit = state["units"]["features"][0]["properties"]
        state["problems"].append(
            {
                "kind": XSS,
                "code": XSS,
                "message": XSS,
                "text": XSS,
                "lon": state["units"]["features"][0]["geometry"]["coordinates"][0][0][0],
                "lat": state["units"]["features"][0]["geometry"]["coordinates"][0][0][1],
            }
        )
        unit["unit_id"] = XSS_TEMPLATE
        route.fulfill(response=response, body=json.dumps(state, ensure_ascii=False))

    page.route("**/api/planner/state", poisoned_state)
    sign_in(page, base, "plan", PASSWORD)
    page.wait_for_selector("path.unit", timeout=15_000)
    assert XSS in page.locator("#grid-table").inner_text()
    assert XSS in page.locator("#problems").inner_text()
    assert page.evaluate(OPEN_ALL) > 3
    assert XSS in page.locator(".leaflet-popup-content").last.inner_text()
    watch.assert_clean(page, "/planner/")

    page.goto(base + "/planner/versions")
    assert XSS in page.locator("#version-table").inner_text()
    watch.assert_clean(page, "/planner/versions")
    page.goto(base + "/planner/diff")
    watch.assert_clean(page, "/planner/diff")
    assert blocked == []
    page.close()


def test_team_leader_pages_show_osm_names_as_text(base: str, chromium) -> None:
    """Patrol index, plan (stop tooltip, table) and print view with a hostile stop and team."""
    blocked: list[str] = []
    page = local_page(chromium, blocked)
    watch = Watch(page)
    sign_in(page, base, "lead", PASSWORD)
    page.goto(f"{base}/patrol/?date={DAY}")
    assert XSS in page.locator("#team").inner_text()
    watch.assert_clean(page, "/patrol/")
    for view in ("", "/print"):
        page.goto(f"{base}/patrol/plans/{DAY}/{TEAM}{view}")
        page.wait_for_selector("#map[data-ready='1']", timeout=15_000)
        page.hover(".stop-number")
        page.evaluate(OPEN_ALL)
        assert XSS in page.locator(".leaflet-tooltip").first.inner_text()
        assert XSS in page.locator("#stops").inner_text()
        watch.assert_clean(page, f"/patrol/plans/{DAY}/{TEAM}{view}")
    assert blocked == []
    page.close()


def test_public_map_shows_osm_and_grid_names_as_text(base: str, chromium) -> None:
    """Folium markers (tooltip, popup) of a hostile school and grid-name tooltips stay text."""
    blocked: list[str] = []
    page = local_page(chromium, blocked)
    watch = Watch(page)
    page.goto(base + "/")
    page.wait_for_selector(".awesome-marker", timeout=15_000)
    assert page.evaluate(OPEN_ALL) >= 2
    page.wait_for_timeout(200)
    shown = " ".join(page.locator(".leaflet-tooltip, .leaflet-popup-content").all_inner_texts())
    assert XSS in shown and XSS_TEMPLATE in shown
    watch.assert_clean(page, "/")
    assert blocked == []
    page.close()
