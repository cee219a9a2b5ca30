"""Tests for the web app (webmap/__init__.py, public.py, api.py, errors.py, area.py).

Every route is exercised through Flask's test client on a tiny in-memory area;
no route may reveal an incident's id or exact coordinates.
"""

from __future__ import annotations

import dataclasses
import json
import re
from html.parser import HTMLParser

import numpy as np
import pytest
import shapely
from webmap_area import SCHOOL_NAME, build_tiny_area, incident_fingerprints

from geogrid.errors import CRSError, GeogridError, InfeasibleError, InputError, NetworkError
from webmap import create_app
from webmap.area import AreaUnavailableError

PUBLIC_ROUTES = [
    "/",
    "/?lang=en",
    "/?basemap=osm",
    "/?basemap=amap",
    "/?from=2025-04&to=2025-06&category=theft",
    "/healthz",
    "/api/openapi.json",
    "/api/area",
    "/api/places.geojson",
    "/api/places.geojson?from=2025-05&category=fraud",
    "/api/aggregates/places",
    "/api/aggregates/months",
    "/api/aggregates/months?by=place",
    "/api/aggregates/months?by=category",
    "/api/aggregates/months?place=G1",
    "/api/aggregates/categories",
    "/api/aggregates/yoy?from=2026-03&to=2026-04",
    "/api/layers/schools.geojson",
    "/api/layers/police.geojson",
    "/api/layers/markets.geojson",
    "/api/boundary.geojson",
    "/api/streets.geojson",
    "/api/search?q=%E7%BD%91%E6%A0%BC&limit=20",
    "/api/notices.json",
]


@pytest.fixture(autouse=True)
def _secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Apps made here without TESTING read the key from the environment, so none is
    written into the real instance folder."""
    monkeypatch.setenv("FLASK_SECRET_KEY", "test-only")


@pytest.fixture(scope="module")
def area():
    return build_tiny_area()


@pytest.fixture
def app(area):
    return create_app({"AREA": area, "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.anchors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and values.get("src"):
            self.scripts.append(str(values["src"]))
        elif tag == "link" and values.get("href"):
            self.styles.append(str(values["href"]))
        elif tag == "a" and values.get("href"):
            self.anchors.append(str(values["href"]))


def test_config_defaults_and_env(monkeypatch):
    """Defaults, then FLASK_* env vars, then test_config (which wins)."""
    monkeypatch.setenv("FLASK_AREA_PATH", "/somewhere/area")
    monkeypatch.setenv("FLASK_DEFAULT_LANG", "en")
    app = create_app()
    assert app.config["AREA_PATH"] == "/somewhere/area"
    assert app.config["DEFAULT_LANG"] == "en"
    assert app.config["BASEMAP"] == "offline"
    assert create_app({"AREA_PATH": "x"}).config["AREA_PATH"] == "x"
    monkeypatch.delenv("FLASK_AREA_PATH")
    monkeypatch.delenv("FLASK_DEFAULT_LANG")
    assert create_app().config["AREA_PATH"] == "data/geo/helsinki-demo"


def test_healthz(client):
    """/healthz answers JSON without touching the area."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.is_json
    assert response.get_json() == {"status": "ok"}


def test_index_is_chinese_by_default(client):
    """The page is Chinese, names the area, labels synthetic data and credits OSM."""
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert "<h1>社区平安地图</h1>" in page
    assert "海淀示例社区" in page
    assert "合成数据" in page
    assert "© OpenStreetMap contributors" in page
    assert SCHOOL_NAME in page
    assert 'class="folium-map"' in page
    assert "?lang=en" in page  # the language switch


def test_index_english_switch(client):
    """?lang=en gives the English page; an unknown language falls back to Chinese."""
    page = client.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Community Safety Map" in page
    assert "synthetic" in page.lower()
    assert "Incidents per 1,000 households" in page
    assert "社区平安地图" in client.get("/?lang=xx").get_data(as_text=True)


def test_index_offline_assets_are_local(client):
    """Every <script src> and <link href> of the page is served by the app itself,
    and each of them answers 200."""
    page = client.get("/").get_data(as_text=True)
    links = _Links()
    links.feed(page)
    assets = links.scripts + links.styles
    assert any("leaflet.js" in a for a in links.scripts)
    assert any("leaflet.css" in a for a in links.styles)
    for url in assets:
        assert url.startswith("/static/"), url
        assert client.get(url).status_code == 200, url
    # the only absolute URLs in the page are attribution links
    absolute = set(re.findall(r"https?://[^\s\"'<>\\]+", page))
    assert absolute <= {"https://www.openstreetmap.org/copyright"}, absolute


