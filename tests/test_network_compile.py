"""Tests for geogrid.network.compile: CSR per mode, components, contracted chains."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from geogrid.errors import InputError, NetworkError
from geogrid.network import (
    DEFAULT_SPEEDS_KMH,
    StreetNetwork,
    shortest_path,
    to_networkx,
    travel_time_matrix,
)
from tests.network_area import (
    METRIC,
    X0,
    Y0,
    grid_3x3,
    island_network,
    long_chains,
    make_frames,
    pts,
)


def test_csr_per_mode_shapes_and_speeds() -> None:
    """The network compiles one square CSR per mode over all nodes; default speeds are set."""
    net = grid_3x3()
    for mode in ("walk", "bike", "drive"):
        assert net.graphs[mode].lengths.shape == (9, 9)
        assert net.graphs[mode].lengths.nnz == 24  # 12 two-way streets
    assert DEFAULT_SPEEDS_KMH == {"walk": 4.5, "bike": 15.0, "drive": 30.0}
    assert net.node_ids.dtype == np.int64


def test_parallel_edges_take_minimum_not_sum() -> None:
    """Two segments between the same nodes give the shorter length (scipy would sum)."""
    nodes, edges = make_frames(
        {1: (0, 0), 2: (100, 0)},
        [
            {"u": 1, "v": 2, "length_m": 150.0},
            {"u": 1, "v": 2, "length_m": 100.0},
            {"u": 2, "v": 1, "length_m": 120.0},
        ],
    )
    net = StreetNetwork.from_frames(nodes, edges, METRIC)
    assert net.graphs["walk"].lengths[0, 1] == 100.0
    assert net.graphs["walk"].lengths[1, 0] == 100.0
    digraph = to_networkx(net, "walk")
    assert digraph[1][2]["length_m"] == 100.0
    m = travel_time_matrix(net, pts((0, 0)), pts((100, 0)))
    assert m.metres[0, 0] == pytest.approx(100.0)


def test_zero_length_segment_is_an_edge() -> None:
    """A zero-length segment (duplicate OSM nodes) still connects its ends."""
    nodes, edges = make_frames(
        {1: (0, 0), 2: (100, 0), 3: (100, 0)},
        [{"u": 1, "v": 2}, {"u": 2, "v": 3, "length_m": 0.0}],
    )
    net = StreetNetwork.from_frames(nodes, edges, METRIC)
    digraph = to_networkx(net, "walk")
    assert digraph[2][3]["length_m"] == 0.0
    assert nx.shortest_path_length(digraph, 1, 3, weight="length_m") == pytest.approx(100.0)


def test_largest_component_share() -> None:
    """The island's 2 of 5 walking nodes are outside the largest component: share 3/5."""
    net = island_network()
    assert net.largest_component_share("walk") == pytest.approx(3 / 5)
    assert grid_3x3().largest_component_share("drive") == 1.0
    with pytest.raises(InputError, match="unknown travel mode"):
        net.largest_component_share("boat")


def test_oneway_dead_ends_only_raise_a_clear_error() -> None:
    """A drive network of oneway dead ends has no part with a way back: share 0 and a
    NetworkError pointing at the oneway tags."""
    nodes, edges = make_frames(
        {1: (0, 0), 2: (100, 0), 3: (200, 0)},
        [{"u": 1, "v": 2, "oneway": True}, {"u": 2, "v": 3, "oneway": True}],
    )
    net = StreetNetwork.from_frames(nodes, edges, METRIC)
    assert net.largest_component_share("drive") == 0.0
    assert net.largest_component_share("walk") == 1.0
    with pytest.raises(NetworkError, match="oneway"):
        travel_time_matrix(net, pts((50, 0)), mode="drive")
    m = travel_time_matrix(
        net, pts((50, 0), (150, 0)), mode="drive", component="any", unreachable="inf"
    )
    assert m.metres[0, 1] == pytest.approx(100) and np.isinf(m.metres[1, 0])


def test_chains_are_contracted_and_routes_still_expand() -> None:
    """Nodes between junctions leave the core (walking, only junction 3 is left: the
    corners of the square have two neighbours; driving, the oneways keep corners 1 and 2);
    shortest_path still lists every node it passes."""
    nodes, edges = long_chains()
    net = StreetNetwork.from_frames(nodes, edges, METRIC)
    assert net.n_nodes == 4 + 4 * 7 + 6
    walk, drive = net.graphs["walk"].core, net.graphs["drive"].core
    assert net.node_ids[walk.core_nodes].tolist() == [3]
    assert walk.n_chains == 2  # the square and the loop, both closing at 3
    assert net.node_ids[drive.core_nodes].tolist() == [1, 2, 3]
    assert drive.n_chains == 4  # south and east oneways, west + north, the loop
    assert net.graphs["walk"].lengths.shape == (net.n_nodes, net.n_nodes)  # unchanged
    origin = pts((0, 10)).to_crs("EPSG:4326").iloc[0]
    destination = pts((390, 400)).to_crs("EPSG:4326").iloc[0]
    path = shortest_path(net, origin, destination, "drive")
    xy = {i: (round(p.x - X0), round(p.y - Y0)) for i, p in nodes.to_crs(METRIC).geometry.items()}
    assert [xy[i] for i in path] == [(0, y) for y in range(50, 401, 50)] + [
        (x, 400) for x in range(50, 351, 50)
    ]
