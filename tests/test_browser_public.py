"""The public map as a person sees it: real headless Chromium, no internet.

Starts the app on free localhost ports in threads (the built Helsinki demo
area, which has no grids and so shows 200 m cells, and the tiny Haidian area
with grids), opens ``/`` in Debian's Chromium through Playwright, and aborts
every request that is not to 127.0.0.1, so the page must render from the
app's own files. Saves screenshots under ``tests/output/``.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from webmap_area import SCHOOL_NAME, build_busy_area
from werkzeug.serving import make_server

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

from playwright.sync_api import Page, Route, sync_playwright  # noqa: E402


def _serve(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


BUSY = build_busy_area()
RELEASED = release_area(BUSY)


NOT_PUBLISHED = "不公开（少于 5 起或为防推算而隐藏）"


def _figure(places: list[str] | None = None, **kwargs) -> str:
    """A sum of released cells as the zh page writes it ("not published", never
    "at least 0", when every part of it is hidden)."""
    bound = RELEASED.total(places, **kwargs)
    if bound.at_least and bound.value == 0:
        return NOT_PUBLISHED
    return f"至少 {bound.value}" if bound.at_least else str(bound.value)


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    yield from _serve(create_app({"AREA": BUSY, "TESTING": True}))


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from geogrid.services.demo import build_demo

    folder = tmp_path_factory.mktemp("browser-demo") / "helsinki-demo"
    build_demo(folder)
    yield from _serve(create_app({"AREA_PATH": str(folder), "TESTING": True}))


CARD_BARS = "#grid-card svg.card-chart rect"


def _open_card(page: Page, index: int = 0) -> str:
    """Click the middle of the index-th interactive polygon; return the text of the grid
    card it opens (the side panel; no popup opens beside it)."""
    page.wait_for_selector("#public-map[data-card-ready=true]", state="attached")
    if page.locator("#grid-card").is_visible():
        page.click("#card-close")
    box = page.locator("path.leaflet-interactive").nth(index).bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector("#grid-card[data-place]", timeout=5_000)
    page.wait_for_selector(CARD_BARS, state="attached", timeout=5_000)
    page.wait_for_timeout(300)  # a popup would be open by now
    assert page.locator(".leaflet-popup").count() == 0, "a popup opened beside the card"
    return page.locator("#grid-card").inner_text()


def _uncovered(page: Page, start: int = 0) -> int:
    """The first interactive polygon from ``start`` on whose middle is not under a control
    (legend, layer list) or a marker, so a click there reaches it."""
    return int(
        page.evaluate(
            """start => {
        const paths = [...document.querySelectorAll('path.leaflet-interactive')];
        for (let k = 0; k < paths.length; k += 1) {
            const i = (start + k) % paths.length;
            const box = paths[i].getBoundingClientRect();
            const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
            if (hit === paths[i]) return i;
        }
        return start;
    }""",
            start,
        )
    )


@pytest.fixture(scope="module")
def browser_page() -> Iterator[tuple[Page, list[str]]]:
    blocked: list[str] = []

    def only_localhost(route: Route) -> None:
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            page.route("**/*", only_localhost)
            yield page, blocked
        finally:
            browser.close()


def test_public_map_draws_offline(server_url: str, browser_page: tuple[Page, list[str]]) -> None:
    """With every non-local request aborted, Leaflet draws grids, legend, streets and
    markers; clicking a grid opens its card (and no popup); the page asks for nothing off
    the machine."""
    page, blocked = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    failed: list[str] = []
    page.on("requestfailed", lambda req: failed.append(req.url))

    page.goto(server_url + "/", wait_until="load")
    page.wait_for_selector("path.leaflet-interactive", timeout=15_000)

    assert page.title().startswith("社区平安地图")
    assert page.locator("h1").inner_text() == "社区平安地图"
    # 4 grid polygons are interactive; streets and the boundary are not
    assert page.locator("path.leaflet-interactive").count() == 4
    assert page.locator(".leaflet-overlay-pane path").count() >= 4 + 3 + 1
    legend = page.locator(".geogrid-legend")
    assert legend.is_visible()
    assert "每千户事件数" in legend.inner_text()
    assert page.locator(".geogrid-label").inner_text() == "合成数据（演示）"
    # police and school are shown at start, markets hidden
    assert page.locator(".leaflet-marker-pane .awesome-marker").count() == 2
    assert "OpenStreetMap" in page.locator(".leaflet-control-attribution").inner_text()
    assert page.locator(".leaflet-control-layers").is_visible()

    # hover shows the school's Chinese name
    school = page.locator(".leaflet-marker-pane .awesome-marker-icon-blue").first
    school.hover()
    page.wait_for_selector(".leaflet-tooltip", timeout=5_000)
    assert SCHOOL_NAME in page.locator(".leaflet-tooltip").last.inner_text()

    # the year-over-year summary and the filters are above the map
    assert "同比" in page.locator("#yoy").inner_text()
    assert page.locator("#filter-category option").count() == 5

    # click the north-west grid: its card shows the statistic and the monthly trend
    text = _open_card(page, 0)
    assert "月度趋势" in text
    assert page.locator(CARD_BARS).count() >= 14
    assert "每千户事件数" in text
    assert "网格" in text
    assert "西北网格" in text and _figure(["G1"]) in text  # the sum of G1's released cells
    page.wait_for_timeout(400)  # let the popup finish fading in before the screenshot

    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "public_map.png"), full_page=True)

    assert blocked == [], f"page tried to reach the internet: {blocked}"
    assert errors == [], f"JavaScript errors: {errors}"
    assert [u for u in failed if "favicon" not in u] == []


def test_english_switch(server_url: str, browser_page: tuple[Page, list[str]]) -> None:
    """The language link switches the page and map labels to English."""
    page, blocked = browser_page
    page.goto(server_url + "/", wait_until="load")
    page.click("a.lang-switch")
    page.wait_for_selector("path.leaflet-interactive", timeout=15_000)
    assert "lang=en" in page.url
    assert page.locator("h1").inner_text() == "Community Safety Map"
    assert "Incidents per 1,000 households" in page.locator(".geogrid-legend").inner_text()
    page.wait_for_timeout(500)  # let fitBounds' zoom animation end before the screenshot
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "public_map_en.png"), full_page=True)
    assert blocked == []


def test_filter_by_category_and_months(
    server_url: str, browser_page: tuple[Page, list[str]]
) -> None:
    """Choosing a category and months in the form reloads the map with those figures."""
    page, blocked = browser_page
    page.goto(server_url + "/", wait_until="load")
    page.select_option("#filter-from", "2026-01")
    page.select_option("#filter-to", "2026-04")
    page.select_option("#filter-category", "theft")
    page.click("#filters button[type=submit]")
    page.wait_for_selector("path.leaflet-interactive", timeout=15_000)
    assert "category=theft" in page.url and "from=2026-01" in page.url
    assert page.locator("#filter-category").input_value() == "theft"
    assert "2026-01 至 2026-04" in page.locator("#yoy").inner_text()
    text = _open_card(page, 0)
    assert "西北网格" in text and "月度趋势" in text
    assert page.locator(CARD_BARS).count() == 4
    months = ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert _figure(["G1"], categories=["theft"], months=months) in text
    page.wait_for_timeout(400)
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "public_map_filtered.png"), full_page=True)
    assert blocked == []


def _fills(page: Page) -> list[str]:
    return page.eval_on_selector_all(
        "path.leaflet-interactive", "paths => paths.map(p => p.getAttribute('fill'))"
    )


def test_range_change_redraws_without_reload(
    server_url: str, browser_page: tuple[Page, list[str]]
) -> None:
    """Changing the months or the category in the page recolours the grids, rewrites the
    popup and the year-over-year sentence from the released table, with no page load and
    no request but the one for /api/released.json; the URL keeps the selection. (The card
    of a grid stands in for the popup it replaced.)"""
    page, blocked = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server_url + "/", wait_until="load")
    page.wait_for_selector("#filters[data-live=true]", state="attached", timeout=15_000)
    page.evaluate("window.__samePage = true")
    loads: list[str] = []
    page.on("request", lambda req: loads.append(req.url))
    before_fills, before_yoy = _fills(page), page.locator("#yoy").inner_text()

    page.select_option("#filter-from", "2026-03")
    page.select_option("#filter-to", "2026-03")
    page.wait_for_function(
        "document.querySelector('#yoy-text').textContent.includes('2026-03 至 2026-03')"
    )
    after_fills, after_yoy = _fills(page), page.locator("#yoy").inner_text()
    assert page.evaluate("window.__samePage") is True
    assert loads == []
    assert "from=2026-03" in page.url and "to=2026-03" in page.url
    assert after_yoy != before_yoy and "上年同期（2025-03 至 2025-03）" in after_yoy
    assert _figure(months=["2026-03"]) in after_yoy
    assert after_fills != before_fills
    text = _open_card(page, 0)
    assert _figure(["G1"], months=["2026-03"]) in text
    assert page.locator(CARD_BARS).count() == 1

    page.select_option("#filter-category", "vandalism")
    page.wait_for_timeout(200)
    text = _open_card(page, 0)
    assert _figure(["G1"], categories=["vandalism"], months=["2026-03"]) in text
    assert page.evaluate("window.__samePage") is True
    page.wait_for_timeout(400)
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "public_map_range.png"), full_page=True)
    assert blocked == [] and errors == []


def test_demo_area_renders_offline(demo_url: str, browser_page: tuple[Page, list[str]]) -> None:
    """The Helsinki demo (no grids: 200 m cells) renders fully with the internet blocked:
    cells, legend, streets, police markers; a cell's card (no popup) has its figures and
    trend chart, and a figure with every part hidden reads "not published", never
    "at least 0"; a marker's popup opens clear of the legend and the tool bar."""
    page, blocked = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(demo_url + "/", wait_until="load")
    page.wait_for_selector("path.leaflet-interactive", timeout=20_000)
    cells = page.locator("path.leaflet-interactive").count()
    assert cells >= 3  # cells with a released count only
    assert page.locator(".leaflet-overlay-pane path").count() > cells  # streets, boundary
    legend = page.locator(".geogrid-legend")
    assert legend.is_visible() and "每 200 米方格事件数" in legend.inner_text()
    assert page.locator(".leaflet-marker-pane .awesome-marker").count() > 0
    assert "同比" in page.locator("#yoy").inner_text()
    text = _open_card(page, _uncovered(page, cells // 2))
    assert "事件数" in text and "月度趋势" in text
    assert page.locator(CARD_BARS).count() >= 12
    total = page.locator("#card-total strong").inner_text()
    assert total.isdigit() or total.startswith("至少 ") or total == NOT_PUBLISHED
    assert not re.search(r"至少 0(?![\d.])", page.locator("body").inner_text())
    # months with nothing published: hatched grey stubs with a written key, not empty slots
    hidden = page.locator("#grid-card rect.bar-hidden")
    if hidden.count():
        assert page.locator("#card-chart-key").inner_text().startswith("灰色斜纹：不公开")
        assert float(hidden.first.get_attribute("height") or 0) > 0
    page.click("#card-close")

    # a key place's popup opened right over the legend is moved clear of the legend and
    # the tool bar (Leaflet draws its controls above its popups)
    assert page.evaluate("""() => {
        const map = window.geogridDensity.map;
        let marker = null;
        map.eachLayer((l) => { if (!marker && l instanceof L.Marker && l.getPopup()) marker = l; });
        const legend = document.querySelector('.geogrid-legend').getBoundingClientRect();
        const box = map.getContainer().getBoundingClientRect();
        const at = L.point(
            legend.x + legend.width / 2 - box.x, legend.y + legend.height / 2 - box.y);
        const shift = map.latLngToContainerPoint(marker.getLatLng()).subtract(at);
        map.panBy(shift, {animate: false});
        marker.openPopup();
        return true;
    }""")
    page.wait_for_selector(".leaflet-popup-content", timeout=5_000)
    page.wait_for_timeout(900)  # Leaflet's auto-pan, then ours
    popup = page.locator(".leaflet-popup").bounding_box()
    assert popup is not None
    for control in (".geogrid-legend", "#map-tools", ".leaflet-control-layers"):
        other = page.locator(control).bounding_box()
        assert other is not None
        apart = (
            popup["x"] + popup["width"] <= other["x"]
            or other["x"] + other["width"] <= popup["x"]
            or popup["y"] + popup["height"] <= other["y"]
            or other["y"] + other["height"] <= popup["y"]
        )
        assert apart, f"popup {popup} under {control} {other}"
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "public_map_demo_popup.png"), full_page=True)
    page.locator(".leaflet-popup-close-button").click()

    page.goto(demo_url + "/", wait_until="load")  # the whole area again for the screenshot
    page.wait_for_selector("#filters[data-live=true]", state="attached", timeout=20_000)
    page.wait_for_timeout(500)
    text = _open_card(page, _uncovered(page, cells // 2))
    page.wait_for_timeout(500)
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "public_map_demo.png"), full_page=True)
    assert blocked == [], f"page tried to reach the internet: {blocked}"
    assert errors == [], f"JavaScript errors: {errors}"
