"""geogrid.grids.rebalance_state: running totals of grids follow every move and roll back
exactly."""

from __future__ import annotations

import numpy as np
import pytest

from geogrid.grids.rebalance_state import band_violation, median_pp, moved_so_far
from tests.rebalance_row import row_state


def test_a_move_updates_totals_and_compactness_and_rolls_back() -> None:
    """Households, area and perimeter follow a move; pp_after predicts it; rollback restores every
    number."""
    state, _rules, _ = row_state([200, 200, 200, 200], [0, 0, 0, 1])
    before = (state.h.copy(), state.area.copy(), state.per.copy())
    predicted = (state.pp_after(0, out=[2]), state.pp_after(1, into=[2]))
    mark = len(state.log)
    state.move(2, 1)
    assert state.h.tolist() == [400.0, 400.0] and state.members == [{0, 1}, {2, 3}]
    assert (state.pp(0), state.pp(1)) == pytest.approx(predicted)
    assert state.per[1] == pytest.approx(600.0)  # two squares side by side: 2 x 300 m
    assert moved_so_far(state, np.array([0, 0, 0, 1])) == (200.0, 1)
    state.rollback(mark)
    assert state.labels.tolist() == [0, 0, 0, 1] and not state.log
    for now, then in zip((state.h, state.area, state.per), before, strict=True):
        assert now == pytest.approx(then)


def test_violation_median_and_connectivity() -> None:
    """A grid over the max violates by its excess; the median counts open grids; a cut grid is not
    connected."""
    state, rules, _ = row_state([300, 300, 200, 100], [0, 0, 1, 1])
    assert band_violation(state, rules, 0) == 100 and band_violation(state, rules, 1) == 0
    assert band_violation(state, rules, 1, dh=-50) == 50
    assert median_pp(state, rules) == pytest.approx(np.median([state.pp(0), state.pp(1)]))
    assert state.connected({0, 1}) and not state.connected({0, 2}) and not state.connected(set())
    g = state.add_grid()
    assert g == 2 and state.h[g] == 0 and state.members[g] == set()