def test_index_osm_basemap_uses_tiles(client):
    """?basemap=osm adds the OSM tile layer (online use); assets stay local."""
    page = client.get("/?basemap=osm").get_data(as_text=True)
    assert "tile.openstreetmap.org" in page
    links = _Links()
    links.feed(page)
    assert all(u.startswith("/static/") for u in links.scripts + links.styles)


def test_index_bad_basemap_is_400_page(client):
    """An unknown basemap is a friendly HTML 400, not a traceback."""
    response = client.get("/?basemap=google")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "Traceback" not in response.get_data(as_text=True)


def test_area_summary(client, area):
    """/api/area summarises the area: counts, layers with URLs, sources, synthetic flag."""
    response = client.get("/api/area")
    assert response.status_code == 200
    assert response.is_json
    body = response.get_json()
    assert body["name"] == "海淀示例社区"
    assert body["metric_crs"] == "EPSG:32650"
    assert body["bbox"] == pytest.approx([116.300, 39.980, 116.312, 39.989])
    assert body["counts"] == {
        "grids": 4,
        "buildings": 8,
        "households": 1070,
        "streets": 6,
        "incidents": 200,
        "incidents_at_least": False,
    }  # the area total is a released margin cell (200 incidents over 240
    # place-category-months hide most cube cells); the 6 of a sensitive category are in no total
    assert body["statistics"]["place_kind"] == "grid"
    assert body["statistics"]["release_rules"]["min_count"] == 5
    assert [c["category"] for c in body["statistics"]["categories"]] == [
        "dispute",
        "fraud",
        "theft",
        "vandalism",
    ]
    assert body["synthetic_incidents"] is True
    assert [layer["name"] for layer in body["layers"]] == ["markets", "police", "schools"]
    assert all(client.get(layer["url"]).status_code == 200 for layer in body["layers"])
    assert body["sources"][0]["text"] == "© OpenStreetMap contributors"
    assert "海淀示例社区" in response.get_data(as_text=True)  # not \\u-escaped


def test_layer_geojson(client):
    """A key-location layer is GeoJSON with id, kind, layer, name (Chinese as is)."""
    response = client.get("/api/layers/schools.geojson")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    body = json.loads(response.get_data(as_text=True))
    assert body["type"] == "FeatureCollection"
    (feature,) = body["features"]
    assert feature["properties"] == {
        "id": "node/9001",
        "kind": "school",
        "layer": "schools",
        "name": SCHOOL_NAME,
    }
    assert feature["geometry"]["type"] == "Point"
    assert SCHOOL_NAME in response.get_data(as_text=True)


def test_unknown_layer_is_404_json(client):
    """An unknown layer answers 404 with the error body and names the layers there are."""
    response = client.get("/api/layers/casinos.geojson")
    assert response.status_code == 404
    assert response.is_json
    error = response.get_json()["error"]
    assert error["code"] == "not_found"
    assert "casinos" in error["message"] and "schools" in error["message"]


@pytest.mark.parametrize("path", ["/api/boundary.geojson", "/api/streets.geojson"])
def test_boundary_and_streets_geojson(client, path):
    """Boundary and streets are GeoJSON feature collections in lon/lat."""
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    body = json.loads(response.get_data(as_text=True))
    assert body["type"] == "FeatureCollection" and body["features"]
    x, y = (
        body["features"][0]["geometry"]["coordinates"][0][:2]
        if path.endswith("streets.geojson")
        else body["features"][0]["geometry"]["coordinates"][0][0]
    )
    assert 116 < x < 117 and 39 < y < 41  # lon first


def test_streets_keep_only_public_columns(client):
    """Streets carry highway and name only (for the offline basemap)."""
    body = json.loads(client.get("/api/streets.geojson").get_data(as_text=True))
    assert {k for f in body["features"] for k in f["properties"]} == {"highway", "name"}
    assert "中关村大街" in {f["properties"]["name"] for f in body["features"]}


@pytest.mark.parametrize("path", ["/api/nothing", "/api"])
def test_unknown_api_path_is_json(client, path):
    """Unknown /api paths answer the JSON error body."""
    response = client.get(path)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_unknown_page_is_friendly_html(client):
    """Unknown pages answer a friendly HTML page in Chinese with a link back."""
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "找不到这个页面" in page and 'href="/?lang=zh"' in page


