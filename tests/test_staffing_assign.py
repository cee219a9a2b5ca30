"""geogrid.staffing.assign: 1+3+N placements judged by the independent checker."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geogrid import staffing as S
from tests.grids_area import UTM_50N, communities
from tests.staffing_area import grids, roster


def _solve(people: S.Roster, rules: S.StaffingRules | None = None, **kwargs):
    rules = rules or S.StaffingRules(time_limit_s=5)
    distance = S.straight_distances(people, grids(), UTM_50N, communities())
    problem = S.build_staffing_problem(people, grids(), rules, distance, **kwargs)
    return problem, S.assign_staff(problem, seed=0)


def test_generated_roster_staffs_every_grid_by_the_rules() -> None:
    """The synthetic roster fills every post; the checker finds no broken rule."""
    problem, staffing = _solve(roster())
    assert staffing.found and not staffing.unfilled and not staffing.overloaded
    issues = S.check_staffing(staffing.assignment, problem.roster, problem.grids, problem.rules)
    assert [str(i) for i in issues] == []
    per_grid = staffing.assignment.groupby(["grid", "role"]).size()
    for code in grids()["code"]:
        assert per_grid[(code, "worker")] == 1
        assert per_grid[(code, "volunteer")] >= 2


def test_too_few_full_time_workers_is_a_report_not_a_crash() -> None:
    """Three workers short: three worker posts unfilled, exactly what the checker says."""
    problem, staffing = _solve(roster(drop_workers=4))  # 1 spare
    assert sum(p.missing for p in staffing.unfilled if p.role == "worker") == 3
    issues = S.check_staffing(staffing.assignment, problem.roster, problem.grids, problem.rules)
    assert {i.kind for i in issues} == {"unfilled"}
    assert sorted(i.grid for i in issues) == sorted(p.grid for p in staffing.unfilled)
    assert "3 unfilled post(s)" in "\n".join(staffing.lines())
    table = S.staffing_table(
        staffing.assignment, problem.roster, grids(), unfilled=staffing.unfilled
    )
    assert (table["unfilled"] != "").sum() == 3


def test_same_seed_same_staffing_and_changes_are_penalised() -> None:
    """Solving twice gives the same placements; with a high change penalty nobody moves."""
    _, a = _solve(roster())
    _, b = _solve(roster())
    pd.testing.assert_frame_equal(a.assignment, b.assignment)
    current = {str(r.person_id): (str(r.grid),) for r in a.assignment.itertuples()}
    sticky = S.StaffingRules(change_penalty_m=1_000_000)
    _, c = _solve(roster(), sticky, current=current)
    assert not c.assignment["changed"].any()


def test_staff_changes_lists_who_moves() -> None:
    """Moving one worker to another grid shows one change with both grids."""
    _, a = _solve(roster())
    after = a.assignment.copy()
    i = after.index[after["role"] == "worker"][0]
    after.loc[i, "grid"] = "X"
    changes = S.staff_changes(a.assignment, after)
    assert list(changes["after"]) == ["X"]
    assert changes["before"].iloc[0] == a.assignment.loc[i, "grid"]


def test_police_serve_only_their_own_community() -> None:
    """Every police officer's grids lie in his community (one community per officer)."""
    problem, staffing = _solve(roster())
    parent = dict(zip(grids()["code"], grids()["parent_code"], strict=True))
    police = staffing.assignment[staffing.assignment["role"] == "police"]
    for row in police.itertuples():
        assert parent[row.grid] == problem.roster.person(row.person_id).community
    assert np.all(police.groupby("person_id").size() <= 3)
