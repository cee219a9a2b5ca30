"""The independent checker of a staffing (:func:`check_staffing`).

It reads only the assignment table, the roster, the grids and the rules, never
the solver's model: every person is on the roster in the role he is placed in,
every grid has exactly its full-time worker(s), police officer(s), cadre(s) and
property manager(s) and at least the minimum of volunteers (at most the
maximum), police, cadres and property managers serve grids of their own
community (so one officer's grids are all in one community), nobody serves
more grids than his capacity (plus the allowed overload), nobody twice in one
grid, nobody farther than ``max_distance_m``. Open posts come out as
``unfilled`` issues, one per grid and role with the number missing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geogrid.staffing.roster import ROLE_ZH, ROLES, Roster
from geogrid.staffing.rules import StaffingRules


@dataclass(frozen=True)
class StaffingIssue:
    """One broken rule: kind, grid and person where they apply, and what to do."""

    kind: str
    grid: str | None
    person: str | None
    message: str

    def __str__(self) -> str:
        where = " ".join(
            x
            for x in (
                f"grid {self.grid}" if self.grid else "",
                f"person {self.person}" if self.person else "",
            )
            if x
        )
        return f"{where or 'staffing'}: {self.kind}: {self.message}"


def check_staffing(
    assignment: pd.DataFrame,
    roster: Roster,
    grids: pd.DataFrame,
    rules: StaffingRules,
    *,
    distance_m: np.ndarray | None = None,
) -> list[StaffingIssue]:
    """Every rule of ``rules`` broken by ``assignment`` (columns person_id, role, grid).

    ``distance_m`` (people x grids, in roster and grid order) enables the
    ``max_distance_m`` check.
    """
    issues: list[StaffingIssue] = []
    people = {p.id: p for p in roster.people}
    codes = [str(c) for c in grids["code"]]
    community = dict(
        zip(
            codes,
            grids["parent_code"] if "parent_code" in grids.columns else [None] * len(codes),
            strict=True,
        )
    )
    seen: set[tuple[str, str]] = set()
    loads: dict[str, int] = {}
    counts: dict[tuple[str, str], int] = {}
    police_communities: dict[str, set[str]] = {}
    for row in assignment.itertuples(index=False):
        pid, grid, role = str(row.person_id), str(row.grid), str(row.role)
        person = people.get(pid)
        if person is None:
            issues.append(StaffingIssue("unknown person", grid, pid, "not on the roster"))
            continue
        if grid not in community:
            issues.append(
                StaffingIssue("unknown grid", grid, pid, "no grid of the area has this code")
            )
            continue
        if role != person.role:
            issues.append(
                StaffingIssue(
                    "wrong role", grid, pid, f"placed as {role} but the roster says {person.role}"
                )
            )
        if (pid, grid) in seen:
            issues.append(StaffingIssue("repeated", grid, pid, "placed twice in the same grid"))
            continue
        seen.add((pid, grid))
        loads[pid] = loads.get(pid, 0) + 1
        counts[grid, person.role] = counts.get((grid, person.role), 0) + 1
        if rules.same_community(person.role) and str(person.community) != str(community[grid]):
            issues.append(
                StaffingIssue(
                    "other community",
                    grid,
                    pid,
                    f"{ROLE_ZH[person.role]} {person.name} "
                    f"belongs to community {person.community}, the grid to {community[grid]}",
                )
            )
        if person.role == "police":
            police_communities.setdefault(pid, set()).add(str(community[grid]))
        if distance_m is not None and rules.max_distance_m:
            i = list(people).index(pid)
            d = float(distance_m[i, codes.index(grid)])
            if d > rules.max_distance_m:
                issues.append(
                    StaffingIssue(
                        "too far", grid, pid, f"{d:.0f} m from home, over {rules.max_distance_m} m"
                    )
                )
    for pid, load in sorted(loads.items()):
        person = people[pid]
        if load > person.capacity + rules.max_overload:
            issues.append(
                StaffingIssue(
                    "over capacity",
                    None,
                    pid,
                    f"{person.name} serves {load} grids; capacity {person.capacity}",
                )
            )
    for pid, comms in sorted(police_communities.items()):
        if len(comms) > 1:
            issues.append(
                StaffingIssue(
                    "police across communities",
                    None,
                    pid,
                    f"grids in communities {', '.join(sorted(comms))}",
                )
            )
    posts = rules.posts()
    for grid in codes:
        for role in ROLES:
            have = counts.get((grid, role), 0)
            need = posts[role]
            if have < need:
                issues.append(
                    StaffingIssue(
                        "unfilled",
                        grid,
                        None,
                        f"{need - have} {role} ({ROLE_ZH[role]}) post(s) open",
                    )
                )
            top = need if role != "volunteer" else (rules.max_volunteers or None)
            if top is not None and have > top:
                issues.append(
                    StaffingIssue(
                        "too many", grid, None, f"{have} {role} ({ROLE_ZH[role]}), at most {top}"
                    )
                )
    return issues
