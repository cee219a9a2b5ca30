"""The rota's CP-SAT model on plain arrays: exact nights, one team a night, eligibility,
budgets, window clashes, no-goods, nights per team, the soft mode and determinism."""

from __future__ import annotations

import numpy as np

from geogrid.planning.solvers.rota import RotaArrays, solve_assignment


def arrays(
    n_t: int = 2, n_s: int = 3, nights: tuple[int, ...] = (7, 4, 2), **kw: object
) -> RotaArrays:
    base: dict[str, object] = {
        "eligible": np.ones((7, n_t, n_s), dtype=bool),
        "load": np.full((n_t, n_s), 900, dtype=np.int64),
        "budget": np.full((7, n_t), 3 * 3600, dtype=np.int64),
        "nights": np.array(nights, dtype=np.int64),
        "weight": np.full(n_t, 1000, dtype=np.int64),
    }
    base.update(kw)
    return RotaArrays(**base)  # type: ignore[arg-type]


def test_each_stop_gets_exactly_its_nights_one_team_a_night() -> None:
    """Stop i is covered on exactly nights[i] days, by at most one team each day."""
    result = solve_assignment(arrays(), time_limit_s=5)
    assert result.found and result.optimal
    per_day = result.assign.sum(axis=1)  # (7, S)
    assert per_day.max() <= 1
    assert per_day.sum(axis=0).tolist() == [7, 4, 2]


def test_eligibility_and_budget_hold() -> None:
    """Nothing is assigned where not eligible; no team-night goes over its budget."""
    elig = np.ones((7, 2, 3), dtype=bool)
    elig[:, 1, 0] = False  # team 1 never serves stop 0
    elig[5:, 0, :] = False  # team 0 is off at the weekend
    budget = np.full((7, 2), 1900, dtype=np.int64)  # two stops a night at most
    result = solve_assignment(
        arrays(eligible=elig, budget=budget, nights=(5, 4, 2)), time_limit_s=5
    )
    assert result.found
    assert not (result.assign & ~elig).any()
    load = np.full((2, 3), 900)
    for d in range(7):
        for t in range(2):
            assert (result.assign[d, t] * load[t]).sum() <= 1900


def test_clashes_nogoods_and_max_nights() -> None:
    """Clashing stops never share a team-night; a no-good set is never assigned whole; no
    team goes past max_nights."""
    nogood = (0, 0, (1, 2))
    result = solve_assignment(
        arrays(nights=(7, 7, 0), clashes=((0, 0, 1), (1, 0, 1)), max_nights=7, nogoods=(nogood,)),
        time_limit_s=5,
    )
    assert result.found
    assert not (result.assign[:, :, 0] & result.assign[:, :, 1]).any()
    limited = solve_assignment(arrays(nights=(7, 0, 0), max_nights=4), time_limit_s=5)
    nights = limited.assign.any(axis=2).sum(axis=0)
    assert sorted(nights.tolist()) == [3, 4]


def test_infeasible_and_soft_shortfall() -> None:
    """Too little budget: no assignment; the soft mode covers as much as fits."""
    budget = np.zeros((7, 2), dtype=np.int64)
    budget[:3] = 3600
    hard = solve_assignment(arrays(budget=budget, nights=(7, 0, 0)), time_limit_s=5)
    assert not hard.found
    soft = solve_assignment(arrays(budget=budget, nights=(7, 0, 0), soft=True), time_limit_s=5)
    assert soft.found and soft.assign[:, :, 0].any(axis=1).sum() == 3


def test_nights_follow_weights_and_same_seed_same_answer() -> None:
    """A team with half the weight per night (twice the volunteers) takes more nights; the
    same seed gives the same assignment."""
    weight = np.array([500, 1000], dtype=np.int64)
    a = solve_assignment(arrays(weight=weight, nights=(7, 0, 0)), time_limit_s=5, seed=2)
    nights = a.assign.any(axis=2).sum(axis=0).tolist()
    assert nights == [5, 2]
    b = solve_assignment(arrays(weight=weight, nights=(7, 0, 0)), time_limit_s=5, seed=2)
    assert (a.assign == b.assign).all()
