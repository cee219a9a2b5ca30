"""The patrol config: which stops a plan wants and the solver's budget.

One frozen pydantic model declares every key, its default and its unit once
(see ``data/config/patrol.example.toml``); unknown keys are refused.
:meth:`PatrolConfig.from_dict` checks a parsed TOML table and turns every
problem into one :class:`~geogrid.errors.InputError` line
``"<file>: <key>: <problem>"``. Reading the file is the caller's job
(``geogrid.services.patrol.read_patrol_config``): this module reads nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from geogrid.errors import InputError


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SolverConfig(_Section):
    """``[solver]``: how long and with which seed to search."""

    time_limit_s: float = Field(default=10.0, gt=0, description="search time per plan, seconds")
    seed: int = Field(default=1, description="same seed (and machine) -> same plan")
    decompose: Literal["auto", "always", "never"] = Field(
        default="auto",
        description=(
            'plan a district by team areas, one group per community, side by side: "auto" '
            "when the teams' areas make two groups or more (team_areas strict, or 300 stops or "
            "more)"
        ),
    )


class PlaceConfig(_Section):
    """One ``[[places]]`` entry: a key-location layer whose features become stops."""

    layer: str = Field(description='the area\'s layer, e.g. "schools"')
    kinds: tuple[str, ...] | None = Field(default=None, description="only features of these kinds")
    prize: int = Field(default=10, ge=0, description="prize of each stop, points")
    dwell_min: float = Field(default=10.0, ge=0, description="stay at each stop, minutes")
    window: tuple[str, str] | None = Field(
        default=None,
        description='local "HH:MM" bounds on the start of the stay, e.g. ["07:30", "07:40"]',
    )
    required: bool = Field(default=False, description="every stop must be served")
    teams: tuple[str, ...] | None = Field(
        default=None, description="team ids that may serve (default all)"
    )
    skill: str | None = Field(default=None, description="skill a serving team needs")
    notes: str = Field(default="", description="text printed on the route sheet")
    max_stops: int | None = Field(default=None, ge=0, description="use only the first N features")

    @field_validator("window", mode="before")
    @classmethod
    def _two_times(cls, value: Any) -> Any:
        if value is not None and (not isinstance(value, list | tuple) or len(value) != 2):
            raise ValueError('window is two times, e.g. ["07:30", "07:40"]')
        return value


class HotspotConfig(_Section):
    """``[hotspots]``: ranked hot spots as stops (from the area's incidents or a file)."""

    from_incidents: bool = Field(
        default=False, description="rank the area's own incidents (Gi*, FDR 0.05)"
    )
    top: int | None = Field(default=None, ge=1, description="take the N hottest")
    file: str | None = Field(
        default=None, description="ranked hot-spot GeoJSON, relative to the area folder"
    )
    prize_per_priority: int = Field(
        default=10, ge=0, description="prize per priority step (1-5), points"
    )
    required_min_priority: int | None = Field(
        default=None, description="hot spots of this priority or more are required"
    )
    revisit_min_priority: int | None = Field(
        default=None, description="hot spots of this priority or more get a second pass"
    )
    revisit_after_min: float = Field(
        default=60.0, ge=0, description="second pass at least this long after the first, minutes"
    )
    teams: tuple[str, ...] | None = Field(
        default=None, description="team ids that may serve (default all)"
    )


class GridsConfig(_Section):
    """``[grids]``: one required stop inside every grid."""

    pass_every_grid: bool = Field(
        default=False, description="pass through every grid at least once"
    )
    teams: tuple[str, ...] | None = Field(
        default=None, description="team ids that may serve (default all)"
    )


class TeamConfig(_Section):
    """``[teams.<id>]``: what the teams layer does not say."""

    skills: tuple[str, ...] = Field(default=(), description='e.g. ["first_aid"]')
    grids: tuple[str, ...] | None = Field(
        default=None,
        description="codes of the team's own grids (default: the grids nearest its base); "
        "with communities, its area (in place of the teams layer's area_codes)",
    )
    communities: tuple[str, ...] | None = Field(
        default=None, description="codes of the team's communities (社区): its area, with grids"
    )
    roam: bool = Field(default=False, description="the team may serve stops outside its area")


class WorkloadConfig(_Section):
    """``[workload]``: how the work is shared between teams."""

    balance: Literal["lexicographic", "weighted"] = Field(
        default="lexicographic",
        description='"lexicographic": most prize first, then each team\'s fair share; '
        '"weighted": prize - balance_weight x imbalance',
    )
    balance_weight: float = Field(
        default=0.5,
        ge=0,
        description='with "weighted": prize points given up per point of imbalance removed',
    )
    mode_weights: dict[Literal["walk", "bike", "drive"], float] = Field(
        default_factory=dict,
        description="a team's fair share is size x mode weight x shift hours; modes left out "
        "weigh as geogrid.planning.problem.MODE_WEIGHTS (walk 1, bike 1.5, drive 1.5)",
    )


class FillConfig(_Section):
    """``[fill]``: what a team does with the time left once the valuable stops are placed."""

    hotspot_passes: int = Field(
        default=5, ge=0, description="extra passes at the N hottest spots (0: none)"
    )
    grid_passes: bool = Field(default=True, description="extra passes through the team's own grids")
    gap_min: float | None = Field(
        default=None,
        gt=0,
        description=(
            "between two passes at one place, minutes (default: hotspots.revisit_after_min)"
        ),
    )
    dwell_min: float = Field(
        default=10.0, ge=0, description="stay of an extra pass at a hot spot, minutes"
    )
    grid_dwell_min: float = Field(
        default=5.0, ge=0, description="stay of a pass through a grid, minutes"
    )
    grid_value: int = Field(
        default=10, ge=1, description="worth of a grid pass against a hot spot's prize"
    )


class RotaShiftConfig(_Section):
    """One ``[[rota.shifts]]`` entry: shift times on some weekdays (later entries win)."""

    days: tuple[str, ...] = Field(description='weekdays, e.g. ["Fri", "Sat"] (周五 too)')
    start: str = Field(description='local "HH:MM", e.g. "19:00"')
    end: str = Field(description='local "HH:MM" (earlier than start: ends next day)')
    teams: tuple[str, ...] | None = Field(default=None, description="team ids (default every team)")


class CalendarConfig(_Section):
    """``[rota.calendar]``: which days are school days (护学岗 only on those)."""

    school_weekdays: tuple[str, ...] = Field(
        default=("Mon", "Tue", "Wed", "Thu", "Fri"), description="weekdays with school"
    )
    holidays: tuple[str, ...] = Field(
        default=(),
        description='days without school: "YYYY-MM-DD" or "YYYY-MM-DD/YYYY-MM-DD" (a range)',
    )
    makeup_days: tuple[str, ...] = Field(
        default=(), description="make-up working days (调休): school although a weekend, YYYY-MM-DD"
    )


class RotaConfig(_Section):
    """``[rota]``: the weekly rota (``geogrid rota``): nights per hot spot, school posts, shifts."""

    nights_by_priority: dict[int, int] = Field(
        default_factory=lambda: {5: 7, 4: 4, 3: 2, 2: 1, 1: 0},
        description="hot-spot priority (1-5) -> nights a week it is patrolled",
    )
    school_layer: str | None = Field(
        default="schools",
        description=(
            "the [[places]] layer whose stops are school posts (护学岗), on school days only"
        ),
    )
    place_nights: dict[str, int] = Field(
        default_factory=dict,
        description="other [[places]] layer -> nights a week each of its stops is visited",
    )
    max_nights_per_team: int = Field(
        default=7, ge=1, le=7, description="nights a week one team patrols at most"
    )
    load_share: float = Field(
        default=0.85,
        gt=0,
        le=1,
        description="share of a shift the rota fills with stops (the rest: travel slack)",
    )
    time_limit_s: float = Field(
        default=10.0, gt=0, description="search time for the week's assignment, seconds"
    )
    night_time_limit_s: float = Field(
        default=5.0, gt=0, description="route search per night, seconds"
    )
    shifts: tuple[RotaShiftConfig, ...] = Field(
        default=(), description="shift times per weekday (default: the team's own)"
    )
    calendar: CalendarConfig = Field(
        default=CalendarConfig(), description="school days, holidays, 调休"
    )


class TracksConfig(_Section):
    """``[tracks]``: how a patrol as it went (phone track, check-ins) is matched to its plan."""

    radius_m: float = Field(
        default=50.0, gt=0, description="a stop is visited within this distance, metres"
    )
    dwell_min: float = Field(default=2.0, ge=0, description="... for at least this long, minutes")
    max_gap_min: float = Field(
        default=5.0, gt=0, description="a stay goes on across track gaps up to this long, minutes"
    )
    street_match_m: float = Field(
        default=25.0,
        gt=0,
        description="a track point counts for the nearest street within this distance, metres",
    )
    far_m: float = Field(
        default=2000.0, gt=0, description="points farther from the area are off the map, metres"
    )
    shift_slack_min: float = Field(
        default=60.0,
        ge=0,
        description="a track may start or end this long outside the shift, minutes",
    )
    incident_radius_m: float = Field(
        default=150.0,
        gt=0,
        description="monthly report: incidents within this distance count for a hot spot, metres",
    )


class PatrolConfig(_Section):
    """A whole patrol config; every key has its default here and nowhere else."""

    solver: SolverConfig = Field(default=SolverConfig(), description="search budget")
    places: tuple[PlaceConfig, ...] = Field(default=(), description="key-location layers as stops")
    hotspots: HotspotConfig = Field(default=HotspotConfig(), description="hot spots as stops")
    grids: GridsConfig = Field(default=GridsConfig(), description="grids as stops")
    teams: dict[str, TeamConfig] = Field(default_factory=dict, description="per team id")
    rota: RotaConfig = Field(default=RotaConfig(), description="the weekly rota")
    workload: WorkloadConfig = Field(
        default=WorkloadConfig(), description="sharing the work between teams"
    )
    fill: FillConfig = Field(default=FillConfig(), description="spare time: extra passes")
    team_areas: Literal["strict", "prefer", "off"] = Field(
        default="strict",
        description='"strict": a team serves only stops in its area (teams layer area_codes or '
        '[teams.<id>] communities/grids); "prefer": also stops in no team\'s area; "off": any stop',
    )
    tracks: TracksConfig = Field(
        default=TracksConfig(), description="patrols as they went: tracks, report"
    )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "patrol config") -> PatrolConfig:
        """Check a parsed config (e.g. a TOML table); ``where`` names it in errors.

        Raises :class:`InputError` listing every problem as ``"<where>: <key>: <problem>"``.
        """
        try:
            return cls.model_validate(dict(data))
        except ValidationError as err:
            problems = [f"{where}: {_key(e['loc'], data)}: {_problem(e)}" for e in err.errors()]
            raise InputError(f"{where}: config has problems", problems) from err

    def skills(self) -> dict[str, tuple[str, ...]]:
        """Team id -> its skills."""
        return {tid: team.skills for tid, team in self.teams.items()}

    def area_codes(self) -> dict[str, tuple[str, ...]]:
        """Team id -> its area from ``communities`` and ``grids`` (teams with neither left out)."""
        return {
            tid: (*(team.communities or ()), *(team.grids or ()))
            for tid, team in self.teams.items()
            if team.communities is not None or team.grids is not None
        }

    def roaming(self) -> tuple[str, ...]:
        """Ids of the teams with ``roam = true``."""
        return tuple(tid for tid, team in self.teams.items() if team.roam)

    def own_grids(self) -> dict[str, tuple[str, ...]]:
        """Team id -> the grid codes the config gives it (teams without ``grids`` left out)."""
        return {tid: team.grids for tid, team in self.teams.items() if team.grids is not None}


def _key(loc: tuple[int | str, ...], data: Mapping[str, Any]) -> str:
    """``('places', 0, 'prize')`` -> ``places[1] (layer "schools").prize`` (entries count
    from 1)."""
    out = ""
    node: Any = data
    for part in loc:
        if isinstance(part, int):
            out += f"[{part + 1}]"
            node = node[part] if isinstance(node, list | tuple) and part < len(node) else None
            if isinstance(node, Mapping) and "layer" in node:
                out += f" (layer {node['layer']!r})"
        else:
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, Mapping) else None
    return out or "(top level)"


def _problem(error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key; check its spelling against data/config/patrol.example.toml"
    if kind == "missing":
        return (
            'missing; say which layer, e.g. layer = "schools"'
            if error["loc"][-1] == "layer"
            else "missing"
        )
    if kind == "value_error":
        return str(error["ctx"]["error"])
    return f"{error['msg']}, got {error['input']!r}"
