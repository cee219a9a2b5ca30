"""Tests for geogrid.network.matrix: travel times along the streets, exact."""

from __future__ import annotations

import math
from itertools import pairwise

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geogrid.errors import InputError, NetworkError
from geogrid.network import DEFAULT_SPEEDS_KMH, StreetNetwork, travel_time_matrix
from geogrid.network import matrix as matrix_module
from tests.network_area import (
    METRIC,
    X0,
    Y0,
    grid_3x3,
    island_network,
    long_chains,
    make_frames,
    oneway_network,
    pts,
    random_grid,
    reference_digraph,
)


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


def test_grid_matrix_mid_edge_exact() -> None:
    """Mid-edge points: along-street distance plus access legs, exactly."""
    net = grid_3x3()
    # (50, -10): 10 m below the middle of street 1-2; (200, 130): 30 m up street 23-33
    m = travel_time_matrix(net, pts((50, -10)), pts((200, 130)))
    assert m.metres[0, 0] == pytest.approx(10 + 50 + 100 + 100 + 30)
    assert m.metres.shape == (1, 1)


def test_seconds_are_metres_over_speed() -> None:
    """Seconds = metres / (speed_kmh / 3.6), with the default or a given speed."""
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
    _nodes, edges, net = random_grid(50, seed=3)
    rng = np.random.default_rng(7)
    points = pts(*zip(rng.uniform(0, 4900, 25), rng.uniform(0, 4900, 25), strict=True))
    # two points on one edge, to exercise chaining
    points = gpd.GeoSeries(
        [*points, shapely.Point(X0 + 10, Y0 + 1), shapely.Point(X0 + 60, Y0 - 1)],
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


def test_default_never_starts_a_process_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without ``workers`` the searches run in the calling process even when the job is
    big enough to split (web job threads must never fork): no pool is constructed."""

    def no_pool(*args: object, **kwargs: object) -> None:
        raise AssertionError("travel_time_matrix started a process pool by default")

    monkeypatch.setattr(matrix_module, "_PARALLEL_MIN_WORK", 0)
    monkeypatch.setattr(matrix_module, "ProcessPoolExecutor", no_pool)
    _, _, net = random_grid(30, seed=5)
    rng = np.random.default_rng(2)
    points = pts(*zip(rng.uniform(0, 2900, 40), rng.uniform(0, 2900, 40), strict=True))
    m = travel_time_matrix(net, points, mode="drive")
    assert m.metres.shape == (40, 40) and np.isfinite(m.metres).all()


def test_parallel_workers_give_the_same_matrix(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two worker processes (forced onto this small job) return exactly what a single
    process computes, and they are started by a forkserver or spawn, never by fork."""
    real_pool = matrix_module.ProcessPoolExecutor
    started: list[str] = []

    def counting_pool(*args, **kwargs):
        started.append(kwargs["mp_context"].get_start_method())
        return real_pool(*args, **kwargs)

    monkeypatch.setattr(matrix_module, "_PARALLEL_MIN_WORK", 0)
    monkeypatch.setattr(matrix_module, "ProcessPoolExecutor", counting_pool)
    _, _, net = random_grid(30, seed=5)
    rng = np.random.default_rng(2)
    points = pts(*zip(rng.uniform(0, 2900, 40), rng.uniform(0, 2900, 40), strict=True))
    one = travel_time_matrix(net, points, mode="drive", workers=1)
    assert started == []
    two = travel_time_matrix(net, points, mode="drive", workers=2)
    np.testing.assert_array_equal(one.metres, two.metres)
    assert started and all(method in ("forkserver", "spawn") for method in started)


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
        for a, b in pairwise(seq):
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
