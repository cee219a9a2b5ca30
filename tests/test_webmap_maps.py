"""Tests for webmap/maps.py and webmap/density.py: what the public map is made of."""

from __future__ import annotations

import dataclasses
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import folium
import folium.plugins
import geopandas as gpd
import pandas as pd
import pytest
import shapely
from webmap_area import (
    HOUSEHOLDS_PER_GRID,
    INCIDENTS_PER_GRID,
    METRIC_CRS,
    SCHOOL_NAME,
    build_tiny_area,
    incident_fingerprints,
)

from webmap.density import MIN_COUNT, class_breaks, density_by_cell, density_by_grid
from webmap.maps import (
    VENDORED_CSS,
    VENDORED_JS,
    public_map,
    render_map_parts,
    use_local_assets,
)

VENDOR = Path(__file__).resolve().parents[1] / "webmap" / "static" / "vendor"


@pytest.fixture(scope="module")
def area():
    return build_tiny_area()


def _html(m: folium.Map) -> str:
    """The map's standalone HTML with JSON \\uXXXX escapes decoded (Chinese is
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


# ----------------------------------------------------------------------------- density


def test_density_by_grid_counts_per_1000_households(area):
    """Counts and rates per grid match the fixture; the grid with < 5 is suppressed."""
    density = density_by_grid(area.grids, area.buildings, area.incidents).set_index("grid_id")
    for grid_id, count in INCIDENTS_PER_GRID.items():
        row = density.loc[grid_id]
        assert row["households"] == HOUSEHOLDS_PER_GRID[grid_id]
        if count < MIN_COUNT:
            assert row["suppressed"]
            assert pd.isna(row["count"]) and pd.isna(row["rate_per_1000"])
        else:
            assert not row["suppressed"]
            assert row["count"] == count
            assert row["rate_per_1000"] == round(1000 * count / HOUSEHOLDS_PER_GRID[grid_id], 1)
    assert density.crs == "EPSG:4326"


def test_density_by_grid_without_households(area):
    """A grid with no households has a count but no rate."""
    empty = area.buildings.iloc[0:0]
    density = density_by_grid(area.grids, empty, area.incidents)
    assert density["rate_per_1000"].isna().all()
    assert int(density.loc[density["grid_id"] == "G1", "count"].iloc[0]) == 100
    html = _html(public_map(dataclasses.replace(area, buildings=empty)))
    assert "nan" not in html.lower().replace("nanjing", "")
    assert html.count('"rate": "–"') == 4
    assert html.count('"fill": "#f0f0f0"') == 3  # no households; the 4th is suppressed


def test_density_by_cell_suppresses_small_counts(area):
    """Cells are >= 150 m, aligned, clipped to the boundary; counts below 5 never appear."""
    cells = density_by_cell(area.boundary, area.incidents, METRIC_CRS, cell_m=150)
    assert len(cells) > 0
    assert (cells["count"] >= MIN_COUNT).all()
    assert cells["count"].sum() < len(area.incidents)  # some incidents were in small cells
    outline = area.boundary.geometry.iloc[0].buffer(1e-7)
    assert all(outline.contains(g) for g in cells.geometry)
    sizes = cells.to_crs(METRIC_CRS).geometry.area
    assert sizes.max() <= 150 * 150 + 1
    with pytest.raises(ValueError, match="150"):
        density_by_cell(area.boundary, area.incidents, METRIC_CRS, cell_m=100)


def test_density_by_cell_all_suppressed(area):
    """Four incidents in one place make no cell at all."""
    few = area.incidents.iloc[:4]
    assert len(density_by_cell(area.boundary, few, METRIC_CRS)) == 0
    assert len(density_by_cell(area.boundary, None, METRIC_CRS)) == 0


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([250.0, 240.0, 123.3], [50, 100, 150, 200, 250]),
        ([7.0], [2, 4, 6, 8]),
        ([0.0], [0.0]),
        ([], []),
        ([12.0, 3.0], [2.5, 5, 7.5, 10, 12.5]),
    ],
)
def test_class_breaks_are_round(values, expected):
    """Legend classes start at 0 with a round step and cover the largest value."""
    assert class_breaks(values) == pytest.approx(expected)


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
    (tiles,) = _tile_layers(m)
    html = _html(m)
    assert "tile.openstreetmap.org/{z}/{x}/{y}.png" in html
    assert all(u.startswith("/static/vendor/") for u in _asset_urls(html))


def test_unknown_basemap_is_refused(area):
    """Only 'offline' and 'osm' are basemaps."""
    with pytest.raises(ValueError, match="offline"):
        public_map(area, basemap="satellite")


def test_legend_and_grid_choropleth(area):
    """Grids become a choropleth with a legend, a suppressed class and grid popups."""
    html = _html(public_map(area))
    assert "geogrid-legend" in html
    legend = re.search(r'innerHTML = ("(?:[^"\\]|\\.)*");', html.split("geogrid-legend", 1)[1])
    assert legend is not None
    legend_text = json.loads(legend.group(1))
    assert "每千户事件数" in legend_text
    assert "少于 5 起" in legend_text
    assert "200 – 250" in legend_text
    assert "西北网格" in html and "东南网格" in html
    assert '"incidents": "100"' in html
    assert '"incidents": "少于 5"' in html  # G4 has 3 incidents: suppressed
    assert '"incidents": "3"' not in html


def test_english_map(area):
    """lang='en' labels layers and legend in English."""
    html = _html(public_map(area, lang="en"))
    assert "Incidents per 1,000 households" in html
    assert "fewer than 5" in html
    assert "Schools (1)" in html


def test_cell_surface_when_no_grids():
    """Without grids the map shows >= 150 m cells, only those with >= 5 incidents."""
    area = build_tiny_area(with_grids=False)
    html = _html(public_map(area, cell_m=200))
    assert "每 200 米方格事件数" in html
    counts = [int(c) for c in re.findall(r'"incidents": "(\d+)"', html)]
    assert counts and min(counts) >= MIN_COUNT
    with pytest.raises(ValueError):
        public_map(area, cell_m=50)


@pytest.mark.parametrize("with_grids", [True, False])
def test_map_never_shows_raw_incidents(with_grids):
    """No incident id, coordinate, time or category reaches the map's HTML."""
    area = build_tiny_area(with_grids=with_grids)
    html = _html(public_map(area))
    assert [f for f in incident_fingerprints(area) if f in html] == []
    assert "INC-" not in html and "theft" not in html and "2025-03" not in html


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
    real = dataclasses.replace(
        by_column, incidents=by_column.incidents.assign(synthetic=False)
    )
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
