"""The public map on a phone (390 x 844, touch) and the grid card, in real headless Chromium.

Same set-up as ``tests/test_browser_public.py`` (app in a thread, every request that is
not to 127.0.0.1 aborted), on the busy Haidian area whose grids carry workers: only
G1 publishes its worker's name and phone. Proves: a compact header (< 15 % of the
screen), layer list and legend collapsed behind buttons, tapping a grid / a search
result / "locate me" (mocked geolocation) opens the right card with the chart and the
year-over-year sentence from the released table, the desktop side panel; no console
errors and no CSP violations. Screenshots go to ``tests/output/public_phone_*.png``.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import geopandas as gpd
import pytest
import shapely
from webmap_area import MID_X, MID_Y, NORTH, SCHOOL_NAME, WEST, build_busy_area
from werkzeug.serving import make_server

from geogrid.io.workspace import Area
from geogrid.release import release_area
from webmap import create_app

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
OUTPUT = Path(__file__).parent / "output"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}

if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
    pytest.skip(
        "needs Debian chromium at /usr/bin/chromium (apt-get install chromium)",
        allow_module_level=True,
    )
if importlib.util.find_spec("playwright") is None:
    pytest.skip(
        "needs the playwright python package (pip install playwright; "
        "no `playwright install`, Debian chromium is used)",
        allow_module_level=True,
    )

from playwright.sync_api import Browser, BrowserContext, Page, Route, sync_playwright  # noqa: E402

#: the grid workers: only G1 publishes its contact
WORKERS = {
    "G1": ("王小明", "010-6275 1234", True),
    "G2": ("李秘密", "13900000002", False),
    "G3": ("赵隐藏", "13900000003", None),
    "G4": ("钱不公开", "13900000004", False),
}
LATIN_PLACE = "Zhongguancun Library"
#: a point inside the south-east grid (G4), where "locate me" says the phone is
HERE_LON, HERE_LAT = MID_X + 0.003, MID_Y - 0.002

#: records every CSP violation of the page (read back by the tests)
CSP_RECORDER = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__csp.push(e.violatedDirective + " " + e.blockedURI));
"""


def contact_area() -> Area:
    """The busy area; grids with workers (G1 publishes), and a place with a Latin name."""
    area = build_busy_area()
    grids = area.grids.copy()
    grids["code"] = [f"110108-{g}" for g in grids["grid_id"]]
    grids["worker"] = [WORKERS[g][0] for g in grids["grid_id"]]
    grids["worker_phone"] = [WORKERS[g][1] for g in grids["grid_id"]]
    grids["publish_contact"] = [WORKERS[g][2] for g in grids["grid_id"]]
    library = gpd.GeoDataFrame(
        {"id": ["node/9100"], "kind": ["library"], "layer": ["other"], "name": [LATIN_PLACE]},
        geometry=[shapely.Point(WEST + 0.001, NORTH - 0.001)],
        crs="EPSG:4326",
    )
    return dataclasses.replace(area, grids=grids, layers={**area.layers, "other": library})


AREA = contact_area()
RELEASED = release_area(AREA)


def _figure(places: list[str], **kwargs) -> str:
    bound = RELEASED.total(places, **kwargs)
    if bound.at_least and bound.value == 0:
        return "不公开（少于 5 起或为防推算而隐藏）"
    return f"至少 {bound.value}" if bound.at_least else str(bound.value)


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    server = make_server("127.0.0.1", 0, create_app({"AREA": AREA, "TESTING": True}), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Watched:
    """A page with what went wrong on it: blocked requests, errors, console errors."""

    def __init__(self, context: BrowserContext) -> None:
        self.context = context
        self.blocked: list[str] = []
        self.errors: list[str] = []
        context.add_init_script(CSP_RECORDER)
        context.route("**/*", self._only_localhost)
        self.page: Page = context.new_page()
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("console", self._console)

    def _only_localhost(self, route: Route) -> None:
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def _console(self, message) -> None:
        if message.type == "error" and "favicon" not in (message.location or {}).get("url", ""):
            self.errors.append(message.text)

    def open(self, url: str) -> Page:
        self.page.goto(url, wait_until="load")
        self.page.wait_for_selector("path.leaflet-interactive", timeout=15_000)
        self.page.wait_for_selector("#public-map[data-card-ready=true]", state="attached")
        self.page.wait_for_selector("#filters[data-live=true]", state="attached", timeout=15_000)
        self.page.wait_for_timeout(400)  # fitBounds' zoom animation
        return self.page

    def check_clean(self) -> None:
        assert self.blocked == [], f"page tried to reach the internet: {self.blocked}"
        assert self.errors == [], f"console / JavaScript errors: {self.errors}"
        assert self.page.evaluate("window.__csp") == [], "CSP violations"


@pytest.fixture
def phone(browser: Browser) -> Iterator[Watched]:
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        geolocation={"longitude": HERE_LON, "latitude": HERE_LAT, "accuracy": 20},
        permissions=["geolocation"],
        locale="zh-CN",
    )
    try:
        yield Watched(context)
    finally:
        context.close()


