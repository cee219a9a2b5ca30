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


def test_a_unit_takes_along_the_empty_units_only_it_holds_to_its_grid() -> None:
    """Units 3 and 4 (no households) hang on unit 2: moving 2 takes them along, which also reaches
    grid 1; unit 1 holds households behind it, so it cannot move."""
    state, rules, _ = row_state([100, 100, 50, 0, 0, 200, 200], [0, 0, 0, 0, 0, 1, 1])
    search = ChainSearch(state, rules, np.random.default_rng(0))
    assert search.with_empties(0, (2,)) == (2, 3, 4)
    assert search.with_empties(0, (1,)) is None
    assert search.with_empties(0, (0,)) == (0,)
    assert ((2, 3, 4), 1) in search.border(0)
    assert ((5,), 1) in search.touching(0, state.members[0])