def test_method_not_allowed_json(client):
    """HTTP errors other than 404 keep the same JSON shape."""
    response = client.post("/api/area")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_missing_area_folder_is_503(tmp_path):
    """An unbuilt area folder gives 503 with a message saying what to do, on both sides."""
    app = create_app({"AREA_PATH": str(tmp_path / "nowhere"), "TESTING": True})
    client = app.test_client()
    response = client.get("/api/area")
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "area_unavailable"
    assert "FLASK_AREA_PATH" in error["message"]
    page = client.get("/")
    assert page.status_code == 503
    assert "地图数据暂时无法读取" in page.get_data(as_text=True)
    assert "Traceback" not in page.get_data(as_text=True)
    health = client.get("/healthz")  # says what / says: the area cannot be loaded
    assert health.status_code == 503 and "no area manifest" in health.get_json()["reason"]
    assert str(tmp_path) not in health.get_data(as_text=True)
    assert str(tmp_path) not in page.get_data(as_text=True) + response.get_data(as_text=True)


def test_area_is_read_lazily_once(monkeypatch, area):
    """AREA_PATH is read through its folder store on first use, then kept."""
    from geogrid.store.folder import FolderStore

    calls: list[str] = []

    def fake_read_area(self, name, **_kwargs):
        calls.append(str(self.root / name))
        return area

    monkeypatch.setattr(FolderStore, "read_area", fake_read_area)
    app = create_app({"AREA_PATH": "some/area", "TESTING": True, "STORE": ""})
    client = app.test_client()
    assert calls == []
    assert client.get("/api/area").status_code == 200
    assert client.get("/api/boundary.geojson").status_code == 200
    assert calls == ["some/area"]


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (InputError("bad row 3"), 422, "input_error"),
        (CRSError("no CRS"), 422, "crs_error"),
        (NetworkError("off the network"), 422, "network_error"),
        (InfeasibleError("too few teams"), 409, "infeasible"),
        (AreaUnavailableError("gone"), 503, "area_unavailable"),
        (GeogridError("odd"), 500, "geogrid_error"),
        (RuntimeError("secret internals"), 500, "internal_error"),
    ],
)
def test_errors_map_to_json_and_html(area, error, status, code):
    """Each geogrid error maps to one status and code; unexpected errors hide their text."""
    app = create_app({"AREA": area, "TESTING": False})

    @app.get("/api/boom")
    def api_boom():
        raise error

    @app.get("/boom")
    def page_boom():
        raise error

    client = app.test_client()
    response = client.get("/api/boom")
    assert response.status_code == status
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    if isinstance(error, RuntimeError):
        assert "secret" not in body["error"]["message"]
    page = client.get("/boom")
    assert page.status_code == status
    assert page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert "Traceback" not in text and "secret internals" not in text


PERSONAL_FIELDS = ("description", "address", "person", "phone", "id_card", "zone", "source")


def test_no_public_response_reveals_an_incident(client, area):
    """No route's body contains an incident id, exact coordinate, day or time, a personal
    or free-text field, or anything of a sensitive category (not even its count)."""
    fingerprints = incident_fingerprints(area)
    assert len(fingerprints) >= 200
    for path in PUBLIC_ROUTES:
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.get_data(as_text=True)
        leaked = [f for f in fingerprints if f in body]
        assert leaked == [], f"{path} reveals {leaked[:5]}"
        assert "INC-" not in body, path
        assert re.search(r"20\d\d-\d\d-\d\d", body) is None, path
        assert "domestic_violence" not in body, path
        if response.is_json or "geo+json" in response.mimetype:
            keys = _json_keys(json.loads(body))
            assert not keys & set(PERSONAL_FIELDS) - {"description"}, (path, keys)


def _json_keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _json_keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _json_keys(v)}
    return set()


def test_no_incident_leak_without_grids():
    """The cell surface (area without grids) reveals no incident either."""
    area = build_tiny_area(with_grids=False)
    client = create_app({"AREA": area, "TESTING": True}).test_client()
    fingerprints = incident_fingerprints(area)
    assert "按 200 米方格统计" in client.get("/").get_data(as_text=True)
    for path in ["/", "/?lang=en", "/api/area"]:
        response = client.get(path)
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        assert [f for f in fingerprints if f in body] == [], path


