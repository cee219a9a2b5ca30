"""geogrid.grids.rebalance_moves: chains applied or rolled back; grids fixed, split and
dissolved."""

from __future__ import annotations

import math

import numpy as np

from geogrid.grids.rebalance_moves import apply_chain, dissolve, fix_grids, split_off
from geogrid.grids.rebalance_search import ChainSearch
from tests.rebalance_row import row_state


def test_fix_grids_brings_every_grid_into_its_band() -> None:
    """Grid 0 over and grid 2 under their band: fixed with every grid contiguous."""
    state, rules, _ = row_state([200, 200, 200, 200, 150, 150], [0, 0, 0, 1, 1, 2])
    original = state.labels.copy()
    search = ChainSearch(state, rules, np.random.default_rng(0))
    stuck = fix_grids(state, rules, search, range(3), math.inf, original)
    assert stuck == set()
    assert all(300 <= h <= 500 for h in state.h)
    assert all(state.connected(m) for m in state.members)


def test_a_chain_that_breaks_a_rule_is_rolled_back() -> None:
    """Moving a unit that cuts its grid in two is refused and leaves the state as it was."""
    state, rules, _ = row_state([200, 200, 200, 200], [0, 0, 0, 1])
    assert not apply_chain(
        state, rules, [(1, 1)]
    )  # unit 1 is the middle of grid 0 (and not next to 1)
    assert state.labels.tolist() == [0, 0, 0, 1] and not state.log
    assert apply_chain(state, rules, [(2, 1)])
    assert state.h.tolist() == [400.0, 400.0]


def test_split_off_and_dissolve_change_the_grid_count() -> None:
    """A grid of 900 splits into two contiguous halves; a grid of 100 dissolves into its
    neighbours."""
    state, rules, _ = row_state([300, 300, 300, 100], [0, 0, 0, 1])
    rng = np.random.default_rng(0)
    new = split_off(state, rules, 0, rng)
    assert new == 2 and state.members[0] and state.members[2]
    assert state.connected(state.members[0]) and state.connected(state.members[2])
    assert state.h[0] + state.h[2] == 900
    assert dissolve(state, rules, 1)
    assert state.members[1] == set() and sum(state.h) == 1000
