"""OR-Tools routing on plain numbers: windows, service, prizes, gaps; one frozen arrays object."""

from __future__ import annotations

import numpy as np
import pytest

from geogrid.planning.solvers.routing import RoutingArrays, solve_routing


def line_matrix(n: int) -> np.ndarray:
    pos = np.arange(n) * 100
    return np.abs(pos[:, None] - pos[None, :])[None]


def test_routing_respects_windows_and_service() -> None:
    """Service starts fall inside the windows and include travel + dwell before them."""
    travel = line_matrix(4)  # nodes 0..2 stops, 3 depot
    res = solve_routing(
        RoutingArrays.from_lists(
            travel,
            [0],
            [3],
            [3],
            [(0, 10_000)],
            [50, 50, 50, 0],
            [(1000, 1200), None, (0, 500), None],
            [None, None, None, None],
        ),
        time_limit_s=1,
        solution_limit=50,
    )
    assert res.found and sorted(res.routes[0]) == [0, 1, 2]
    starts = dict(zip(res.routes[0], res.service_start[0], strict=True))
    assert 1000 <= starts[0] <= 1200 and starts[2] <= 500


def test_routing_skips_optional_when_time_is_short() -> None:
    """With a short shift only the most valuable optional node is served."""
    travel = line_matrix(3)  # stops 0, 1; depot 2
    res = solve_routing(
        RoutingArrays.from_lists(
            travel, [0], [2], [2], [(0, 250)], [0, 0, 0], [None, None, None], [1, 1000, None]
        ),
        time_limit_s=1,
        solution_limit=50,
    )
    assert res.found and res.routes[0] == (1,)


def test_routing_reports_impossible_required_node() -> None:
    """A required node outside every shift gives found=False, not an exception."""
    travel = line_matrix(2)
    res = solve_routing(
        RoutingArrays.from_lists(
            travel, [0], [1], [1], [(0, 50)], [0, 0], [None, None], [None, None]
        ),
        time_limit_s=1,
    )
    assert not res.found


def test_min_gap_between_visits() -> None:
    """A (a, b, gap) pair puts b at least gap after a."""
    travel = np.zeros((1, 3, 3), dtype=int)
    res = solve_routing(
        RoutingArrays.from_lists(
            travel,
            [0],
            [2],
            [2],
            [(0, 5000)],
            [10, 10, 0],
            [None, None, None],
            [5, 5, None],
            min_gaps=[(0, 1, 1000)],
        ),
        time_limit_s=1,
        solution_limit=50,
    )
    starts = dict(zip(res.routes[0], res.service_start[0], strict=True))
    assert starts[1] - starts[0] >= 1000


def test_routing_arrays_are_frozen() -> None:
    """RoutingArrays holds read-only arrays and tuples: a search cannot change its instance."""
    arrays = RoutingArrays.from_lists(
        line_matrix(3), [0], [2], [2], [(0, 250)], [5, 5, 0], [None, None, None], [1, 2, None]
    )
    assert arrays.n_nodes == 3 and arrays.n_vehicles == 1 and list(arrays.prizes) == [0, 0, 0]
    with pytest.raises(ValueError):
        arrays.service[0] = 0
    with pytest.raises(AttributeError):
        arrays.starts = (0,)  # type: ignore[misc]
