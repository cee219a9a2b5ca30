"""Tests for geogrid.network.snap: points onto the streets a mode may use."""

from __future__ import annotations

import pytest

from geogrid.errors import NetworkError
from geogrid.network import snap_points
from tests.network_area import X0, grid_3x3, island_network, pts


def test_snap_mid_edge_fraction_and_distance() -> None:
    """A point 30 m beside the middle of a block snaps to it at fraction 0.5, 30 m off."""
    net = grid_3x3()
    snaps = snap_points(net, pts((50, -30)), "walk")
    edge = snaps.edge[0]
    assert {net.node_ids[net.edge_u[edge]], net.node_ids[net.edge_v[edge]]} == {1, 2}
    assert snaps.fraction[0] == pytest.approx(0.5)
    assert snaps.distance_m[0] == pytest.approx(30.0)
    assert snaps.point[0].x == pytest.approx(X0 + 50)


def test_snap_accepts_bare_lonlat_points() -> None:
    """Bare shapely Points are read as lon/lat and named by position."""
    net = grid_3x3()
    lonlat = pts((50, 0)).to_crs("EPSG:4326")
    snaps = snap_points(net, list(lonlat), "walk")
    assert snaps.ids == (0,)
    assert snaps.distance_m[0] == pytest.approx(0.0, abs=1e-6)


def test_far_point_raises_with_its_id_and_distance() -> None:
    """A point 800 m from any street raises NetworkError naming it and the distance."""
    net = grid_3x3()
    with pytest.raises(NetworkError) as info:
        snap_points(net, pts((50, 0), (100, -800), index=["school", "far-away"]), "walk")
    assert info.value.points == ["far-away"]
    assert "'far-away': 800 m" in str(info.value)
    assert "max_snap_m" in str(info.value)


def test_snaps_only_onto_largest_component() -> None:
    """A point next to an island street snaps to the main network instead."""
    net = island_network()
    snaps = snap_points(net, pts((20, 290)), "walk")
    assert snaps.distance_m[0] == pytest.approx(290.0)
    with pytest.raises(NetworkError, match="cut off"):
        snap_points(net, pts((20, 290)), "walk", max_snap_m=100)


def test_check_near_streets_names_the_layer_ids_and_names() -> None:
    """A layer with a point beyond max_snap_m is refused naming the layer, the point's id, name and
    own layer, and the command-line option; a larger max_snap_m lets it in."""
    import geopandas as gpd

    from geogrid.network import check_near_streets

    net = grid_3x3()
    points = gpd.GeoDataFrame(
        {"id": ["node/1", "node/2"], "name": ["实验小学", None], "layer": ["schools", "schools"]},
        geometry=pts((50, 0), (100, -800)).to_numpy(),
        crs=pts((0, 0)).crs,
    )
    with pytest.raises(NetworkError) as info:
        check_near_streets(net, points, "key locations", "walk", 500.0)
    text = str(info.value)
    assert text.startswith("layer 'key locations': 1 point(s) are more than 500 m")
    assert "'node/2 (schools)': 800 m" in text and "--max-snap-m" in text
    assert info.value.points == ["node/2 (schools)"]
    check_near_streets(net, points, "key locations", "walk", 900.0)
    check_near_streets(net, points.iloc[:0], "key locations")  # nothing to check
