"""Maximal covering location (MCLP) as a MIP on plain numbers."""

from __future__ import annotations

import itertools

import numpy as np

from geogrid.planning.solvers.covering import solve_covering


def test_covering_matches_brute_force() -> None:
    """The MCLP MIP finds the best pair of sites on a random instance, with one fixed site."""
    rng = np.random.default_rng(3)
    cover = rng.random((7, 20)) < 0.25
    w = rng.integers(1, 10, 20).astype(float)
    best = max(
        w[cover[[0, *pair]].any(axis=0)].sum() for pair in itertools.combinations(range(1, 7), 2)
    )
    res = solve_covering(cover, w, 2, fixed=[0], time_limit_s=5)
    assert res.optimal and 0 in res.open and len(res.open) == 3
    assert res.covered_weight == best
