"""Tests for geogrid.network: compiling, snapping, travel times, routes."""

from __future__ import annotations

import math

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geogrid.errors import CRSError, InputError, NetworkError
from geogrid.network import (
    DEFAULT_SPEEDS_KMH,
    StreetNetwork,
    route_geometry,
    shortest_path,
    snap_points,
    to_networkx,
    travel_time_matrix,
)

METRIC = "EPSG:32650"  # UTM 50N (Beijing)
X0, Y0 = 440_000.0, 4_425_000.0


# ---------------------------------------------------------------- fixtures


def make_frames(
    node_xy: dict[int, tuple[float, float]],
    edges: list[dict],
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Network frames (EPSG:4326) from metric offsets (m) around (X0, Y0).

    Each edge dict needs u, v; optional length_m (default: straight length),
    walk/bike/drive (default True), oneway (sets both oneway flags).
    """
    ids = list(node_xy)
    nodes = gpd.GeoDataFrame(
        geometry=[shapely.Point(X0 + x, Y0 + y) for x, y in node_xy.values()],
        index=ids,
        crs=METRIC,
    )
    nodes.index.name = "node_id"
    rows = []
    for k, e in enumerate(edges):
        (ux, uy), (vx, vy) = node_xy[e["u"]], node_xy[e["v"]]
        line = shapely.LineString([(X0 + ux, Y0 + uy), (X0 + vx, Y0 + vy)])
        oneway = e.get("oneway", False)
        rows.append(
            {
                "u": e["u"],
                "v": e["v"],
                "way_id": 100 + k,
                "highway": "residential",
                "name": None,
                "length_m": e.get("length_m", line.length),
                "walk": e.get("walk", True),
                "bike": e.get("bike", True),
                "drive": e.get("drive", True),
                "oneway_bike": oneway,
                "oneway_drive": oneway,
                "geometry": line,
            }
        )
    edge_frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=METRIC)
    return nodes.to_crs("EPSG:4326"), edge_frame.to_crs("EPSG:4326")


def pts(*xy: tuple[float, float], index: list | None = None) -> gpd.GeoSeries:
    """Points given as metric offsets around (X0, Y0), as a GeoSeries in the metric CRS."""
    return gpd.GeoSeries([shapely.Point(X0 + x, Y0 + y) for x, y in xy], crs=METRIC, index=index)


def grid_3x3() -> StreetNetwork:
    """A 3x3 grid with 100 m blocks; node id = 10*row + col + 1."""
    node_xy = {10 * r + c + 1: (100.0 * c, 100.0 * r) for r in range(3) for c in range(3)}
    edges = []
    for r in range(3):
        for c in range(3):
            here = 10 * r + c + 1
            if c < 2:
                edges.append({"u": here, "v": here + 1})
            if r < 2:
                edges.append({"u": here, "v": here + 10})
    return StreetNetwork.from_frames(*make_frames(node_xy, edges), METRIC)


def random_grid(side: int, seed: int) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, StreetNetwork]:
    """A ``side x side`` grid with random lengths, some oneways and some parallel edges."""
    rng = np.random.default_rng(seed)
    node_xy = {
        1000 + i: (100.0 * (i % side) + rng.uniform(-10, 10), 100.0 * (i // side))
        for i in range(side * side)
    }
    edges = []
    for i in range(side * side):
        r, c = divmod(i, side)
        for j in ([i + 1] if c < side - 1 else []) + ([i + side] if r < side - 1 else []):
            u, v = (1000 + i, 1000 + j) if rng.random() < 0.5 else (1000 + j, 1000 + i)
            edges.append(
                {"u": u, "v": v, "length_m": rng.uniform(80, 160), "oneway": rng.random() < 0.15}
            )
            if rng.random() < 0.03:  # a parallel segment, sometimes shorter
                edges.append({"u": v, "v": u, "length_m": rng.uniform(60, 200)})
    nodes, edge_frame = make_frames(node_xy, edges)
    return nodes, edge_frame, StreetNetwork.from_frames(nodes, edge_frame, METRIC)


def reference_digraph(edges: gpd.GeoDataFrame, mode: str) -> nx.DiGraph:
    """A networkx DiGraph built straight from the frame (min over parallels), independent
    of the CSR compilation."""
    graph = nx.DiGraph()
    oneway_col = {"walk": None, "bike": "oneway_bike", "drive": "oneway_drive"}[mode]
    for row in edges.itertuples():
        if not getattr(row, mode):
            continue
        arcs = [(row.u, row.v)]
        if oneway_col is None or not getattr(row, oneway_col):
            arcs.append((row.v, row.u))
        for a, b in arcs:
            old = graph.get_edge_data(a, b, {"w": math.inf})["w"]
            graph.add_edge(a, b, w=min(old, row.length_m))
    return graph


# ---------------------------------------------------------------- building


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


def _frames_for_errors():
    return make_frames({1: (0, 0), 2: (100, 0), 3: (200, 0)}, [{"u": 1, "v": 2}, {"u": 2, "v": 3}])


def _drop_column(nodes, edges):
    return nodes, edges.drop(columns=["oneway_drive", "length_m"])


def _unknown_endpoint(nodes, edges):
    edges = edges.copy()
    edges.loc[1, "v"] = 99
    return nodes, edges


def _negative_length(nodes, edges):
    edges = edges.copy()
    edges.loc[0, "length_m"] = -5.0
    return nodes, edges


def _nan_length(nodes, edges):
    edges = edges.copy()
    edges.loc[1, "length_m"] = float("nan")
    return nodes, edges


def _point_geometry(nodes, edges):
    edges = edges.copy()
    edges.loc[1, "geometry"] = shapely.Point(116.3, 40.0)
    return nodes, edges


def _reversed_geometry(nodes, edges):
    edges = edges.copy()
    edges.loc[0, "geometry"] = edges.loc[0, "geometry"].reverse()
    return nodes, edges


def _no_crs(nodes, edges):
    return nodes, edges.set_crs(None, allow_override=True)


@pytest.mark.parametrize(
    ("breaker", "error", "fragments"),
    [
        (_drop_column, InputError, ["length_m", "oneway_drive", "ARCHITECTURE"]),
        (_unknown_endpoint, InputError, ["rows 1:", "endpoint v", "node id 99"]),
        (_negative_length, InputError, ["rows 0:", "length_m"]),
        (_nan_length, InputError, ["rows 1:", "length_m"]),
        (_point_geometry, InputError, ["rows 1:", "LineString"]),
        (_reversed_geometry, InputError, ["rows 0:", "from node u to node v", "100 m"]),
        (_no_crs, CRSError, ["network edges", "coordinate reference system"]),
    ],
)
def test_invalid_frames_raise_input_error_naming_rows(breaker, error, fragments) -> None:
    """Each broken frame gives an InputError (or CRSError) naming the rows and the fix."""
    nodes, edges = breaker(*_frames_for_errors())
    with pytest.raises(error) as info:
        StreetNetwork.from_frames(nodes, edges, METRIC)
    for fragment in fragments:
        assert fragment in str(info.value)


def test_all_problems_reported_at_once() -> None:
    """Several problems in the frames are collected into one error, one line each."""
    nodes, edges = _nan_length(*_unknown_endpoint(*_frames_for_errors()))
    edges.loc[0, "length_m"] = -1.0
    with pytest.raises(InputError) as info:
        StreetNetwork.from_frames(nodes, edges, METRIC)
    assert len(info.value.problems) == 2
    assert "rows 0, 1" in str(info.value)


def test_geographic_metric_crs_is_refused() -> None:
    """Passing lon/lat as the 'metric' CRS is refused with a hint."""
    with pytest.raises(CRSError, match="metric_crs_for"):
        StreetNetwork.from_frames(*_frames_for_errors(), "EPSG:4326")


# ---------------------------------------------------------------- snapping


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


def island_network() -> StreetNetwork:
    """A 200 m main street, and a 50 m island street 300 m north of it."""
    nodes, edges = make_frames(
        {1: (0, 0), 2: (100, 0), 3: (200, 0), 8: (0, 300), 9: (50, 300)},
        [{"u": 1, "v": 2}, {"u": 2, "v": 3}, {"u": 8, "v": 9}],
    )
    return StreetNetwork.from_frames(nodes, edges, METRIC)


def test_snaps_only_onto_largest_component() -> None:
    """A point next to an island street snaps to the main network instead."""
    net = island_network()
    snaps = snap_points(net, pts((20, 290)), "walk")
    assert snaps.distance_m[0] == pytest.approx(290.0)
    with pytest.raises(NetworkError, match="cut off"):
        snap_points(net, pts((20, 290)), "walk", max_snap_m=100)


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


def test_unreachable_pairs_raise_naming_them_or_give_inf() -> None:
    """With component='any' an island point cannot reach the main network: raise or inf."""
    net = island_network()
    points = pts((50, 0), (20, 300), index=["shop", "island"])
    with pytest.raises(NetworkError) as info:
        travel_time_matrix(net, points, component="any")
    assert ("shop", "island") in info.value.points
    assert ("island", "shop") in info.value.points
    assert "'shop' -> 'island'" in str(info.value)
    m = travel_time_matrix(net, points, component="any", unreachable="inf")
    assert np.isinf(m.seconds[0, 1]) and np.isinf(m.seconds[1, 0])
    assert m.metres[0, 0] == 0 and m.metres[1, 1] == 0


# ---------------------------------------------------------------- travel times


def test_grid_matrix_mid_edge_exact() -> None:
    """Mid-edge points: along-street distance plus access legs, exactly."""
    net = grid_3x3()
    # (50, -10): 10 m below the middle of street 1-2; (200, 130): 30 m up street 23-33
    m = travel_time_matrix(net, pts((50, -10)), pts((200, 130)))
    assert m.metres[0, 0] == pytest.approx(10 + 50 + 100 + 100 + 30)
    assert m.metres.shape == (1, 1)


def test_seconds_are_metres_over_speed() -> None:
    """seconds = metres / (speed_kmh / 3.6), with the default or a given speed."""
    net = grid_3x3()
    points = pts((0, 0), (200, 200), (50, 100))
    for mode in ("walk", "bike", "drive"):
        m = travel_time_matrix(net, points, mode=mode)
        np.testing.assert_allclose(m.seconds, m.metres / (DEFAULT_SPEEDS_KMH[mode] / 3.6))
    m = travel_time_matrix(net, points, speed_kmh=6.0)
    np.testing.assert_allclose(m.seconds, m.metres / (6.0 / 3.6))
    assert m.seconds[0, 1] == pytest.approx(400 / (6 / 3.6))
    with pytest.raises(InputError, match="speed_kmh"):
        travel_time_matrix(net, points, speed_kmh=0)


def test_same_point_to_itself_is_zero() -> None:
    """A point to itself is 0 even when it lies off the street."""
    net = grid_3x3()
    points = pts((30, 40), (170, 60))
    m = travel_time_matrix(net, points, points)
    assert m.metres[0, 0] == 0 and m.metres[1, 1] == 0
    assert m.metres[0, 1] > 0
    np.testing.assert_allclose(m.metres, m.metres.T)  # walking is two-way


def oneway_network() -> StreetNetwork:
    """A square 1-2-3-4 (100 m sides) where 1 -> 2 is one-way for bike and drive."""
    nodes, edges = make_frames(
        {1: (0, 0), 2: (100, 0), 3: (100, 100), 4: (0, 100)},
        [{"u": 1, "v": 2, "oneway": True}, {"u": 2, "v": 3}, {"u": 3, "v": 4}, {"u": 4, "v": 1}],
    )
    return StreetNetwork.from_frames(nodes, edges, METRIC)


def test_oneway_respected_for_drive_not_walk() -> None:
    """Against a oneway, cars go round the block; walkers do not; bikes obey it too."""
    net = oneway_network()
    a, b = pts((0, 0)), pts((100, 0))
    assert travel_time_matrix(net, b, a, mode="walk").metres[0, 0] == pytest.approx(100)
    assert travel_time_matrix(net, b, a, mode="drive").metres[0, 0] == pytest.approx(300)
    assert travel_time_matrix(net, b, a, mode="bike").metres[0, 0] == pytest.approx(300)
    assert travel_time_matrix(net, a, b, mode="drive").metres[0, 0] == pytest.approx(100)


def test_several_points_on_a_oneway_edge_are_chained_in_order() -> None:
    """Two points on one oneway edge: forward is direct, backward goes round the block."""
    net = oneway_network()
    m = travel_time_matrix(net, pts((20, 0), (70, 0)), mode="drive")
    assert m.metres[0, 1] == pytest.approx(50)
    assert m.metres[1, 0] == pytest.approx(30 + 300 + 20)
    w = travel_time_matrix(net, pts((20, 0), (70, 0)), mode="walk")
    assert w.metres[1, 0] == pytest.approx(50)


def test_point_at_node_end_of_oneway_reaches_back() -> None:
    """A point exactly at the end node of a oneway is that node, reachable from it."""
    net = oneway_network()
    m = travel_time_matrix(net, pts((100, 0)), pts((100, 100)), mode="drive")
    assert m.metres[0, 0] == pytest.approx(100)
    back = travel_time_matrix(net, pts((100, 100)), pts((100, 0)), mode="drive")
    assert back.metres[0, 0] == pytest.approx(100)


def _reference_metres(ref, net, edges, mode, o_snaps, d_snaps, i, j) -> float:
    """Independent answer: via the ends of each snapped edge, or along a shared edge."""
    oneway_col = {"walk": None, "bike": "oneway_bike", "drive": "oneway_drive"}[mode]

    def ends(snaps, k, leaving):
        e = snaps.edge[k]
        row = edges.iloc[e]
        length, f = row.length_m, snaps.fraction[k]
        twoway = oneway_col is None or not row[oneway_col]
        if leaving:  # from the point to the edge's nodes
            out = [(row.v, (1 - f) * length)]
            if twoway:
                out.append((row.u, f * length))
        else:  # from the edge's nodes to the point
            out = [(row.u, f * length)]
            if twoway:
                out.append((row.v, (1 - f) * length))
        return out, twoway

    best = math.inf
    leave, twoway = ends(o_snaps, i, True)
    arrive, _ = ends(d_snaps, j, False)
    for a, da in leave:
        lengths = nx.single_source_dijkstra_path_length(ref, a, weight="w")
        for b, db in arrive:
            if b in lengths:
                best = min(best, da + lengths[b] + db)
    if o_snaps.edge[i] == d_snaps.edge[j]:
        e = o_snaps.edge[i]
        diff = (d_snaps.fraction[j] - o_snaps.fraction[i]) * edges.iloc[e].length_m
        if diff >= 0 or twoway:
            best = min(best, abs(diff))
    return best + o_snaps.distance_m[i] + d_snaps.distance_m[j]


@pytest.mark.parametrize("mode", ["walk", "drive"])
def test_matrix_matches_networkx_on_random_grid(mode: str) -> None:
    """On a 50x50 grid with random lengths, oneways and parallels, mid-edge points get
    the same metres as networkx Dijkstra from the ends of their edges."""
    nodes, edges, net = random_grid(50, seed=3)
    rng = np.random.default_rng(7)
    points = pts(*zip(rng.uniform(0, 4900, 25), rng.uniform(0, 4900, 25), strict=True))
    # two points on one edge, to exercise chaining
    points = gpd.GeoSeries(
        list(points) + [shapely.Point(X0 + 10, Y0 + 1), shapely.Point(X0 + 60, Y0 - 1)],
        crs=METRIC,
    )
    m = travel_time_matrix(net, points, mode=mode, workers=1)
    ref = reference_digraph(edges, mode)
    sample = rng.choice(len(points), size=(40, 2))
    sample = np.vstack([sample, [[25, 26], [26, 25]]])
    for i, j in sample:
        if i == j:
            continue
        expected = _reference_metres(ref, net, edges, mode, m.origins, m.destinations, i, j)
        assert m.metres[i, j] == pytest.approx(expected, rel=1e-9), (i, j)


def test_parallel_workers_give_the_same_matrix() -> None:
    """Forked workers return exactly what a single process computes."""
    _, _, net = random_grid(30, seed=5)
    rng = np.random.default_rng(2)
    points = pts(*zip(rng.uniform(0, 2900, 40), rng.uniform(0, 2900, 40), strict=True))
    one = travel_time_matrix(net, points, mode="drive", workers=1)
    two = travel_time_matrix(net, points, mode="drive", workers=2)
    np.testing.assert_array_equal(one.metres, two.metres)


# ---------------------------------------------------------------- routes


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


# ---------------------------------------------------------------- properties


@st.composite
def small_graphs(draw):
    n = draw(st.integers(min_value=2, max_value=7))
    pairs = [(a, b) for a in range(n) for b in range(n) if a != b]
    chosen = draw(st.lists(st.sampled_from(pairs), min_size=1, max_size=14))
    edges = [
        {
            "u": a + 1,
            "v": b + 1,
            "length_m": draw(st.floats(min_value=0.0, max_value=500.0)),
            "oneway": draw(st.booleans()),
        }
        for a, b in chosen
    ]
    return n, edges


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_graphs())
def test_property_matrix_matches_networkx_and_triangle_inequality(graph) -> None:
    """On small random directed graphs, node-to-node drive metres equal networkx's and
    satisfy d(i, k) <= d(i, j) + d(j, k)."""
    n, edges = graph
    # nodes on a circle so that no straight segment passes through another node
    node_xy = {
        i + 1: (1000 * math.cos(2 * math.pi * i / n), 1000 * math.sin(2 * math.pi * i / n))
        for i in range(n)
    }
    nodes, edge_frame = make_frames(node_xy, edges)
    net = StreetNetwork.from_frames(nodes, edge_frame, METRIC)
    used = sorted({e["u"] for e in edges} | {e["v"] for e in edges})
    points = pts(*(node_xy[i] for i in used), index=used)
    m = travel_time_matrix(net, points, mode="drive", component="any", unreachable="inf")
    ref = reference_digraph(edge_frame, "drive")
    for a, i in enumerate(used):
        lengths = nx.single_source_dijkstra_path_length(ref, i, weight="w")
        for b, j in enumerate(used):
            expected = 0.0 if i == j else lengths.get(j, math.inf)
            assert m.metres[a, b] == pytest.approx(expected, abs=1e-6)
    d = m.metres
    assert np.all(d[:, None, :] <= d[:, :, None] + d[None, :, :] + 1e-6)


# ---------------------------------------------------------------- contracted chains


def _split_reference(edges: gpd.GeoDataFrame, mode: str, snaps, i: int, j: int, ref) -> float:
    """Independent street metres from snapped point i to snapped point j (no access legs):
    via the ends of their segments on the uncontracted reference graph, or directly along
    a shared segment. A point at fraction 0 or 1 is the street node itself."""
    oneway_col = {"walk": None, "bike": "oneway_bike", "drive": "oneway_drive"}[mode]

    def ends(k: int, leaving: bool) -> list[tuple[int, float]]:
        row = edges.iloc[snaps.edge[k]]
        f, length = snaps.fraction[k], row.length_m
        if f <= 0.0:
            return [(row.u, 0.0)]
        if f >= 1.0:
            return [(row.v, 0.0)]
        twoway = oneway_col is None or not row[oneway_col]
        if leaving:
            return [(row.v, (1 - f) * length)] + ([(row.u, f * length)] if twoway else [])
        return [(row.u, f * length)] + ([(row.v, (1 - f) * length)] if twoway else [])

    best = math.inf
    for a, da in ends(i, True):
        lengths = (
            nx.single_source_dijkstra_path_length(ref, a, weight="w") if a in ref else {a: 0.0}
        )
        for b, db in ends(j, False):
            if b in lengths:
                best = min(best, da + lengths[b] + db)
    if snaps.edge[i] == snaps.edge[j]:
        row = edges.iloc[snaps.edge[i]]
        forward = snaps.fraction[j] >= snaps.fraction[i]
        if forward or oneway_col is None or not row[oneway_col]:
            best = min(best, abs(snaps.fraction[j] - snaps.fraction[i]) * row.length_m)
    return best


def assert_matrix_matches_reference(nodes, edges, points, mode: str) -> StreetNetwork:
    """travel_time_matrix on the contracted core equals the uncontracted networkx answer
    for every pair of points."""
    net = StreetNetwork.from_frames(nodes, edges, METRIC)
    m = travel_time_matrix(
        net, points, mode=mode, max_snap_m=5000, component="any", unreachable="inf", workers=1
    )
    ref = reference_digraph(edges, mode)
    snaps = m.origins
    xy = shapely.get_coordinates(snaps.source)
    for i in range(len(points)):
        for j in range(len(points)):
            if (xy[i] == xy[j]).all():
                assert m.metres[i, j] == 0.0
                continue
            street = _split_reference(edges, mode, snaps, i, j, ref)
            expected = street + snaps.distance_m[i] + snaps.distance_m[j]
            assert m.metres[i, j] == pytest.approx(expected, rel=1e-9, abs=1e-6), (mode, i, j)
    return net


def long_chains() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """A square of junctions 1..4 (400 m sides) whose sides are drawn with a node every
    50 m, as OSM draws streets; the south side is a oneway drawn east, the east side a
    oneway drawn south (so its chain runs against the drawing order of the way's nodes),
    the west side has a shorter parallel segment in its middle, and a 6-node loop hangs
    off junction 3."""
    node_xy = {1: (0, 0), 2: (400, 0), 3: (400, 400), 4: (0, 400)}
    edges: list[dict] = []
    next_id = 100

    def street(a: int, b: int, oneway: bool = False) -> None:
        nonlocal next_id
        (ax, ay), (bx, by) = node_xy[a], node_xy[b]
        chain = [a]
        for s in range(1, 8):
            node_xy[next_id] = (ax + (bx - ax) * s / 8, ay + (by - ay) * s / 8)
            chain.append(next_id)
            next_id += 1
        chain.append(b)
        for u, v in zip(chain[:-1], chain[1:], strict=True):
            edges.append({"u": u, "v": v, "oneway": oneway})

    street(1, 2, oneway=True)
    street(3, 2, oneway=True)
    street(3, 4)
    street(4, 1)
    edges.append({"u": 121, "v": 122, "length_m": 30.0})  # parallel, shorter than 50 m
    loop = [3] + list(range(200, 206)) + [3]
    for k, node in enumerate(loop[1:-1]):
        node_xy[node] = (400 + 60 * math.cos(k), 460 + 60 * math.sin(k))
    for u, v in zip(loop[:-1], loop[1:], strict=True):
        edges.append({"u": u, "v": v})
    return make_frames(node_xy, edges)


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


@pytest.mark.parametrize("mode", ["walk", "drive"])
def test_contracted_matrix_matches_networkx_on_chains(mode: str) -> None:
    """Points on chain nodes, mid-segment on chains (several on one chain and on one
    segment), on the oneway chains, on the parallel segment and on the loop get the
    same metres as networkx on the full graph, in both directions."""
    nodes, edges = long_chains()
    points = pts(
        (0, 0), (75, 3), (100, 0), (310, -4), (320, 0), (404, 120), (400, 250), (250, 400),
        (-6, 180), (0, 200), (0, 225), (2, 240), (463, 405), (420, 510), (20, 20),
    )  # fmt: skip
    assert_matrix_matches_reference(nodes, edges, points, mode)


def test_cycle_without_junction_and_oneway_ring() -> None:
    """A ring of degree-2 nodes with no junction (two-way, then oneway) is contracted
    around one of its nodes and still gives exact metres between points on it."""
    n = 9
    node_xy = {i + 1: (300 * math.cos(2 * math.pi * i / n), 300 * math.sin(2 * math.pi * i / n))
               for i in range(n)}  # fmt: skip
    ring = [{"u": i + 1, "v": (i + 1) % n + 1} for i in range(n)]
    rng = np.random.default_rng(4)
    points = pts(*(node_xy[i] for i in (2, 5, 7)), *rng.uniform(-300, 300, (5, 2)))
    for oneway in (False, True):
        nodes, edges = make_frames(node_xy, [{**e, "oneway": oneway} for e in ring])
        for mode in ("walk", "drive"):
            net = assert_matrix_matches_reference(nodes, edges, points, mode)
            assert net.graphs[mode].core.n_core == 1


@st.composite
def street_ways(draw):
    """Random OSM-like ways: node sequences with per-segment lengths, some oneway, so
    that most nodes have two neighbours; sometimes reverse duplicates and self loops."""
    n = draw(st.integers(min_value=3, max_value=14))
    ways = draw(
        st.lists(
            st.tuples(
                st.lists(st.integers(0, n - 1), min_size=2, max_size=8, unique=True),
                st.booleans(),
                st.booleans(),
            ),
            min_size=1,
            max_size=5,
        )
    )
    edges = []
    for seq, oneway, closed in ways:
        if closed and len(seq) >= 3:
            seq = [*seq, seq[0]]
        for a, b in zip(seq[:-1], seq[1:], strict=True):
            length = draw(st.floats(min_value=0.0, max_value=400.0))
            edges.append({"u": a + 1, "v": b + 1, "length_m": length, "oneway": oneway})
    return n, edges


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(street_ways(), st.lists(st.tuples(st.floats(-1.1, 1.1), st.floats(-1.1, 1.1)),
                               min_size=1, max_size=6))  # fmt: skip
def test_property_contracted_matrix_matches_networkx(graph, extra) -> None:
    """On random chain-rich graphs (oneway ways, closed ways, shared nodes), node points
    and arbitrary points give the networkx metres of the uncontracted graph."""
    n, edges = graph
    node_xy = {
        i + 1: (1000 * math.cos(2 * math.pi * i / n), 1000 * math.sin(2 * math.pi * i / n))
        for i in range(n)
    }
    nodes, edge_frame = make_frames(node_xy, edges)
    used = sorted({e["u"] for e in edges} | {e["v"] for e in edges})
    xy = [node_xy[i] for i in used] + [(1000 * x, 1000 * y) for x, y in extra]
    for mode in ("walk", "drive"):
        assert_matrix_matches_reference(nodes, edge_frame, pts(*xy), mode)
