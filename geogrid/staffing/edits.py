"""One hand edit of a staffing (assign or unassign a person to a grid post), judged by the checker.

:func:`apply_staffing_edit` adds or removes one placement in an assignment
table and returns the new table with the rules the edit breaks: every issue
:func:`~geogrid.staffing.check.check_staffing` finds after the edit that it
did not find before, open posts aside (leaving a post open is allowed, it is
shown as a gap). Placing only ever adds load, so any new issue of an assign
(another community, capacity exceeded, a second full-time worker, the wrong
role, unknown person or grid, too far) refuses it; an unassign breaks no rule,
it is refused only when the person does not hold that post.
:func:`open_posts` and :func:`overloaded_people` recount gaps and overloads
of any assignment (what the solver reports for its own).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geogrid.errors import InputError
from geogrid.staffing.assign import ASSIGNMENT_COLUMNS, Post
from geogrid.staffing.check import StaffingIssue, check_staffing
from geogrid.staffing.roster import ROLE_ZH, ROLES, Roster
from geogrid.staffing.rules import StaffingRules

EDIT_OPS = ("assign", "unassign")


@dataclass(frozen=True)
class StaffingEditResult:
    """The assignment after one edit and the rules the edit would break (empty: allowed)."""

    assignment: pd.DataFrame
    broken: list[StaffingIssue]

    @property
    def allowed(self) -> bool:
        return not self.broken


def _key(issue: StaffingIssue) -> tuple[str, str | None, str | None, str]:
    return (issue.kind, issue.grid, issue.person, issue.message)


def apply_staffing_edit(
    assignment: pd.DataFrame,
    roster: Roster,
    grids: pd.DataFrame,
    rules: StaffingRules,
    *,
    op: str,
    person: str,
    grid: str,
    role: str,
    distance_m: np.ndarray | None = None,
) -> StaffingEditResult:
    """Assign ``person`` to the ``role`` post of ``grid``, or take him off it.

    Parameters
    ----------
    assignment
        The current placements (columns :data:`~geogrid.staffing.assign.ASSIGNMENT_COLUMNS`).
    grids
        The area's grids (``code``, ``parent_code``), in the order of ``distance_m``'s columns.
    distance_m
        (people x grids) metres in roster and grid order; gives the new row's
        ``distance_m`` and enables the ``max_distance_m`` rule.
    """
    if op not in EDIT_OPS:
        raise InputError(f"op {op!r}: use assign or unassign")
    if role not in ROLES:
        raise InputError(f"role {role!r}: use one of {', '.join(ROLES)}")
    frame = assignment.reindex(columns=list(ASSIGNMENT_COLUMNS))
    if op == "unassign":
        hit = (
            (frame["person_id"].astype(str) == person)
            & (frame["grid"].astype(str) == grid)
            & (frame["role"].astype(str) == role)
        )
        if not hit.any():
            raise InputError(
                f"{person} does not hold a {role} ({ROLE_ZH[role]}) post in grid {grid}; "
                "reload the staffing to see who serves there"
            )
        return StaffingEditResult(frame[~hit].reset_index(drop=True), [])
    codes = [str(c) for c in grids["code"]]
    ids = [p.id for p in roster.people]
    distance = 0.0
    if distance_m is not None and person in ids and grid in codes:
        distance = round(float(distance_m[ids.index(person), codes.index(grid)]), 1)
    name = roster.person(person).name if person in ids else person
    row = {
        "person_id": person,
        "name": name,
        "role": role,
        "grid": grid,
        "distance_m": distance,
        "changed": True,
    }
    after = pd.concat([frame, pd.DataFrame([row], columns=frame.columns)], ignore_index=True)
    before_keys = {
        _key(i) for i in check_staffing(frame, roster, grids, rules, distance_m=distance_m)
    }
    broken = [
        i
        for i in check_staffing(after, roster, grids, rules, distance_m=distance_m)
        if i.kind != "unfilled" and _key(i) not in before_keys
    ]
    return StaffingEditResult(after, broken)


def open_posts(assignment: pd.DataFrame, grids: pd.DataFrame, rules: StaffingRules) -> list[Post]:
    """The posts each grid still lacks (volunteers: below the minimum), in grid and role order."""
    counts = assignment.groupby(["grid", "role"]).size().to_dict() if len(assignment) else {}
    posts = rules.posts()
    return [
        Post(str(code), role, posts[role] - int(counts.get((str(code), role), 0)))
        for code in grids["code"]
        for role in ROLES
        if posts[role] > int(counts.get((str(code), role), 0))
    ]


def overloaded_people(assignment: pd.DataFrame, roster: Roster) -> list[tuple[str, str, int, int]]:
    """People serving more grids than their capacity: (id, name, grids, capacity)."""
    loads: dict[str, int] = (
        {str(k): int(v) for k, v in assignment["person_id"].astype(str).value_counts().items()}
        if len(assignment)
        else {}
    )
    return [
        (p.id, p.name, loads[p.id], p.capacity)
        for p in roster.people
        if loads.get(p.id, 0) > p.capacity
    ]
