"""Tests for webmap/maps.py: what the public map is made of."""

from __future__ import annotations

import dataclasses
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import folium
import folium.plugins
import geopandas as gpd
import pytest
import shapely
from webmap_area import (
    METRIC_CRS,
    SCHOOL_NAME,
    build_busy_area,
    build_tiny_area,
    incident_fingerprints,
)

from geogrid.crs import wgs84_to_gcj02
from geogrid.release import MIN_COUNT, Selection, release_area
from webmap.maps import (
    BASEMAPS,
    VENDORED_CSS,
    VENDORED_JS,
    class_breaks,
    display_for,
    public_map,
    render_map_parts,
    trend_svg,
    use_local_assets,
)

VENDOR = Path(__file__).resolve().parents[1] / "webmap" / "static" / "vendor"


@pytest.fixture(scope="module")
def area():
    return build_tiny_area()


def _html(m: folium.Map) -> str:
    r"""The map's standalone HTML with JSON \uXXXX escapes decoded (Chinese is
    escaped inside the embedded GeoJSON and strings)."""
    html = m.get_root().render()
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda g: chr(int(g.group(1), 16)), html)


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and values.get("src"):
            self.urls.append(str(values["src"]))
        if tag == "link" and values.get("href"):
            self.urls.append(str(values["href"]))


def _asset_urls(html: str) -> list[str]:
    parser = _Assets()
    parser.feed(html)
    return parser.urls


def _tile_layers(m: folium.Map) -> list[folium.TileLayer]:
    return [c for c in m._children.values() if isinstance(c, folium.TileLayer)]


# ----------------------------------------------------------------------------- maps


def test_offline_map_has_no_tiles_and_only_local_assets(area):
    """Offline: no tile layer, every <script src>/<link href> is under /static/vendor,
    each vendored file exists, and no other URL than the OSM copyright link is present."""
    m = public_map(area, basemap="offline")
    assert _tile_layers(m) == []
    html = _html(m)
    urls = _asset_urls(html)
    assert urls, "no assets found"
    for url in urls:
        assert url.startswith("/static/vendor/"), url
        assert (VENDOR / url.removeprefix("/static/vendor/")).is_file(), url
    absolute = set(re.findall(r"https?://[^\s\"'<>\\]+", html))
    assert absolute <= {"https://www.openstreetmap.org/copyright"}, absolute
    assert "tile.openstreetmap.org" not in html


def test_offline_map_draws_streets(area):
    """Offline: the streets are drawn as grey lines, major roads thicker, not clickable."""
    html = _html(public_map(area, basemap="offline"))
    assert "MultiLineString" in html or "LineString" in html
    assert '"weight": 4' in html and '"weight": 2' in html
    assert '"interactive": false' in html


def test_osm_basemap_has_tile_layer(area):
    """basemap='osm' adds the OpenStreetMap tile layer (online), assets still local."""
    m = public_map(area, basemap="osm")
    (_tiles,) = _tile_layers(m)
    html = _html(m)
    assert "tile.openstreetmap.org/{z}/{x}/{y}.png" in html
    assert all(u.startswith("/static/vendor/") for u in _asset_urls(html))


def test_unknown_basemap_is_refused(area):
    """Only offline, osm, tianditu and amap are basemaps."""
    assert BASEMAPS == ("offline", "osm", "tianditu", "amap")
    with pytest.raises(ValueError, match="offline"):
        public_map(area, basemap="satellite")


def test_tianditu_needs_a_key_and_keeps_wgs84(area):
    """Tianditu draws the vector and label layers with the configured key; its
    CGCS2000 tiles take WGS-84 overlays unshifted."""
    with pytest.raises(ValueError, match="TIANDITU_KEY"):
        public_map(area, basemap="tianditu")
    m = public_map(area, basemap="tianditu", tianditu_key="k123")
    urls = [t.tiles for t in _tile_layers(m)]
    assert len(urls) == 2 and all("tianditu.gov.cn" in u and "tk=k123" in u for u in urls)
    assert "LAYER=vec" in urls[0] and "LAYER=cva" in urls[1]
    html = _html(m)
    school = area.layers["schools"].geometry.iloc[0]
    assert f"[{round(school.y, 7)}, {round(school.x, 7)}]" in html


