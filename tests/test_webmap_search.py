"""Tests for webmap.search through /api/search and /api/notices.json (Flask test client).

The area is the busy Haidian test area whose grids carry workers and phones; only G1
sets ``publish_contact`` true. A place with a Latin name is added to the "other" layer.
"""

from __future__ import annotations

import dataclasses
import json

import geopandas as gpd
import pytest
import shapely
from webmap_area import NORTH, SCHOOL_NAME, WEST, build_busy_area, build_tiny_area

from geogrid.layers.schemas import GridProperties
from geogrid.release import release_area
from webmap import create_app
from webmap.search import SearchEntry, build_search_index, normalise, search_index

#: grid -> (worker, phone, publish_contact): only G1 publishes
WORKERS = {
    "G1": ("王小明", "010-6275 1234", True),
    "G2": ("李秘密", "13900000002", False),
    "G3": ("赵隐藏", "13900000003", None),
    "G4": ("钱不公开", "13900000004", "true"),  # text, not a boolean: not published
}
UNPUBLISHED = [
    text for g, (name, phone, _) in WORKERS.items() if g != "G1" for text in (name, phone)
]
LATIN_PLACE = "Zhongguancun Library"


def _area():
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


@pytest.fixture(scope="module")
def area():
    return _area()


@pytest.fixture(scope="module")
def client(area):
    return create_app({"AREA": area, "TESTING": True}).test_client()


def _search(client, query: str) -> list[dict]:
    response = client.get("/api/search", query_string={"q": query})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"]


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("", "q: required"),
        ("?q=", "q: String should have at least 1 character"),
        ("?q=%20%20", "q: String should have at least 1 character"),
        ("?q=" + "x" * 51, "q: String should have at most 50 characters"),
        ("?q=a%00b", "q: plain text without control characters"),
        ("?q=a&limit=0", "limit: Input should be greater than or equal to 1"),
        ("?q=a&limit=21", "limit: Input should be less than or equal to 20"),
        ("?q=a&limit=two", "limit: a whole number from 1 to 20"),
        ("?q=a&limit=%EF%BC%93", "limit: a whole number"),  # a full-width digit is not one
        ("?q=a&q=b", "q: give it once"),
        ("?q=a&place=G1", "place: unknown parameter"),
    ],
)
def test_search_refuses_bad_parameters(client, query, fragment):
    """A wrong query is a 400 whose message names the parameter and what is wrong."""
    response = client.get("/api/search" + query)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert fragment in error["message"]
    assert fragment.split(":")[0] in [f["field"] for f in error["fields"]]


def test_search_finds_a_place_and_its_grid(client):
    """Part of the school's Chinese name finds it, with the grid it is in (G1)."""
    results = _search(client, "实验小")
    assert [r["name"] for r in results] == [SCHOOL_NAME]
    hit = results[0]
    assert hit["kind"] == "place" and hit["layer"] == "schools" and hit["place"] == "G1"
    assert set(hit) == {"name", "kind", "layer", "lon", "lat", "place"}


def test_search_latin_names_any_case_and_width(client):
    """Latin names match as substrings in any case, and full-width letters as ASCII."""
    for query in ("zhongguancun lib", "LIBRARY", "ｌｉｂｒａｒｙ", "  Zhongguancun   Library "):
        assert [r["name"] for r in _search(client, query)] == [LATIN_PLACE]


def test_search_streets_and_grids(client):
    """Street names and grid names / codes are found; each names the released place it is
    in; the whole-name match comes first."""
    streets = _search(client, "中关村")
    assert ("中关村大街", "street") in [(r["name"], r["kind"]) for r in streets]
    assert all(r["place"] in {"G1", "G2", "G3", "G4"} for r in streets)
    assert _search(client, "g3")[0] == {
        **_search(client, "g3")[0],
        "kind": "grid",
        "name": "西南网格",
        "place": "G3",
    }
    grids = _search(client, "网格")
    assert [r["kind"] for r in grids] == ["grid"] * 4