@pytest.fixture
def desktop(browser: Browser) -> Iterator[Watched]:
    context = browser.new_context(viewport=DESKTOP)
    try:
        yield Watched(context)
    finally:
        context.close()


def _grid_centre(page: Page, place: str) -> tuple[float, float]:
    """Screen point in the middle of the grid ``place`` (its path on the map)."""
    index = page.evaluate(
        """(place) => { const out = []; window.geogridDensity.layer.eachLayer(
             (l) => out.push(l.feature.properties.place)); return out.indexOf(place); }""",
        place,
    )
    box = page.locator("path.leaflet-interactive").nth(index).bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def _card(page: Page, place: str) -> str:
    page.wait_for_selector(f"#grid-card[data-place='{place}']", timeout=10_000)
    page.wait_for_selector("#grid-card svg.card-chart rect", state="attached", timeout=5_000)
    return page.locator("#grid-card").inner_text()


def _shot(page: Page, name: str) -> None:
    OUTPUT.mkdir(exist_ok=True)
    page.wait_for_timeout(400)
    page.screenshot(path=str(OUTPUT / name))


def test_phone_layout_collapsed(server_url: str, phone: Watched) -> None:
    """At 390 x 844 the header is under 15 % of the screen, the map takes most of it, and
    the layer list and legend are collapsed until their buttons are tapped."""
    page = phone.open(server_url + "/")
    header = page.locator("header.page-header").bounding_box()
    map_box = page.locator("#public-map").bounding_box()
    assert header is not None and map_box is not None
    assert header["height"] < 0.15 * PHONE["height"], header
    assert map_box["height"] > 0.75 * PHONE["height"], map_box
    assert page.locator("#filters").is_hidden()  # behind "筛选与说明"
    assert page.locator(".geogrid-label").is_visible()  # synthetic data, said on the map
    assert page.locator("#synthetic-label").is_visible()
    layers, legend = page.locator(".leaflet-control-layers"), page.locator(".geogrid-legend")
    assert layers.is_hidden() and legend.is_hidden()
    _shot(page, "public_phone.png")

    page.tap("#toggle-legend")
    assert legend.is_visible() and "每千户事件数" in legend.inner_text()
    assert page.get_attribute("#toggle-legend", "aria-expanded") == "true"
    page.tap("#toggle-layers")
    assert layers.is_visible()
    _shot(page, "public_phone_panels.png")
    page.tap("#toggle-legend")
    assert legend.is_hidden()

    page.tap("#header-more > summary")
    assert page.locator("#filters").is_visible() and "同比" in page.locator("#yoy").inner_text()

    page = phone.open(server_url + "/?lang=en")  # longer words, same compact header
    header = page.locator("header.page-header").bounding_box()
    assert header is not None and header["height"] < 0.15 * PHONE["height"], header
    assert page.locator("#synthetic-label").inner_text() == "Synthetic data (demo)"
    _shot(page, "public_phone_en.png")
    phone.check_clean()