def test_amap_shifts_overlays_to_gcj02(area):
    """Amap tiles are GCJ-02: every overlay (markers, grids, boundary) is shifted
    WGS-84 -> GCJ-02 for display, by the same transform as geogrid.crs."""
    m = public_map(area, basemap="amap")
    (tiles,) = _tile_layers(m)
    assert "autonavi.com" in tiles.tiles
    html = _html(m)
    school = area.layers["schools"].geometry.iloc[0]
    gx, gy = (float(v[0]) for v in wgs84_to_gcj02([school.x], [school.y]))
    assert 100 < shapely.Point(gx, gy).distance(school) * 111_000 < 1000  # ~hundreds of m
    assert f"[{round(gy, 7)}, {round(gx, 7)}]" in html
    assert f"[{round(school.y, 7)}, {round(school.x, 7)}]" not in html
    assert "[116.3, 39.989]" in _html(public_map(area, basemap="osm"))  # a grid corner
    assert "[116.3, 39.989]" not in html
    assert display_for("osm")(area.grids.geometry.values)[0].equals(area.grids.geometry.iloc[0])


WORDS = {"at_least": "至少 {n}", "not_published": "不公开（少于 5 起或为防推算而隐藏）"}


def test_trend_svg_marks_months_with_hidden_counts():
    """The trend chart is inline SVG: one bar per month; a month with a hidden count inside
    says 'at least' and is drawn lighter (a grey stub saying 'not published' when its
    released sum is 0)."""
    svg = trend_svg(
        ["2025-01", "2025-02", "2025-03"], [10, 0, 5], [False, True, True], "趋势", WORDS
    )
    assert svg.startswith("<svg") and svg.count("<rect") == 3
    assert "2025-02: 不公开（少于 5 起或为防推算而隐藏）" in svg  # nothing published, not "至少 0"
    assert "2025-01: 10" in svg and "2025-03: 至少 5" in svg
    assert "2025-01</text>" in svg and "2025-03</text>" in svg


def test_popup_has_trend_for_each_grid(area):
    """Each grid's popup carries its monthly trend (SVG) over the selected months, and the
    place id that static/js/public_map.js redraws by."""
    html = _html(public_map(area))
    assert len(re.findall(r'<svg class=\\*"geogrid-trend', html)) == 4
    assert "月度趋势" in html
    assert '"place": "G1"' in html
    assert "window.geogridDensity = {map: map_" in html and "layer: geo_json_" in html


@pytest.fixture(scope="module")
def busy():
    return build_busy_area()


def test_selection_filters_the_map(busy):
    """A month range and a category change the figures drawn on the map; each is a sum of
    released cells."""
    released = release_area(busy)
    full = _html(public_map(busy, released=released))
    part = _html(
        public_map(busy, released=released, selection=Selection("2026-01", "2026-04", ("theft",)))
    )
    g1_all = released.total(places=["G1"])
    g1_part = released.total(
        places=["G1"], categories=["theft"], months=["2026-01", "2026-02", "2026-03", "2026-04"]
    )
    text = "至少 {}".format
    assert f'"incidents": "{text(g1_all.value) if g1_all.at_least else g1_all.value}"' in full
    assert f'"incidents": "{text(g1_part.value) if g1_part.at_least else g1_part.value}"' in part
    assert "2026-01</text>" in part and "2025-03</text>" not in part


