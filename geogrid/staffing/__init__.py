"""1+3+N staffing of the grids (一格一员 + 社区民警、社区干部、物业 + N 名志愿者).

One step per module:

:mod:`~geogrid.staffing.roster`
    :class:`Person`, :class:`Roster`: the staff roster, checked row by row (roles in
    Chinese or English, duplicates, homes outside the area, missing phones)
:mod:`~geogrid.staffing.rules`
    :class:`StaffingRules`: the 1+3+N rules of a district (TOML)
:mod:`~geogrid.staffing.assign`
    distances -> :class:`StaffingProblem` -> the min-cost flow
    (:mod:`geogrid.planning.solvers.staffing`) -> :class:`Staffing` (who serves where,
    unfilled posts, overloaded people); the per-grid table; who changes grid
:mod:`~geogrid.staffing.check`
    :func:`check_staffing`: every rule checked again from scratch

Frames and dataclasses in and out; nothing here reads or writes a file.
"""

from geogrid.staffing.assign import (
    Post,
    Staffing,
    StaffingProblem,
    assign_staff,
    build_staffing_problem,
    staff_changes,
    staffing_table,
    straight_distances,
)
from geogrid.staffing.check import StaffingIssue, check_staffing
from geogrid.staffing.roster import ROLE_ZH, ROLES, Person, Roster, parse_role, roster_from_fields
from geogrid.staffing.rules import StaffingRules, rules_from_dict

__all__ = [
    "ROLES",
    "ROLE_ZH",
    "Person",
    "Post",
    "Roster",
    "Staffing",
    "StaffingIssue",
    "StaffingProblem",
    "StaffingRules",
    "assign_staff",
    "build_staffing_problem",
    "check_staffing",
    "parse_role",
    "roster_from_fields",
    "rules_from_dict",
    "staff_changes",
    "staffing_table",
    "straight_distances",
]