def test_search_limit_and_more(client):
    """``limit`` caps the answer and ``more`` says that more matched."""
    body = client.get("/api/search?q=网格&limit=2").get_json()
    assert len(body["results"]) == 2 and body["more"] is True
    body = client.get("/api/search?q=网格&limit=20").get_json()
    assert len(body["results"]) == 4 and body["more"] is False
    assert client.get("/api/search?q=nothing-like-this").get_json()["results"] == []


def test_search_index_orders_whole_then_prefix_then_substring():
    """Whole-name matches come before prefixes, prefixes before other substrings."""

    def entry(name: str) -> SearchEntry:
        return SearchEntry(name, "place", "other", 0.0, 0.0, None, (normalise(name),))

    index = [entry("大海淀南"), entry("海淀南路"), entry("海淀")]
    found, more = search_index(index, "海淀", 10)
    assert [e.name for e in found] == ["海淀", "海淀南路", "大海淀南"] and not more


def test_search_index_cell_area_names_cells():
    """In an area without grids, places and streets name the released cell they are in
    (or none), and there are no grid entries."""
    area = build_tiny_area(with_grids=False)
    table = release_area(area)
    index = build_search_index(area, table)
    assert index and not [e for e in index if e.kind == "grid"]
    assert {e.place for e in index} <= set(table.place_ids) | {None}


def test_notices_publish_contact_only_where_chosen(client):
    """A grid's notice has its code and name; the worker's name and phone only where
    publish_contact is true (not for false, missing, or the text "true")."""
    body = client.get("/api/notices.json").get_json()
    assert body["kind"] == "grid"
    notices = {n["place"]: n for n in body["grids"]}
    assert notices["G1"] == {
        "place": "G1",
        "code": "110108-G1",
        "name": "西北网格",
        "worker": "王小明",
        "worker_phone": "010-6275 1234",
    }
    for grid in ("G2", "G3", "G4"):
        assert set(notices[grid]) == {"place", "code", "name"}


PUBLIC_URLS = [
    "/",
    "/?lang=en",
    "/api/area",
    "/api/released.json",
    "/api/places.geojson",
    "/api/aggregates/places",
    "/api/aggregates/months?by=place",
    "/api/notices.json",
    "/api/search?q=网格&limit=20",
    "/api/search?q=G&limit=20",
    "/api/openapi.json",
    "/api/layers/schools.geojson",
    "/api/boundary.geojson",
    "/api/streets.geojson",
]


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_unpublished_contacts_appear_nowhere(client, url):
    """No public page or API answer holds the name or phone of a worker whose grid does
    not publish them; the published one is only in the notices."""
    response = client.get(url)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    if response.mimetype.endswith("json"):
        text += json.dumps(response.get_json(), ensure_ascii=False)
    for secret in UNPUBLISHED:
        assert secret not in text, f"{url} shows {secret}"
    if url != "/api/notices.json":
        assert "王小明" not in text and "6275" not in text


def test_no_contact_without_the_flag(area):
    """With publish_contact absent from the grids, no notice names a worker."""
    grids = area.grids.drop(columns=["publish_contact"])
    app = create_app({"AREA": dataclasses.replace(area, grids=grids), "TESTING": True})
    body = app.test_client().get("/api/notices.json").get_json()
    assert all(set(n) == {"place", "code", "name"} for n in body["grids"])


def test_notices_of_a_cell_area_are_empty():
    """An area without grids has no notices."""
    app = create_app({"AREA": build_tiny_area(with_grids=False), "TESTING": True})
    assert app.test_client().get("/api/notices.json").get_json() == {"kind": "cell", "grids": []}


def test_grid_schema_declares_contact_fields():
    """``worker_phone`` is text and ``publish_contact`` a strict boolean (absent = false)."""
    props = {
        "code": "G1",
        "worker": "王小明",
        "worker_phone": "010-6275 1234",
        "publish_contact": True,
    }
    assert GridProperties.model_validate(props).publish_contact is True
    assert GridProperties.model_validate({"code": "G1"}).publish_contact is None
    with pytest.raises(ValueError):
        GridProperties.model_validate({"code": "G1", "publish_contact": "yes"})
