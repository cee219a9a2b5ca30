"""geogrid.planning.solvers.staffing: the min-cost flow on plain arrays."""

from __future__ import annotations

import numpy as np

from geogrid.planning.solvers.staffing import StaffingArrays, solve_staffing


def _arrays(capacity: list[int], need: int = 1, overload: int = 0) -> StaffingArrays:
    n = len(capacity)
    return StaffingArrays(
        eligible=np.ones((n, 3), dtype=bool),
        cost=np.arange(n * 3).reshape(n, 3) * 10,
        role=np.zeros(n, dtype=np.int64),
        need=np.full((1, 3), need),
        extra=np.zeros((1, 3), dtype=np.int64),
        capacity=np.array(capacity),
        overload=np.full(n, overload),
        reward=np.zeros(n, dtype=np.int64),
    )


def test_every_post_filled_when_people_suffice() -> None:
    """Three people for three posts: each post filled once, each person once."""
    solution = solve_staffing(_arrays([1, 1, 1]))
    assert solution.found and solution.short.sum() == 0
    assert (solution.assign.sum(axis=0) == 1).all() and (solution.assign.sum(axis=1) == 1).all()


def test_too_few_people_leaves_posts_open() -> None:
    """Two people of capacity 1 for three posts: one post open, nothing over capacity."""
    solution = solve_staffing(_arrays([1, 1]))
    assert solution.short.sum() == 1 and solution.over.sum() == 0


def test_overload_used_only_when_allowed_and_needed() -> None:
    """With one grid of overload allowed, the second person covers the open post."""
    solution = solve_staffing(_arrays([1, 1], overload=1))
    assert solution.short.sum() == 0 and solution.over.sum() == 1