def test_legend_and_grid_choropleth(busy):
    """Grids become a choropleth of rates from released cells, with a legend (classes, no
    households, the 'at least' note), popups and a dashed outline where a hidden cell is
    inside; no figure is above the sum of released cells."""
    released = release_area(busy)
    html = _html(public_map(busy, released=released))
    assert "geogrid-legend" in html
    legend = re.search(r'innerHTML = ("(?:[^"\\]|\\.)*");', html.split("geogrid-legend", 1)[1])
    assert legend is not None
    legend_text = json.loads(legend.group(1))
    assert "每千户事件数" in legend_text and "class-row" in legend_text
    assert "至少" in legend_text
    assert "西北网格" in html and "东南网格" in html
    shown = [int(n) for n in re.findall(r'"incidents": "(?:至少 )?(\d+)"', html)]
    values, exact = released.totals("place")
    assert sorted(shown) == sorted(int(v) for v in values)
    # dashed exactly when a grid's figure is 'at least' (the busy grids' totals are
    # released margin cells, so exact; a month's figure with a hidden cell is dashed)
    assert ('"dash": "4 3"' in html) == (not exact.all())
    month = _html(public_map(busy, released=released, selection=Selection("2025-02", "2025-02")))
    month_exact = released.totals("place", months=["2025-02"])[1]
    assert ('"dash": "4 3"' in month) == (not month_exact.all())


def test_english_map(area):
    """lang='en' labels layers and legend in English."""
    html = _html(public_map(area, lang="en"))
    assert "Incidents per 1,000 households" in html
    assert "at least" in html
    assert "Schools (1)" in html


def test_cell_surface_when_no_grids(busy):
    """Without grids the map shows >= 150 m cells, only those with a released count."""
    area = dataclasses.replace(busy, grids=busy.grids.iloc[0:0])
    html = _html(public_map(area, cell_m=200))
    assert "每 200 米方格事件数" in html
    counts = [int(c) for c in re.findall(r'"incidents": "(?:至少 )?(\d+)"', html)]
    assert counts and min(counts) >= MIN_COUNT
    with pytest.raises(ValueError):
        public_map(area, cell_m=50)


@pytest.mark.parametrize("with_grids", [True, False])
def test_map_never_shows_raw_incidents(with_grids):
    """No incident id, coordinate, time of day, day or category reaches the map's HTML
    (months appear only as labels of the trend charts)."""
    area = build_tiny_area(with_grids=with_grids)
    html = _html(public_map(area))
    assert [f for f in incident_fingerprints(area) if f in html] == []
    assert "INC-" not in html and "theft" not in html and "domestic" not in html
    assert re.search(r"20\d\d-\d\d-\d\d", html) is None


def test_leak_check_would_catch_raw_points(area):
    """The fingerprints do find incidents when they are published (the check is not blind)."""
    raw = area.incidents.drop(columns="time").to_json()
    assert any(f in raw for f in incident_fingerprints(area))


def test_key_locations_with_chinese_names_and_layer_control(area):
    """Key places are markers named as is (Chinese), grouped in a layer control."""
    m = public_map(area)
    html = _html(m)
    assert SCHOOL_NAME in html and "中关村派出所" in html
    assert "学校 (1)" in html and "警务 (1)" in html
    assert any(isinstance(c, folium.LayerControl) for c in m._children.values())
    assert "fa-graduation-cap" in html or '"graduation-cap"' in html


def test_key_places_layer_is_named_in_the_page_language(area):
    """The README's `layers import --layer key_places` layer is 重点场所 / Key places in the
    layer control, not its file name (the Shanghai pilot's map showed 'key_places (6)')."""
    places = area.layers["schools"].copy()
    office = dataclasses.replace(area, layers={**area.layers, "key_places": places})
    assert "重点场所 (1)" in _html(public_map(office))
    assert "Key places (1)" in _html(public_map(office, lang="en"))
    assert "key_places (1)" not in _html(public_map(office))


def test_marker_names_are_escaped(area):
    """A place name with HTML is shown as text, never run."""
    schools = area.layers["schools"].copy()
    schools["name"] = ["<script>alert(1)</script>小学"]
    evil = dataclasses.replace(area, layers={**area.layers, "schools": schools})
    html = _html(public_map(evil))
    assert "<script>alert(1)</script>" not in html


