"""geogrid.staffing.check: the checker catches every broken rule on its own."""

from __future__ import annotations

import pandas as pd
import pytest

from geogrid import staffing as S
from tests.staffing_area import grids, roster


@pytest.fixture(scope="module")
def base() -> tuple[S.Roster, pd.DataFrame, pd.DataFrame]:
    """A rule-abiding placement built by hand: every post of every grid from the roster."""
    people = roster()
    table = grids()[["code", "parent_code"]].copy()
    rows = []
    for role, per in S.StaffingRules().posts().items():
        pool = people.by_role(role)
        for code, parent in zip(table["code"], table["parent_code"], strict=True):
            mine = [
                p
                for p in pool
                if not S.StaffingRules().same_community(role) or p.community == parent
            ]
            used = [r["person_id"] for r in rows]
            chosen = [p for p in mine if used.count(p.id) < p.capacity][:per]
            rows += [{"person_id": p.id, "role": role, "grid": code} for p in chosen]
    return people, table, pd.DataFrame(rows)


def test_a_good_placement_passes(base) -> None:
    """The hand-built placement breaks no rule."""
    people, table, assignment = base
    assert S.check_staffing(assignment, people, table, S.StaffingRules()) == []


@pytest.mark.parametrize(
    ("tamper", "kind"),
    [
        (lambda a, t: a.drop(index=a.index[a["role"] == "worker"][:1]), "unfilled"),
        (
            lambda a, t: pd.concat(
                [a, a[a["role"] == "worker"].iloc[[1]].assign(grid=a["grid"].iloc[0])]
            ),
            "too many",
        ),
        (lambda a, t: a.assign(role=a["role"].where(a.index != 0, "volunteer")), "wrong role"),
        (lambda a, t: pd.concat([a, a.iloc[[0]].assign(person_id="nobody")]), "unknown person"),
        (lambda a, t: pd.concat([a, a.iloc[[0]]]), "repeated"),
        (
            lambda a, t: a.assign(
                grid=a["grid"].where(
                    ~((a["role"] == "cadre") & (a.index == a.index[a["role"] == "cadre"][0])),
                    t.loc[t["parent_code"] != t["parent_code"].iloc[0], "code"].iloc[0],
                )
            ),
            "other community",
        ),
    ],
)
def test_each_broken_rule_is_named(base, tamper, kind: str) -> None:
    """Each kind of tampering shows up as its own issue."""
    people, table, assignment = base
    issues = S.check_staffing(tamper(assignment.copy(), table), people, table, S.StaffingRules())
    assert kind in {i.kind for i in issues}


def test_over_capacity(base) -> None:
    """A worker (capacity 1) placed in a second grid is over capacity."""
    people, table, assignment = base
    worker = assignment[assignment["role"] == "worker"].iloc[0]
    other = table["code"][table["code"] != worker["grid"]].iloc[0]
    extra = pd.DataFrame([{"person_id": worker["person_id"], "role": "worker", "grid": other}])
    issues = S.check_staffing(pd.concat([assignment, extra]), people, table, S.StaffingRules())
    assert "over capacity" in {i.kind for i in issues}
