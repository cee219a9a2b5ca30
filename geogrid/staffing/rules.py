"""The 1+3+N rules of a district (:class:`StaffingRules`), declared once, read from TOML.

Per grid: exactly ``workers_per_grid`` full-time grid workers (专职网格员, 1), one
community police officer (社区民警) who may cover several grids of his own
community up to his capacity, a community cadre (社区干部) and a property
manager (物业) from the grid's own community, and at least ``min_volunteers``
volunteers (志愿者), more as available up to ``max_volunteers`` (0: no cap).
Costs are metres: home to grid straight or along the streets, plus
``change_penalty_m`` for every person placed away from his current grid.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from geogrid.errors import InputError

#: Grids a person of each role can serve when the roster gives no capacity.
DEFAULT_CAPACITY = {"worker": 1, "police": 4, "cadre": 3, "property": 2, "volunteer": 1}


@dataclass(frozen=True)
class StaffingRules:
    """The staffing rules of one district (defaults: the common 1+3+N practice)."""

    workers_per_grid: int = 1
    police_per_grid: int = 1
    cadres_per_grid: int = 1
    property_per_grid: int = 1
    min_volunteers: int = 2
    max_volunteers: int = 6
    worker_capacity: int = DEFAULT_CAPACITY["worker"]
    police_capacity: int = DEFAULT_CAPACITY["police"]
    cadre_capacity: int = DEFAULT_CAPACITY["cadre"]
    property_capacity: int = DEFAULT_CAPACITY["property"]
    volunteer_capacity: int = DEFAULT_CAPACITY["volunteer"]
    worker_same_community: bool = False
    volunteer_same_community: bool = False
    max_overload: int = 0
    distance: str = "straight"
    change_penalty_m: int = 1500
    volunteer_reward_m: int = 5000
    max_distance_m: int = 0
    candidate_grids: int = 40
    time_limit_s: float = 10.0

    def __post_init__(self) -> None:
        problems = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "distance":
                if value not in ("straight", "streets"):
                    problems.append(f'distance = {value!r}: use "straight" or "streets"')
            elif isinstance(value, bool):
                continue
            elif not isinstance(value, int | float) or value < 0:
                problems.append(f"{f.name} = {value!r}: give a number >= 0")
        if self.workers_per_grid < 1:
            problems.append("workers_per_grid must be at least 1 (一格一员)")
        if self.max_volunteers and self.max_volunteers < self.min_volunteers:
            problems.append(
                f"max_volunteers {self.max_volunteers} is below min_volunteers "
                f"{self.min_volunteers}; raise it or use 0 (no cap)"
            )
        if problems:
            raise InputError("staffing rules have problems", problems)

    def posts(self) -> dict[str, int]:
        """Posts per grid by role (volunteers: the minimum)."""
        return {
            "worker": self.workers_per_grid,
            "police": self.police_per_grid,
            "cadre": self.cadres_per_grid,
            "property": self.property_per_grid,
            "volunteer": self.min_volunteers,
        }

    def capacity(self, role: str) -> int:
        """Grids a person of ``role`` serves when the roster says nothing."""
        return int(getattr(self, f"{role}_capacity"))

    def same_community(self, role: str) -> bool:
        """Must a person of ``role`` serve grids of his own community only?"""
        return (
            role in ("police", "cadre", "property")
            or (role == "worker" and self.worker_same_community)
            or (role == "volunteer" and self.volunteer_same_community)
        )


def rules_from_dict(data: Mapping[str, Any], where: str = "staffing rules") -> StaffingRules:
    """Rules from a parsed TOML file: its ``[staffing]`` table (or the top level)."""
    table = dict(data.get("staffing", data))
    known = {f.name: f for f in fields(StaffingRules)}
    unknown = sorted(k for k in table if k not in known)
    if unknown:
        raise InputError(
            f"{where}: unknown keys",
            [f"{where}: {k}: not a rule; use {', '.join(known)}" for k in unknown],
        )
    try:
        return replace(StaffingRules(), **table)
    except InputError as err:
        raise InputError(f"{where}: the rules have problems", err.problems) from err
