"""geogrid.grids.rebalance_search: the cheapest chain of border moves brings a grid into its
band."""

from __future__ import annotations

import numpy as np

from geogrid.grids.rebalance_search import ChainSearch
from tests.rebalance_row import row_state


def test_push_moves_the_border_unit_of_the_full_grid() -> None:
    """Grid 0 (600) over 500 next to grid 1 (200): the cheapest chain gives its eastern unit to grid
    1."""
    state, rules, _ = row_state([200, 200, 200, 200], [0, 0, 0, 1])
    search = ChainSearch(state, rules, np.random.default_rng(0))
    chains = search.push(0)
    assert chains and chains[0] == [(2, 1)]
    assert search.border(0) == [((2,), 1)]


def test_pull_takes_the_border_unit_of_the_full_neighbour() -> None:
    """Grid 1 (150) under 300, between grid 0 (550) and grid 2 (200): it pulls from grid 0 only."""
    state, rules, _ = row_state([200, 200, 150, 150, 200], [0, 0, 0, 1, 2])
    search = ChainSearch(state, rules, np.random.default_rng(0))
    chains = search.pull(1)
    assert chains
    moved = chains[0]
    assert all(to == 1 for _, to in moved) and {u for u, _ in moved} <= {2}
    assert search.push(1) == []  # not over its max: nothing to push
