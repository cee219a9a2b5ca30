"""geogrid.grids.graph: units sharing a side are neighbours, corners are not."""

from __future__ import annotations

import pytest

from geogrid import grids as G
from tests.grids_area import UTM_50N, units_frame


def test_units_sharing_a_side_are_neighbours_corners_are_not() -> None:
    """Squares side by side share their 100 m side; a square touching only a corner has none."""
    units = units_frame([(0, 0, 10), (1, 0, 10), (2, 1, 10)])
    graph = G.unit_graph(units, UTM_50N)
    assert list(graph.neighbours(0)) == [1] and list(graph.neighbours(1)) == [0]
    assert graph.shared(0) == pytest.approx([100.0], abs=0.5)
    assert len(graph.neighbours(2)) == 0
    assert graph.area_m2 == pytest.approx([10_000.0] * 3, rel=1e-3)
