"""Tests for geogrid.io.osm_online: osmnx graphs become the same extract as a file read.

No network: osmnx reads the hand-made OSM file with its own XML reader, which
yields the same graph and features structure its Overpass download does.
"""

from __future__ import annotations

from pathlib import Path

import osmnx as ox
import pytest
import shapely

from geogrid.errors import InputError, NetworkError
from geogrid.io import osm_online
from geogrid.io.osm import read_osm
from geogrid.io.osm_online import FEATURE_TAGS, extract_from_osmnx, mode_tags_kept

MINI = Path(__file__).parent / "data" / "osm_area" / "mini_haidian.osm"
EVERYWHERE = shapely.box(116.0, 39.5, 117.0, 40.5)


@pytest.fixture(scope="module")
def from_osmnx():
    with mode_tags_kept():
        graph = ox.graph_from_xml(MINI, bidirectional=False, simplify=False, retain_all=True)
    features = ox.features_from_xml(MINI, tags=FEATURE_TAGS)
    return extract_from_osmnx(graph, features, EVERYWHERE)


def test_streets_match_the_file_reader(from_osmnx):
    """Same segments, same mode flags and one-way flags as read_osm on the same file."""
    ours = read_osm(MINI)
    key = ["u", "v"]
    a = from_osmnx.edges.sort_values(key).reset_index(drop=True)
    b = ours.edges.sort_values(key).reset_index(drop=True)
    assert len(a) == len(b) > 0
    for col in ("u", "v", "way_id", "walk", "bike", "drive", "oneway_drive", "oneway_bike"):
        assert (a[col].to_numpy() == b[col].to_numpy()).all(), col
    assert abs(a["length_m"] - b["length_m"]).max() < 0.5
    assert a["oneway_drive"].any()
    assert set(from_osmnx.nodes.index) == set(ours.nodes.index)


def test_features_become_places_and_buildings(from_osmnx):
    """Key locations get the same kinds and Chinese names; buildings keep their tags."""
    kinds = dict(zip(from_osmnx.places["name"], from_osmnx.places["kind"], strict=True))
    assert kinds["海淀实验小学"] == "school"
    assert kinds["学院路派出所"] == "police"
    assert kinds["五道口农贸市场"] == "marketplace"
    assert len(from_osmnx.buildings) == 5
    assert 48 in set(from_osmnx.buildings["flats"].dropna())


def test_clip_to_boundary():
    """Only streets touching the boundary and places inside it are kept."""
    with mode_tags_kept():
        graph = ox.graph_from_xml(MINI, bidirectional=False, simplify=False, retain_all=True)
    features = ox.features_from_xml(MINI, tags=FEATURE_TAGS)
    small = shapely.box(116.3458, 39.9988, 116.3475, 40.0000)
    extract = extract_from_osmnx(graph, features, small)
    full = extract_from_osmnx(graph, features, EVERYWHERE)
    assert 0 < len(extract.edges) < len(full.edges)
    assert set(extract.places["name"]) <= {"海淀实验小学"}


def test_simplified_graph_is_refused():
    """A simplified graph lost its per-segment structure; it is refused with a reason."""
    graph = ox.graph_from_xml(MINI, simplify=True, retain_all=True)
    with pytest.raises(InputError, match="unsimplified"):
        extract_from_osmnx(graph, None, EVERYWHERE)


def test_download_failure_says_to_use_a_file(monkeypatch):
    """Without internet the error says to export an OSM file and build from it."""

    def offline(query, *args, **kwargs):
        raise ConnectionError("Name or service not known")

    monkeypatch.setattr(ox, "geocode_to_gdf", offline)
    with pytest.raises(NetworkError, match="geogrid area build FILE"):
        osm_online.download_place("海淀区, 北京市")