def test_synthetic_label_from_manifest_or_column(area):
    """The synthetic label shows when the manifest says so, or when a row is flagged."""
    assert "合成数据（演示）" in _html(public_map(area))
    by_column = build_tiny_area(synthetic_in_manifest=False)
    assert "合成数据（演示）" in _html(public_map(by_column))
    real = dataclasses.replace(by_column, incidents=by_column.incidents.assign(synthetic=False))
    assert "合成数据（演示）" not in _html(public_map(real))


def test_osm_attribution_from_manifest(area):
    """The manifest's OSM attribution is added to the map's attribution control."""
    html = _html(public_map(area))
    assert "addAttribution" in html
    assert "© OpenStreetMap contributors" in html


def test_lon_lat_flip_happens_once(area):
    """Markers and bounds are in Leaflet lat/lon order; GeoJSON stays lon/lat."""
    html = _html(public_map(area))
    school = area.layers["schools"].geometry.iloc[0]
    assert f"[{round(school.y, 7)}, {round(school.x, 7)}]" in html
    assert "[[39.98, 116.3], [39.989, 116.312]]" in html


def test_use_local_assets_refuses_unknown_remote_assets(area):
    """A plugin whose asset has no vendored copy raises instead of loading a CDN."""
    m = public_map(area)
    m.add_child(folium.plugins.MiniMap())
    with pytest.raises(ValueError, match="vendor"):
        use_local_assets(m)


def test_render_map_parts(area):
    """The map renders into header/html/script parts for the page; the header's
    links are the vendored ones."""
    parts = render_map_parts(public_map(area, asset_base="/prefix/static/vendor"))
    assert 'class="folium-map"' in parts.html
    assert "L.map(" in parts.script
    for rel in list(VENDORED_JS.values()) + list(VENDORED_CSS.values()):
        assert f"/prefix/static/vendor/{rel}" in parts.header


def test_vendor_manifest_matches_files():
    """MANIFEST.json lists every vendored file with its sha256 and the package licence."""
    import hashlib

    manifest = json.loads((VENDOR / "MANIFEST.json").read_text(encoding="utf-8"))
    listed = set()
    for package in manifest["packages"]:
        assert package["name"] and package["version"] and package["license"]
        paths = [f["path"] for f in package["files"]]
        assert any("LICENSE" in p for p in paths), package["name"]
        for entry in package["files"]:
            data = (VENDOR / entry["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["path"]
            listed.add(entry["path"])
    on_disk = {str(p.relative_to(VENDOR)) for p in VENDOR.rglob("*") if p.is_file()}
    assert on_disk - {"MANIFEST.json"} == listed
    total = sum(p.stat().st_size for p in VENDOR.rglob("*") if p.is_file())
    assert total < 3 * 1024 * 1024


def test_empty_area_still_renders(area):
    """An area with no grids, incidents, streets or places renders a map with a legend."""
    empty = dataclasses.replace(
        area,
        grids=area.grids.iloc[0:0],
        incidents=None,
        edges=None,
        layers={},
        buildings=area.buildings.iloc[0:0],
    )
    html = _html(public_map(empty))
    assert "geogrid-legend" in html


def test_projected_boundary_is_shown_in_wgs84(area):
    """A boundary frame in a metric CRS is converted before drawing."""
    projected = dataclasses.replace(
        area, boundary=gpd.GeoDataFrame(area.boundary.to_crs(METRIC_CRS))
    )
    html = _html(public_map(projected))
    assert "[[39.98, 116.3], [39.989, 116.312]]" in html
    assert shapely.box(116.3, 39.98, 116.312, 39.989).is_valid


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([250.0, 240.0, 123.3], [50, 100, 150, 200, 250]),
        ([7.0], [2, 4, 6, 8]),
        ([0.0], [0.0]),
        ([], []),
    ],
)
def test_class_breaks_are_round(values, expected):
    """Legend classes start at 0 with a round step and cover the largest value."""
    assert class_breaks(values) == pytest.approx(expected)