def test_demo_area_from_disk(tmp_path_factory):
    """The built Helsinki demo, read from disk through AREA_PATH, serves every route;
    no incident id, time or position appears except where a public OSM feature
    (street vertex, place) sits on the same spot, as the synthetic incidents do."""
    from geogrid.io.workspace import read_area
    from geogrid.services.demo import build_demo

    folder = tmp_path_factory.mktemp("demo") / "helsinki-demo"
    build_demo(folder)
    client = create_app({"AREA_PATH": str(folder), "TESTING": True}).test_client()
    summary = client.get("/api/area").get_json()
    assert summary["synthetic_incidents"] is True
    assert summary["counts"]["incidents"] > 0
    for path in ["/api/boundary.geojson", "/api/streets.geojson"] + [
        layer["url"] for layer in summary["layers"]
    ]:
        assert client.get(path).status_code == 200, path
    area = read_area(folder)
    # incidents within ~3 m of a public OSM vertex share its digits by design: leave them out
    public = shapely.MultiPoint(
        np.vstack(
            [shapely.get_coordinates(area.edges.geometry.values)]
            + [shapely.get_coordinates(frame.geometry.values) for frame in area.layers.values()]
        )
    )
    apart = area.incidents[~shapely.dwithin(area.incidents.geometry.values, public, 3e-5)]
    assert len(apart) > len(area.incidents) / 4
    fingerprints = incident_fingerprints(dataclasses.replace(area, incidents=apart))
    fingerprints += [str(t)[:16] for t in area.incidents["time"].head(50)]
    fingerprints += list(area.incidents["id"])
    for path in ["/", "/?lang=en", "/api/area"]:
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.get_data(as_text=True)
        assert [f for f in fingerprints if f in body] == [], path


# ----------------------------------------------------------------------------- every route

#: One request per route of the app (the test below fails when a route is added without one).
ROUTE_SAMPLES = {
    "/": "/",
    "/healthz": "/healthz",
    "/api/openapi.json": "/api/openapi.json",
    "/api/area": "/api/area",
    "/api/places.geojson": "/api/places.geojson",
    "/api/released.json": "/api/released.json",
    "/api/aggregates/places": "/api/aggregates/places",
    "/api/aggregates/months": "/api/aggregates/months",
    "/api/aggregates/categories": "/api/aggregates/categories",
    "/api/aggregates/yoy": "/api/aggregates/yoy",
    "/api/layers/<name>.geojson": "/api/layers/police.geojson",
    "/api/boundary.geojson": "/api/boundary.geojson",
    "/api/streets.geojson": "/api/streets.geojson",
    "/api/search": "/api/search?q=%E6%B5%B7%E6%B7%80",
    "/api/notices.json": "/api/notices.json",
    "/static/<path:filename>": "/static/css/page.css",
}


def STAFF_ENDPOINTS(app) -> set[str]:  # noqa: N802 - reads like the constant it stands for
    """Endpoints of the staff blueprints (sign-in, planner, patrol, jobs): not public, not in
    OpenAPI."""
    staff = (
        "auth.",
        "planner.",
        "planner_api.",
        "patrol.",
        "patrol_api.",
        "patrol_tracks_api.",
        "jobs.",
    )
    return {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith(staff)}


def test_every_route_answers(app, client):
    """Every public URL rule of the app has a sample request here and answers 200.

    (Staff routes, which need a sign-in, are tried as every role in test_webmap_auth.py.)
    """
    rules = {
        rule.rule for rule in app.url_map.iter_rules() if rule.endpoint not in STAFF_ENDPOINTS(app)
    }
    assert rules == set(ROUTE_SAMPLES)
    for path in ROUTE_SAMPLES.values():
        assert client.get(path).status_code == 200, path


def test_openapi_document_is_valid_and_complete(app, client):
    """/api/openapi.json is a valid OpenAPI 3.1 document describing every /api route."""
    from openapi_spec_validator import validate

    document = client.get("/api/openapi.json").get_json()
    validate(document)
    assert document["servers"] == [{"url": "/api"}]
    api_rules = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule).removeprefix("/api")
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") and rule.endpoint not in STAFF_ENDPOINTS(app)
    }
    assert set(document["paths"]) == api_rules


