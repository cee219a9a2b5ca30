"""geogrid.staffing.edits: one hand edit judged by the checker; gaps and overloads recounted."""

from __future__ import annotations

import pandas as pd
import pytest

from geogrid import staffing as S
from geogrid.errors import InputError
from geogrid.staffing.edits import apply_staffing_edit, open_posts, overloaded_people
from tests.staffing_area import grids, roster

RULES = S.StaffingRules()


@pytest.fixture(scope="module")
def solved() -> tuple[S.Roster, pd.DataFrame, pd.DataFrame]:
    """The solver's staffing of the synthetic grids: every post filled."""
    people = roster()
    table = grids()
    distance = S.straight_distances(people, table, "EPSG:32650")
    problem = S.build_staffing_problem(people, table, RULES, distance)
    return people, problem.grids, S.assign_staff(problem).assignment


def test_unassign_opens_a_gap_and_assign_fills_it(solved) -> None:
    """Taking a worker off leaves one open post; putting him back breaks no rule."""
    people, table, assignment = solved
    row = assignment[assignment["role"] == "worker"].iloc[0]
    edit = {"person": row.person_id, "grid": row.grid, "role": "worker"}
    off = apply_staffing_edit(assignment, people, table, RULES, op="unassign", **edit)
    assert off.allowed and len(off.assignment) == len(assignment) - 1
    assert open_posts(off.assignment, table, RULES) == [S.Post(row.grid, "worker", 1)]
    back = apply_staffing_edit(off.assignment, people, table, RULES, op="assign", **edit)
    assert back.allowed and open_posts(back.assignment, table, RULES) == []


def test_assign_refused_with_the_rules_it_breaks(solved) -> None:
    """A second worker in a grid is 'too many'; a worker in two grids is 'over capacity'."""
    people, table, assignment = solved
    workers = assignment[assignment["role"] == "worker"]
    first, second = workers.iloc[0], workers.iloc[1]
    result = apply_staffing_edit(
        assignment,
        people,
        table,
        RULES,
        op="assign",
        person=second.person_id,
        grid=first.grid,
        role="worker",
    )
    assert {i.kind for i in result.broken} == {"too many", "over capacity"}
    assert overloaded_people(result.assignment, people) == [
        (second.person_id, second["name"], 2, 1)
    ]


def test_unassign_of_someone_not_there_and_bad_op_are_input_errors(solved) -> None:
    """Nothing to take off, or an unknown op or role: InputError saying what to do."""
    people, table, assignment = solved
    with pytest.raises(InputError, match="does not hold"):
        apply_staffing_edit(
            assignment,
            people,
            table,
            RULES,
            op="unassign",
            person="nobody",
            grid=str(table["code"].iloc[0]),
            role="worker",
        )
    with pytest.raises(InputError, match="assign or unassign"):
        apply_staffing_edit(
            assignment, people, table, RULES, op="swap", person="x", grid="g", role="worker"
        )
    with pytest.raises(InputError, match="role"):
        apply_staffing_edit(
            assignment, people, table, RULES, op="assign", person="x", grid="g", role="chief"
        )