def test_phone_tap_grid_opens_card(server_url: str, phone: Watched) -> None:
    """Tapping a grid opens its bottom sheet (no popup): name, code, the sum of its released
    cells, the monthly chart, the year-over-year sentence and the published worker;
    a grid that does not publish its contact shows neither name nor phone."""
    page = phone.open(server_url + "/")
    page.touchscreen.tap(*_grid_centre(page, "G1"))
    text = _card(page, "G1")
    assert "西北网格" in text and "110108-G1" in text
    assert _figure(["G1"]) in text
    assert page.locator("#grid-card svg.card-chart rect").count() == len(RELEASED.months)
    assert "上年同期" in page.locator("#card-yoy").inner_text()
    assert "王小明" in text and "010-6275 1234" in text
    assert page.get_attribute("#card-notice a", "href") == "tel:01062751234"
    page.wait_for_timeout(300)  # a closed popup fades out
    assert page.locator(".leaflet-popup").count() == 0
    sheet = page.locator("#grid-card").bounding_box()
    assert sheet is not None and sheet["y"] > PHONE["height"] * 0.4  # a bottom sheet
    assert sheet["y"] + sheet["height"] == pytest.approx(PHONE["height"], abs=2)
    _shot(page, "public_phone_card.png")

    page.tap("#card-close")
    assert page.locator("#grid-card").is_hidden()
    page.touchscreen.tap(*_grid_centre(page, "G2"))
    text = _card(page, "G2")
    assert "东北网格" in text and "网格员联系方式未公开" in text
    assert "李秘密" not in page.content() and "13900000002" not in page.content()
    phone.check_clean()


def test_phone_search_opens_card(server_url: str, phone: Watched) -> None:
    """Searching part of the school's name lists it; tapping it opens the card of the grid
    it is in (G1); a Latin name matches in any case."""
    page = phone.open(server_url + "/")
    page.fill("#search-q", "实验小")
    page.press("#search-q", "Enter")
    hit = page.locator("#search-results .search-hit", has_text=SCHOOL_NAME)
    hit.wait_for(timeout=5_000)
    _shot(page, "public_phone_search.png")
    hit.tap()
    text = _card(page, "G1")
    assert "西北网格" in text and _figure(["G1"]) in text
    assert page.locator("#search-results").is_hidden()

    page.fill("#search-q", "zhongguancun lib")
    page.press("#search-q", "Enter")
    page.locator("#search-results .search-hit", has_text=LATIN_PLACE).wait_for(timeout=5_000)
    phone.check_clean()


def test_phone_locate_me_opens_card(server_url: str, phone: Watched) -> None:
    """With the browser's position mocked inside G4, "locate me" opens G4's card."""
    page = phone.open(server_url + "/")
    page.tap("#locate-me")
    text = _card(page, "G4")
    assert "东南网格" in text and "网格员联系方式未公开" in text
    assert _figure(["G4"]) in text
    _shot(page, "public_phone_locate.png")
    phone.check_clean()


def test_desktop_side_panel(server_url: str, desktop: Watched) -> None:
    """On a desktop the header keeps its filters open, the legend and layer list show, and
    clicking a grid opens the card as a side panel on the right, with no popup beside it
    (the grid is shown once)."""
    page = desktop.open(server_url + "/?lang=en")
    assert page.locator("#filters").is_visible()
    assert page.locator(".geogrid-legend").is_visible()
    assert page.locator(".leaflet-control-layers").is_visible()
    assert page.locator("#toggle-legend").is_hidden()
    x, y = _grid_centre(page, "G3")
    page.mouse.click(x, y)
    text = _card(page, "G3")
    assert "西南网格" in text and "Year over year" in text
    assert "The grid worker's contact details are not published." in text
    page.wait_for_timeout(300)  # a popup would be open by now
    assert page.locator(".leaflet-popup").count() == 0
    panel = page.locator("#grid-card").bounding_box()
    assert panel is not None and panel["x"] > DESKTOP["width"] / 2 and panel["width"] < 400
    assert page.locator(".geogrid-legend").is_visible()  # pushed aside, not covered
    legend = page.locator(".geogrid-legend").bounding_box()
    assert legend is not None and legend["x"] + legend["width"] <= panel["x"]
    _shot(page, "public_desktop_card.png")

    page.fill("#search-q", SCHOOL_NAME)
    page.press("#search-q", "Enter")
    page.locator("#search-results .search-hit", has_text=SCHOOL_NAME).click()
    _card(page, "G1")
    assert "王小明" in page.locator("#grid-card").inner_text()
    desktop.check_clean()