@pytest.mark.parametrize(
    "path",
    [
        "/api/places.geojson",
        "/api/places.geojson?from=2025-06",
        "/api/layers/schools.geojson",
        "/api/boundary.geojson",
        "/api/streets.geojson",
    ],
)
def test_geojson_etag_and_304(client, path):
    """GeoJSON answers carry an ETag and Cache-Control; If-None-Match with it gives 304
    and no body; another filter gives another ETag."""
    first = client.get(path)
    etag = first.headers["ETag"]
    assert etag and "max-age" in first.headers["Cache-Control"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
    if "places" in path:
        other = client.get("/api/places.geojson?category=fraud").headers["ETag"]
        assert other != etag


def test_request_size_limits(client):
    """Oversized bodies get 413 and overlong URLs 414, with the JSON error body."""
    big = client.post("/api/area", data=b"x" * (64 * 1024 + 1))
    assert big.status_code == 413
    assert big.get_json()["error"]["code"] == "request_entity_too_large"
    long = client.get("/api/aggregates/months?category=" + "a" * 3000)
    assert long.status_code == 414
    assert set(long.get_json()["error"]) == {"code", "message"}


def test_places_geojson(client):
    """Public places: polygons with the sum of released cells, the rate from it and the
    'at least' flag only."""
    body = json.loads(client.get("/api/places.geojson").get_data(as_text=True))
    props = {f["properties"]["place"]: f["properties"] for f in body["features"]}
    assert set(props) == {"G1", "G2", "G3", "G4"}
    # G1's total (100) is hidden with G3's; 'at least' the sum of its released months
    assert props["G1"]["count"] == 74 and props["G1"]["rate_per_1000_households"] == 185.0
    assert props["G1"]["at_least"] and props["G2"] == {
        **props["G2"],
        "count": 60,
        "at_least": False,
    }
    assert props["G4"] == {
        "place": "G4",
        "kind": "grid",
        "name": "东南网格",
        "households": 120,
        "count": 0,
        "at_least": True,
        "rate_per_1000_households": 0.0,
    }
    assert {f["geometry"]["type"] for f in body["features"]} == {"Polygon"}


def test_aggregate_endpoints(client):
    """Per place, per month (area, place, category), per category and year over year."""
    places = client.get("/api/aggregates/places?from=2025-03&to=2025-12").get_json()
    assert places["kind"] == "grid" and len(places["places"]) == 4
    months = client.get("/api/aggregates/months").get_json()
    assert months["by"] is None and months["rows"][0]["month"] == "2025-03"
    assert sum(r["count"] for r in months["rows"]) <= 200
    assert any(not r["at_least"] for r in months["rows"])  # released month margins
    trend = client.get("/api/aggregates/months?place=G1&from=2025-06&to=2025-08").get_json()
    assert [r["month"] for r in trend["rows"]] == ["2025-06", "2025-07", "2025-08"]
    assert all(r["count"] >= 5 or r["count"] == 0 for r in trend["rows"])
    assert client.get("/api/aggregates/months?place=G9").status_code == 404
    assert client.get("/api/aggregates/months?by=street").status_code == 400
    cats = client.get("/api/aggregates/categories?category=theft,fraud").get_json()
    assert [r["category"] for r in cats["rows"]] == ["fraud", "theft"]
    yoy = client.get("/api/aggregates/yoy?from=2026-03&to=2026-04").get_json()["year_over_year"]
    assert yoy["previous_from"] == "2025-03" and yoy["comparable"] is True


@pytest.mark.parametrize(
    "query",
    [
        "from=2025-13",
        "from=May",
        "from=2026-01&to=2025-01",
        "category=domestic_violence",
        "category=nope",
    ],
)
def test_bad_filters_are_400(client, query):
    """Bad months, reversed ranges and unknown (or sensitive) categories are 400 on both
    sides: JSON error body under /api, friendly page on /."""
    api = client.get(f"/api/aggregates/places?{query}")
    assert api.status_code == 400
    assert api.get_json()["error"]["code"] == "bad_request"
    page = client.get(f"/?{query}")
    assert page.status_code == 400 and page.mimetype == "text/html"


def test_index_filters_and_year_over_year(client):
    """The page has month and category filters; a selection is kept in the form and
    changes the year-over-year sentence."""
    page = client.get("/").get_data(as_text=True)
    assert 'id="filters"' in page and 'name="from"' in page and 'name="category"' in page
    assert '<option value="2025-03">2025-03</option>' in page
    assert 'id="yoy"' in page and "同比" in page
    picked = client.get("/?from=2026-03&to=2026-04&category=theft").get_data(as_text=True)
    assert '<option value="2026-03" selected>' in picked
    assert '<option value="theft" selected>' in picked
    assert "2026-03 至 2026-04" in picked and "上年同期（2025-03 至 2025-04）" in picked
    english = client.get("/?lang=en&from=2026-03&to=2026-04").get_data(as_text=True)
    assert "year over year" in english


def test_basemaps_offered(area):
    """Tianditu is offered (and accepted) only with a key; Amap always, shifted to GCJ-02."""
    plain = create_app({"AREA": area, "TESTING": True}).test_client()
    assert plain.get("/?basemap=tianditu").status_code == 400
    assert 'value="tianditu"' not in plain.get("/").get_data(as_text=True)
    assert "autonavi.com" in plain.get("/?basemap=amap").get_data(as_text=True)
    keyed = create_app({"AREA": area, "TESTING": True, "TIANDITU_KEY": "abc"}).test_client()
    page = keyed.get("/?basemap=tianditu").get_data(as_text=True)
    assert "tianditu.gov.cn" in page and "tk=abc" in page
