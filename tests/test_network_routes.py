"""Tests for geogrid.network.routes: single routes along the streets."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from geogrid.network import StreetNetwork, route_geometry, shortest_path, travel_time_matrix
from tests.network_area import METRIC, X0, Y0, grid_3x3, oneway_network, pts, random_grid


def test_shortest_path_node_ids() -> None:
    """From a point on street 1-2 to one on street 13-23 the route passes 2 then 13,
    through 3 or 12; a drive route obeys a oneway and never passes its nodes backwards."""
    net = grid_3x3()
    origin = pts((80, 0)).to_crs("EPSG:4326").iloc[0]
    destination = pts((200, 140)).to_crs("EPSG:4326").iloc[0]
    assert shortest_path(net, origin, destination, "walk") in ([2, 3, 13], [2, 12, 13])
    square = oneway_network()
    b, a = pts((100, 0)).to_crs("EPSG:4326").iloc[0], pts((0, 0)).to_crs("EPSG:4326").iloc[0]
    assert shortest_path(square, b, a, "drive") == [2, 3, 4, 1]
    assert shortest_path(square, b, a, "walk") == [2, 1]


def test_route_geometry_follows_streets_and_matches_matrix() -> None:
    """The drawn route starts and ends at the points and is as long as the matrix says."""
    nodes, edges, net = random_grid(12, seed=11)
    # lengths equal to geometry so that drawn length and metres can agree
    edges = edges.copy()
    edges["length_m"] = edges.to_crs(METRIC).length
    net = StreetNetwork.from_frames(nodes, edges, METRIC)
    points = pts((130, -20), (870, 1040), (450, 555))
    m = travel_time_matrix(net, points, mode="drive")
    lonlat = points.to_crs("EPSG:4326")
    for i in range(3):
        for j in range(3):
            line = route_geometry(net, lonlat.iloc[i], lonlat.iloc[j], "drive")
            assert line.geom_type == "LineString"
            assert line.is_valid or i == j  # a point to itself: two equal vertices
            metric = gpd.GeoSeries([line], crs="EPSG:4326").to_crs(METRIC).iloc[0]
            assert metric.length == pytest.approx(m.metres[i, j], rel=1e-6, abs=1e-3)
            if i != j:
                start = shapely.Point(metric.coords[0])
                assert start.distance(points.iloc[i]) < 1e-3


def test_route_on_same_edge_stays_on_it() -> None:
    """Two points on one street: the route is just that piece plus the access legs."""
    net = grid_3x3()
    a, b = pts((20, 5)).to_crs("EPSG:4326").iloc[0], pts((70, -5)).to_crs("EPSG:4326").iloc[0]
    assert shortest_path(net, a, b) == []
    line = gpd.GeoSeries([route_geometry(net, a, b)], crs="EPSG:4326").to_crs(METRIC).iloc[0]
    assert line.length == pytest.approx(5 + 50 + 5)
    across = pts((50, 5)).to_crs("EPSG:4326").iloc[0], pts((50, -5)).to_crs("EPSG:4326").iloc[0]
    line = gpd.GeoSeries([route_geometry(net, *across)], crs="EPSG:4326").to_crs(METRIC).iloc[0]
    assert line.length == pytest.approx(10)
    assert line.coords[1] == pytest.approx((X0 + 50, Y0))  # via the street
