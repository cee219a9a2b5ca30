"""The weekly rota: which team patrols which night and which stops it covers.

Volunteer patrols are organised by the week. A :class:`RotaProblem` holds the
week's seven days, the teams (their roster nights, each day's shift), the
stops of the week (hot spots, school posts, other key places) and one
:class:`Duty` per stop: how many nights it needs and on which days it may be
served (school posts 护学岗 on school days only, see :class:`SchoolCalendar`).
It reuses one :class:`~geogrid.planning.problem.PatrolProblem` (teams, stops,
travel matrices measured once) for the whole week.

:func:`solve_rota` assigns stops to team-nights with CP-SAT
(:mod:`geogrid.planning.solvers.rota`, numbers only), spreading nights fairly
over teams weighted by their volunteers, then hot-spot visits over teams;
:func:`check_rota` judges a rota from the problem alone (roster, nights per
stop, school days, one patrol per team and night, nights per team, the
shift's load, fairness). :func:`night_problem` cuts one night out of the week
as a PatrolProblem for :func:`~geogrid.planning.solve.solve_patrol`, with the
night's stops required and served by their rota team. Days are indices 0-6
(Monday first); times are seconds after midnight of the day (``*_s``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cached_property
from typing import Any

import numpy as np

from geogrid.errors import InfeasibleError, InputError, InternalError
from geogrid.planning.plan import reach_alone
from geogrid.planning.problem import DAY_S, PatrolProblem, Stop, Team, format_hhmm, parse_hhmm
from geogrid.planning.solvers.rota import RotaArrays, solve_assignment

WEEKDAYS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WEEKDAY_ZH: tuple[str, ...] = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_DAY_NAMES: dict[str, int] = {
    **{d.lower(): i for i, d in enumerate(WEEKDAYS)},
    **{
        name: i
        for i, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
    **{z: i for i, z in enumerate(WEEKDAY_ZH)},
    **{"星期" + z[1]: i for i, z in enumerate(WEEKDAY_ZH)},
    **{z[1]: i for i, z in enumerate(WEEKDAY_ZH)},
    "周天": 6,
    "星期天": 6,
    "天": 6,
}
EVERY_NIGHT: frozenset[int] = frozenset(range(7))
WEEK_RE = re.compile(r"^(\d{4})-?W(\d{1,2})$")
FAIR_SCALE = 27_720
"""lcm(1..12): a team's nights are weighted by ``FAIR_SCALE // volunteers`` (whole numbers)."""


# ------------------------------------------------------------------ week and calendar


def parse_week(text: str) -> tuple[str, tuple[date, ...]]:
    """``"2026-W50"`` (ISO week) -> ``("2026-W50", (Mon, ..., Sun))``."""
    m = WEEK_RE.fullmatch(str(text).strip())
    try:
        if m is None:
            raise ValueError
        monday = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError as err:
        raise InputError(
            f"week {text!r}: write an ISO week like 2026-W50 (weeks 01-52, some years 53)"
        ) from err
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}", tuple(monday + timedelta(days=k) for k in range(7))


def parse_weekdays(text: str | Iterable[str] | None, what: str = "nights") -> frozenset[int]:
    """Weekdays from roster text: ``"Mon,Tue,Fri"``, ``"Mon-Fri"``, ``"周一、周三"``, ``"一二五"``.

    None, an empty text, ``"all"``/``"every"``/``"每天"`` mean every day (0 = Monday).
    """
    if text is None:
        return EVERY_NIGHT
    parts = (
        [str(p) for p in text]
        if not isinstance(text, str)
        else re.split(r"[,，、;；/\s]+", text.strip())
    )
    parts = [p.strip() for p in parts if p and p.strip()]
    if not parts or [p.lower() for p in parts] in (["all"], ["every"], ["每天"], ["daily"]):
        return EVERY_NIGHT
    days: set[int] = set()
    bad = []
    for part in parts:
        ends = re.split(r"\s*[-–~至到]\s*", part)
        if len(ends) == 2 and all(e.lower() in _DAY_NAMES for e in ends):
            a, b = (_DAY_NAMES[e.lower()] for e in ends)
            days.update((a + k) % 7 for k in range((b - a) % 7 + 1))
        elif part.lower() in _DAY_NAMES:
            days.add(_DAY_NAMES[part.lower()])
        elif all(ch in "一二三四五六日天" for ch in part):  # 一三五
            days.update(_DAY_NAMES[ch] for ch in part)
        else:
            bad.append(part)
    if bad:
        raise InputError(
            f'{what}: {", ".join(map(repr, bad))} is not a weekday; write e.g. "Mon,Tue,Fri", '
            '"Mon-Fri" or "周一,周三"'
        )
    return frozenset(days)


def day_label(day: date) -> str:
    """``"Tue 2026-12-08"``."""
    return f"{WEEKDAYS[day.weekday()]} {day.isoformat()}"


def _dates(entries: Iterable[str], what: str) -> tuple[set[date], list[str]]:
    out: set[date] = set()
    bad = []
    for n, entry in enumerate(entries, 1):
        try:
            a, _, b = str(entry).partition("/")
            first = date.fromisoformat(a.strip())
            last = date.fromisoformat(b.strip()) if b else first
            if last < first:
                raise ValueError
        except ValueError:
            bad.append(
                f"{what}[{n}]: {entry!r} is not a date YYYY-MM-DD or a range YYYY-MM-DD/YYYY-MM-DD"
            )
            continue
        out.update(first + timedelta(days=k) for k in range((last - first).days + 1))
    return out, bad


@dataclass(frozen=True)
class SchoolCalendar:
    """School days: ``weekdays`` (0 = Monday) minus ``holidays``, plus ``makeup_days`` (调休)."""

    weekdays: frozenset[int] = frozenset(range(5))
    holidays: frozenset[date] = frozenset()
    makeup_days: frozenset[date] = frozenset()

    @classmethod
    def from_strings(
        cls,
        weekdays: Iterable[str],
        holidays: Iterable[str],
        makeup_days: Iterable[str],
        where: str = "rota.calendar",
    ) -> SchoolCalendar:
        """From config text (weekday names, ``YYYY-MM-DD`` or ``YYYY-MM-DD/YYYY-MM-DD``);
        every problem is one line of the InputError."""
        problems = []
        try:
            days = parse_weekdays(list(weekdays), f"{where}.school_weekdays")
        except InputError as err:
            problems.append(str(err))
            days = frozenset()
        off, bad = _dates(holidays, f"{where}.holidays")
        work, bad2 = _dates(makeup_days, f"{where}.makeup_days")
        problems += bad + bad2
        if problems:
            raise InputError(f"{where}: the school calendar has problems", problems)
        return cls(frozenset(days), frozenset(off), frozenset(work))

    def is_school_day(self, day: date) -> bool:
        return day in self.makeup_days or (
            day.weekday() in self.weekdays and day not in self.holidays
        )

    def why_not(self, day: date) -> str:
        """Why ``day`` is no school day ("holiday", "weekend"); empty for a school day."""
        if self.is_school_day(day):
            return ""
        return "holiday" if day in self.holidays else "weekend"

    def note(self, day: date) -> str:
        """Short Chinese mark for a sheet: 节假日, 调休上课, or empty."""
        if day in self.makeup_days:
            return "调休上课"
        if day in self.holidays:
            return "节假日"
        return ""


# ------------------------------------------------------------------ the problem


@dataclass(frozen=True)
class Duty:
    """What the week asks of one stop: ``nights`` nights out of the ``days`` allowed."""

    nights: int
    days: frozenset[int] = EVERY_NIGHT
    kind: str = "hotspot"  # hotspot, school, place
    priority: int | None = None
    why: str = ""


@dataclass(frozen=True)
class ShiftRule:
    """Shift times on some weekdays for some teams (None: every team)."""

    days: frozenset[int]
    start_s: int
    end_s: int
    teams: frozenset[str] | None = None

    @classmethod
    def from_strings(
        cls,
        days: Iterable[str],
        start: str,
        end: str,
        teams: Iterable[str] | None,
        what: str = "rota.shifts",
    ) -> ShiftRule:
        a, b = parse_hhmm(start, f"{what} start"), parse_hhmm(end, f"{what} end")
        return cls(
            parse_weekdays(list(days), f"{what} days"),
            a,
            b + DAY_S if b <= a else b,
            frozenset(teams) if teams is not None else None,
        )


def shifts_by_day(
    teams: Sequence[Team], rules: Sequence[ShiftRule] = ()
) -> tuple[tuple[tuple[int, int], ...], ...]:
    """Per day (Mon first) and team, its shift ``(start_s, end_s)``: the team's own, unless a
    rule for that weekday says otherwise (later rules win)."""
    out = []
    for d in range(7):
        row = []
        for team in teams:
            shift = (team.shift_start_s, team.shift_end_s)
            for rule in rules:
                if d in rule.days and (rule.teams is None or team.id in rule.teams):
                    shift = (rule.start_s, rule.end_s)
            row.append(shift)
        out.append(tuple(row))
    return tuple(out)


def duties_for(
    stops: Sequence[Stop],
    *,
    priorities: Mapping[str, int],
    nights_by_priority: Mapping[int, int],
    school_stops: Iterable[str] = (),
    place_nights: Mapping[str, int] | None = None,
    school_days: Iterable[int] = range(5),
) -> tuple[Duty, ...]:
    """One duty per stop: hot spots (``priorities``: stop id -> 1-5) get
    ``nights_by_priority`` nights, school posts every school day of the week
    (``school_days``), other stops ``place_nights[stop id]`` nights (default 0)."""
    schools = set(school_stops)
    days = frozenset(school_days)
    out = []
    for stop in stops:
        if stop.id in schools:
            out.append(Duty(len(days), days, "school", why="护学岗 every school day"))
        elif stop.id in priorities:
            pri = priorities[stop.id]
            n = min(7, max(0, int(nights_by_priority.get(pri, 0))))
            out.append(Duty(n, EVERY_NIGHT, "hotspot", pri, f"priority {pri}: {n} nights a week"))
        else:
            n = min(7, max(0, int((place_nights or {}).get(stop.id, 0))))
            out.append(Duty(n, EVERY_NIGHT, "place", why=f"{n} nights a week"))
    return tuple(out)


@dataclass(frozen=True, eq=False)
class RotaProblem:
    """One week: the compiled patrol problem of every team and stop, and what the week asks.

    ``base.stops[i]`` is served as ``duties[i]`` says; ``available[d][t]``: team
    ``t`` is on the roster on day ``d``; ``shifts[d][t]`` its shift that day;
    ``nogoods``: ``(day, team, stops)`` that proved not to fit in one route.
    """

    week: str
    dates: tuple[date, ...]
    base: PatrolProblem
    duties: tuple[Duty, ...]
    available: tuple[tuple[bool, ...], ...]
    shifts: tuple[tuple[tuple[int, int], ...], ...]
    calendar: SchoolCalendar = SchoolCalendar()
    max_nights_per_team: int = 7
    load_share: float = 0.85
    nogoods: tuple[tuple[int, int, frozenset[int]], ...] = ()

    def __post_init__(self) -> None:
        problems = []
        n_t = len(self.base.teams)
        if len(self.dates) != 7 or len(self.available) != 7 or len(self.shifts) != 7:
            problems.append("a week has seven dates, availability rows and shift rows")
        if len(self.duties) != self.base.n_stops:
            problems.append(
                f"{len(self.duties)} duties for {self.base.n_stops} stops: give one per stop"
            )
        if any(len(row) != n_t for row in (*self.available, *self.shifts)):
            problems.append("availability and shifts need one entry per team")
        for d, row in enumerate(self.shifts):
            problems += [
                f"{self.base.teams[t].id} on {WEEKDAYS[d]}: shift ends before it starts"
                for t, (a, b) in enumerate(row)
                if b <= a
            ]
        if problems:
            raise InputError("the rota problem is malformed", problems)

    @property
    def n_teams(self) -> int:
        return len(self.base.teams)

    def day_name(self, d: int) -> str:
        return day_label(self.dates[d])

    def stop_name(self, i: int) -> str:
        stop = self.base.stops[i]
        kind = {"hotspot": "hot spot", "school": "school post"}.get(self.duties[i].kind, "place")
        return f"{kind} {stop.name} ({stop.id})"

    def roster(self, t: int) -> str:
        days = [WEEKDAYS[d] for d in range(7) if self.available[d][t]]
        return "every night" if len(days) == 7 else ",".join(days) if days else "no night"

    def day_problem(self, d: int) -> PatrolProblem:
        """The week's patrol problem with every team on its shift of day ``d``."""
        cached = self._day_problems.get(d)
        if cached is None:
            teams = tuple(
                replace(team, shift_start_s=a, shift_end_s=b)
                for team, (a, b) in zip(self.base.teams, self.shifts[d], strict=True)
            )
            cached = replace(self.base, teams=teams)
            self._day_problems[d] = cached
        return cached

    @cached_property
    def _day_problems(self) -> dict[int, PatrolProblem]:
        return {}

    def why_not(self, d: int, t: int, i: int) -> str | None:
        """Why team ``t`` cannot serve stop ``i`` on day ``d`` (None: it can)."""
        team, duty = self.base.teams[t], self.duties[i]
        if d not in duty.days:
            why = self.calendar.why_not(self.dates[d]) if duty.kind == "school" else ""
            return (
                f"{self.day_name(d)} is not a school day ({why})"
                if why
                else f"not on {WEEKDAYS[d]}"
            )
        if not self.available[d][t]:
            return f"{team.id} is not on the roster on {WEEKDAYS[d]} (its nights: {self.roster(t)})"
        if t not in self.base.allowed_teams(self.base.stops[i]):
            return f"{team.id} may not serve it (area or skill)"
        reach = reach_alone(self.day_problem(d), t, i)
        return None if reach is None else reach[1]

    @cached_property
    def eligible(self) -> np.ndarray:
        """``(7, teams, stops)`` bool: team ``t`` may serve stop ``i`` on day ``d``."""
        out = np.zeros((7, self.n_teams, self.base.n_stops), dtype=bool)
        for d in range(7):
            for t in range(self.n_teams):
                for i in range(self.base.n_stops):
                    out[d, t, i] = self.why_not(d, t, i) is None
        out.setflags(write=False)
        return out


def stop_load_s(problem: RotaProblem, t: int, i: int) -> int:
    """What stop ``i`` takes of team ``t``'s shift: its dwell and half the way there and back."""
    base = problem.base
    k = base.matrix_of_team[t]
    go = int(base.travel_s[k, base.start_loc[t], i])
    back = int(base.travel_s[k, i, base.end_loc[t]])
    return base.stops[i].dwell_s + (go + back) // 2


def shift_budget_s(problem: RotaProblem, d: int, t: int) -> int:
    """The share of team ``t``'s shift on day ``d`` the rota may fill (``load_share``)."""
    a, b = problem.shifts[d][t]
    return int(problem.load_share * (b - a))


def window_clash(problem: RotaProblem, t: int, i: int, j: int) -> bool:
    """True when team ``t`` cannot serve windowed stops ``i`` and ``j`` in one night, in either
    order."""
    base = problem.base
    si, sj = base.stops[i], base.stops[j]
    if si.window_s is None or sj.window_s is None:
        return False
    k = base.matrix_of_team[t]

    def fits(a: Stop, b: Stop, ia: int, ib: int) -> bool:
        assert a.window_s is not None and b.window_s is not None
        return a.window_s[0] + a.dwell_s + int(base.travel_s[k, ia, ib]) <= b.window_s[1]

    return not fits(si, sj, i, j) and not fits(sj, si, j, i)


# ------------------------------------------------------------------ the rota


@dataclass(frozen=True)
class RotaNight:
    """One team's patrol on one day of the week: the stops it covers (``base`` indices)."""

    day: int
    team: int
    stops: tuple[int, ...]


@dataclass(frozen=True)
class Rota:
    """A week's rota: one :class:`RotaNight` per team on duty and day, by day then team."""

    nights: tuple[RotaNight, ...]
    optimal: bool = False
    solve_s: float = 0.0
    seed: int = 0
    moves: int = 0  # whole nights moved to a less loaded team after the search

    def of_day(self, d: int) -> list[RotaNight]:
        return [n for n in self.nights if n.day == d]

    def of_team(self, t: int) -> list[RotaNight]:
        return [n for n in self.nights if n.team == t]


@dataclass(frozen=True)
class TeamLoad:
    """A team's week: nights on duty, stop visits and the nights per volunteer weight."""

    team: int
    nights: int
    visits: int
    size: int
    roster_nights: int
    weighted_nights: float  # nights x mean team size / size: equal for a fair rota
    hotspots: int = 0


@dataclass(frozen=True)
class RotaFairness:
    """How fairly the week is shared (:func:`rota_fairness`)."""

    teams: tuple[TeamLoad, ...]
    max_weighted_nights: float
    spread: float  # mean over stops with 2+ nights of distinct teams / the most it could have
    per_stop_teams: dict[int, int] = field(default_factory=dict)


def _weights(problem: RotaProblem) -> list[int]:
    """Per team: ``FAIR_SCALE // volunteers`` (a night of a small team weighs more)."""
    return [max(1, FAIR_SCALE // max(team.size, 1)) for team in problem.base.teams]


def _better_home(
    problem: RotaProblem, rota_nights: Sequence[RotaNight], night: RotaNight
) -> int | None:
    """A team that could take ``night`` whole and is less loaded even after taking it."""
    w = _weights(problem)
    count = [0] * problem.n_teams
    for n in rota_nights:
        count[n.team] += 1
    busy = {(n.day, n.team) for n in rota_nights}
    a = night.team
    for b in range(problem.n_teams):
        if b == a or (night.day, b) in busy or count[b] + 1 > problem.max_nights_per_team:
            continue
        if (count[b] + 1) * w[b] >= count[a] * w[a]:
            continue
        if _night_problems(problem, night.day, b, night.stops):
            continue
        return b
    return None


def _night_problems(problem: RotaProblem, d: int, t: int, stops: Sequence[int]) -> list[str]:
    """Why team ``t`` cannot cover ``stops`` on day ``d`` (empty: it can, as the rota judges)."""
    out = []
    team = problem.base.teams[t]
    if not problem.available[d][t]:
        out.append(
            f"{team.id} is on duty {problem.day_name(d)}, yet its roster nights are "
            f"{problem.roster(t)}"
        )
    for i in stops:
        if problem.available[d][t]:
            why = problem.why_not(d, t, i)
            if why is not None:
                out.append(f"{team.id} on {problem.day_name(d)} at {problem.stop_name(i)}: {why}")
    need = sum(stop_load_s(problem, t, i) for i in stops)
    budget = shift_budget_s(problem, d, t)
    if need > budget:
        a, b = problem.shifts[d][t]
        out.append(
            f"{team.id} on {problem.day_name(d)}: its stops take about {need // 60} min, more than "
            f"{problem.load_share:.0%} of its shift {format_hhmm(a)}-{format_hhmm(b)} "
            f"({budget // 60} min)"
        )
    for x, i in enumerate(stops):
        for j in stops[x + 1 :]:
            if window_clash(problem, t, i, j):
                out.append(
                    f"{team.id} on {problem.day_name(d)}: {problem.stop_name(i)} and "
                    f"{problem.stop_name(j)} have windows one team cannot both keep"
                )
    chosen = frozenset(stops)
    for nd, nt, bad in problem.nogoods:
        if nd == d and nt == t and bad <= chosen:
            out.append(
                f"{team.id} on {problem.day_name(d)}: its stops proved not to fit in one route"
            )
    return out


def check_rota(problem: RotaProblem, rota: Rota) -> list[str]:
    """Every rule ``rota`` breaks (empty list: the rota is valid), from the problem alone.

    Checks the roster (a team only on its nights), each stop's allowed days
    (school posts on school days only: weekends and holidays off, make-up
    days on), that a team can reach and serve each stop in that day's shift,
    one patrol per team and night and one team per stop and night, the
    nights each stop needs, the nights per team limit, the load of each
    shift, and fairness: no whole night could go to another free team that
    would still carry fewer nights per volunteer than the team giving it up.
    """
    out: list[str] = []
    seen_night: set[tuple[int, int]] = set()
    served: dict[tuple[int, int], int] = {}
    nights_of = [0] * problem.n_teams
    for night in rota.nights:
        if not (0 <= night.day < 7 and 0 <= night.team < problem.n_teams):
            out.append(
                f"rota entry day {night.day} team {night.team} is outside the week or the teams"
            )
            continue
        team = problem.base.teams[night.team]
        if (night.day, night.team) in seen_night:
            out.append(
                f"{team.id} patrols twice on {problem.day_name(night.day)}; one patrol a night"
            )
        seen_night.add((night.day, night.team))
        nights_of[night.team] += 1
        if not night.stops:
            out.append(f"{team.id} is on duty {problem.day_name(night.day)} with no stop")
        bad_index = [i for i in night.stops if not 0 <= i < problem.base.n_stops]
        if bad_index:
            out.append(
                f"{team.id} on {problem.day_name(night.day)}: stops {bad_index} do not exist"
            )
            continue
        if len(set(night.stops)) != len(night.stops):
            out.append(f"{team.id} on {problem.day_name(night.day)}: a stop is listed twice")
        out += _night_problems(problem, night.day, night.team, night.stops)
        for i in night.stops:
            if (night.day, i) in served and served[(night.day, i)] != night.team:
                other = problem.base.teams[served[(night.day, i)]].id
                out.append(
                    f"{problem.stop_name(i)} is covered by {other} and {team.id} on "
                    f"{problem.day_name(night.day)}; one team a night is enough"
                )
            served[(night.day, i)] = night.team
    for i, duty in enumerate(problem.duties):
        days = sorted({d for d, j in served if j == i})
        if len(days) != duty.nights:
            out.append(
                f"{problem.stop_name(i)} is patrolled {len(days)} nights "
                f"({', '.join(WEEKDAYS[d] for d in days) or 'none'}), needs {duty.nights} "
                f"({duty.why})"
            )
    for t, n in enumerate(nights_of):
        if n > problem.max_nights_per_team:
            out.append(
                f"{problem.base.teams[t].id} patrols {n} nights, "
                f"more than the limit of {problem.max_nights_per_team}"
            )
    if not out:  # fairness judges a rota that is otherwise valid
        for night in rota.nights:
            b = _better_home(problem, rota.nights, night)
            if b is not None:
                ta, tb = problem.base.teams[night.team], problem.base.teams[b]
                out.append(
                    f"unfair: {ta.id} ({max(ta.size, 1)} volunteers) patrols "
                    f"{nights_of[night.team]} nights, "
                    f"{tb.id} ({max(tb.size, 1)}) {nights_of[b]}; {tb.id} is free on "
                    f"{problem.day_name(night.day)} and could take that night whole"
                )
    return out


def rota_fairness(problem: RotaProblem, rota: Rota) -> RotaFairness:
    """Nights and visits per team, nights per volunteer weight and the spread of stops over
    teams."""
    sizes = [max(t.size, 1) for t in problem.base.teams]
    mean = sum(sizes) / len(sizes)
    teams_of_stop: dict[int, set[int]] = {}
    visits_of_stop: dict[int, int] = {}
    loads = []
    for t in range(problem.n_teams):
        mine = rota.of_team(t)
        spots = {i for n in mine for i in n.stops if problem.duties[i].kind == "hotspot"}
        loads.append(
            TeamLoad(
                team=t,
                nights=len(mine),
                visits=sum(len(n.stops) for n in mine),
                size=sizes[t],
                roster_nights=sum(problem.available[d][t] for d in range(7)),
                weighted_nights=len(mine) * mean / sizes[t],
                hotspots=len(spots),
            )
        )
        for n in mine:
            for i in n.stops:
                teams_of_stop.setdefault(i, set()).add(t)
                visits_of_stop[i] = visits_of_stop.get(i, 0) + 1
    ratios = []
    for i, teams in teams_of_stop.items():
        if visits_of_stop[i] >= 2:
            could = {t for t in range(problem.n_teams) if problem.eligible[:, t, i].any()}
            best = min(visits_of_stop[i], len(could))
            ratios.append(len(teams) / best if best else 1.0)
    return RotaFairness(
        teams=tuple(loads),
        max_weighted_nights=max((ld.weighted_nights for ld in loads), default=0.0),
        spread=sum(ratios) / len(ratios) if ratios else 1.0,
        per_stop_teams={i: len(ts) for i, ts in teams_of_stop.items()},
    )


# ------------------------------------------------------------------ solving


def explain_rota_infeasible(problem: RotaProblem) -> list[str]:
    """Reasons, one per stop (school posts: per night), why the week cannot be met at all."""
    reasons = []
    for i, duty in enumerate(problem.duties):
        if duty.nights == 0:
            continue
        days = [d for d in range(7) if problem.eligible[d, :, i].any()]
        if duty.kind == "school":
            for d in sorted(duty.days):
                if d not in days:
                    why = "; ".join(
                        f"{tm.id}: {problem.why_not(d, t, i)}"
                        for t, tm in enumerate(problem.base.teams)
                    )
                    reasons.append(
                        f"{problem.stop_name(i)} on {problem.day_name(d)} (school day): "
                        f"no team can serve it - {why}"
                    )
        elif len(days) < duty.nights:
            lost = [d for d in range(7) if d not in days]
            sample = lost[0] if lost else 0
            why = "; ".join(
                f"{tm.id}: {problem.why_not(sample, t, i)}"
                for t, tm in enumerate(problem.base.teams)
            )
            reasons.append(
                f"{problem.stop_name(i)} needs {duty.nights} nights a week ({duty.why}), but only "
                f"{len(days)} nights ({', '.join(WEEKDAYS[d] for d in days) or 'none'}) have a "
                "team that can "
                f"serve it; e.g. {problem.day_name(sample)}: {why}"
            )
    return reasons


def rota_arrays(problem: RotaProblem, *, soft: bool = False) -> RotaArrays:
    """The week as the solver sees it: numbers only."""
    n_t, n_s = problem.n_teams, problem.base.n_stops
    load = np.array(
        [[stop_load_s(problem, t, i) for i in range(n_s)] for t in range(n_t)], dtype=np.int64
    )
    budget = np.array(
        [
            [shift_budget_s(problem, d, t) if problem.available[d][t] else 0 for t in range(n_t)]
            for d in range(7)
        ],
        dtype=np.int64,
    )
    windowed = [i for i, s in enumerate(problem.base.stops) if s.window_s is not None]
    clashes = [
        (t, i, j)
        for t in range(n_t)
        for x, i in enumerate(windowed)
        for j in windowed[x + 1 :]
        if window_clash(problem, t, i, j)
    ]
    return RotaArrays(
        eligible=np.asarray(problem.eligible),
        load=load,
        budget=budget,
        nights=np.array([d.nights for d in problem.duties], dtype=np.int64),
        weight=np.array(_weights(problem), dtype=np.int64),
        max_nights=problem.max_nights_per_team,
        clashes=tuple(clashes),
        nogoods=tuple((d, t, tuple(sorted(s))) for d, t, s in problem.nogoods),
        soft=soft,
    )


def solve_rota(problem: RotaProblem, *, time_limit_s: float = 10.0, seed: int = 0) -> Rota:
    """The fairest rota the search finds; :class:`InfeasibleError` naming every stop (and
    night) that cannot get what the week asks.

    Objective, in this order: the most nights per volunteer weight of any team,
    the most stop visits per volunteer weight, hot-spot visits spread over
    teams and nights, then the sum of squared weighted nights. A last pass
    gives a whole night to a free, less loaded team while one can take it
    (the fairness rule of :func:`check_rota`). Raises
    :class:`~geogrid.errors.InternalError` if the result fails :func:`check_rota`.
    """
    reasons = explain_rota_infeasible(problem)
    if reasons:
        raise InfeasibleError(
            f"week {problem.week}: the rota cannot give every stop its nights; for each stop "
            "below, let a team reach it (the teams' nights on the roster, [[rota.shifts]] "
            "times that meet its window), ask fewer nights ([rota] nights_by_priority, "
            "place_nights) or leave it out of the config",
            reasons,
        )
    result = solve_assignment(rota_arrays(problem), time_limit_s=time_limit_s, seed=seed)
    if not result.found:
        relaxed = solve_assignment(
            rota_arrays(problem, soft=True), time_limit_s=time_limit_s, seed=seed
        )
        raise InfeasibleError(
            f"week {problem.week}: the teams' nights cannot hold every stop's nights",
            _shortfalls(problem, relaxed.assign)
            if relaxed.found
            else [f"searched {result.solve_s:.1f} s without a rota; a longer time limit may help"],
        )
    nights = _nights_of(result.assign)
    nights, moves = _balance(problem, nights)
    rota = Rota(
        tuple(nights), optimal=result.optimal, solve_s=result.solve_s, seed=seed, moves=moves
    )
    violations = check_rota(problem, rota)
    if violations:
        raise InternalError(
            "the rota search returned a rota that fails check_rota; this is a bug in geogrid - "
            "please report it with the week, the teams, the stops, the config and these "
            "violations:\n" + "\n".join(f"  - {v}" for v in violations)
        )
    return rota


def _nights_of(assign: np.ndarray) -> list[RotaNight]:
    out = []
    for d in range(assign.shape[0]):
        for t in range(assign.shape[1]):
            stops = tuple(int(i) for i in np.flatnonzero(assign[d, t]))
            if stops:
                out.append(RotaNight(d, t, stops))
    return out


def _balance(problem: RotaProblem, nights: list[RotaNight]) -> tuple[list[RotaNight], int]:
    """Move whole nights to a free, less loaded team until none can (each move lowers the
    sorted weighted loads, so this ends)."""
    moves = 0
    changed = True
    while changed:
        changed = False
        for k, night in enumerate(nights):
            b = _better_home(problem, nights, night)
            if b is not None:
                nights[k] = RotaNight(night.day, b, night.stops)
                moves += 1
                changed = True
                break
    return sorted(nights, key=lambda n: (n.day, n.team)), moves


def _shortfalls(problem: RotaProblem, assign: np.ndarray) -> list[str]:
    """What the fullest rota still misses, per stop (school posts with the nights)."""
    out = []
    for i, duty in enumerate(problem.duties):
        days = [d for d in range(7) if assign[d, :, i].any()]
        if len(days) >= duty.nights:
            continue
        if duty.kind == "school":
            missing = [problem.day_name(d) for d in sorted(duty.days) if d not in days]
            out.append(
                f"{problem.stop_name(i)} has no team on {', '.join(missing)} (school days): "
                "the teams that can serve it are full or already at another post in its window"
            )
        else:
            out.append(
                f"{problem.stop_name(i)} gets only {len(days)} of its {duty.nights} nights "
                f"({duty.why}): the shifts of the teams that can serve it are full; lower "
                "rota.nights_by_priority, add roster nights or raise rota.load_share"
            )
    return out or ["the week is too full; add roster nights or teams, or lower the nights asked"]


# ------------------------------------------------------------------ nights


def night_problem(
    problem: RotaProblem, rota: Rota, d: int, teams: Iterable[int] | None = None
) -> PatrolProblem | None:
    """Day ``d`` of the week as a patrol problem: the teams on duty (or ``teams`` of them) on
    that day's shift, the stops the rota gives them, each required and served by its team.
    None when nobody is on duty."""
    want = set(teams) if teams is not None else None
    nights = [n for n in rota.of_day(d) if want is None or n.team in want]
    if not nights:
        return None
    base = problem.base
    day = problem.day_problem(d)
    stop_idx = [i for n in nights for i in n.stops]
    team_idx = [n.team for n in nights]
    stops = [
        replace(base.stops[i], required=True, teams=frozenset({base.teams[n.team].id}))
        for n in nights
        for i in n.stops
    ]
    locs = stop_idx + [base.start_loc[t] for t in team_idx]
    ends = stop_idx + [base.end_loc[t] for t in team_idx]
    if ends != locs:  # separate end locations: keep them after the starts
        locs = locs + [base.end_loc[t] for t in team_idx]
        end_loc = [len(stop_idx) + len(team_idx) + k for k in range(len(team_idx))]
    else:
        end_loc = [len(stop_idx) + k for k in range(len(team_idx))]
    idx = np.array(locs)
    return PatrolProblem.from_matrix(
        [day.teams[t] for t in team_idx],
        stops,
        base.travel_s[:, idx][:, :, idx],
        metres=base.metres[:, idx][:, :, idx],
        matrix_of_team=[base.matrix_of_team[t] for t in team_idx],
        start_loc=[len(stop_idx) + k for k in range(len(team_idx))],
        end_loc=end_loc,
        metric_crs=base.metric_crs,
    )


def rota_summary(problem: RotaProblem, rota: Rota) -> str:
    """Plain lines for the CLI: the week, one line per day and per team, fairness."""
    fair = rota_fairness(problem, rota)
    lines = [
        f"week {problem.week} ({problem.dates[0]} - {problem.dates[-1]}): "
        f"{len(rota.nights)} team-nights, {sum(len(n.stops) for n in rota.nights)} stop visits, "
        f"{'optimal' if rota.optimal else 'best found'} in {rota.solve_s:.1f} s"
    ]
    for d in range(7):
        day = problem.dates[d]
        mark = "school" if problem.calendar.is_school_day(day) else problem.calendar.why_not(day)
        parts = [f"{problem.base.teams[n.team].id} {len(n.stops)} stops" for n in rota.of_day(d)]
        lines.append(f"  {problem.day_name(d)} ({mark}): {', '.join(parts) or 'nobody on duty'}")
    for ld in fair.teams:
        team = problem.base.teams[ld.team]
        lines.append(
            f"  {team.id} {team.name}: {ld.nights} nights of {ld.roster_nights} on the roster, "
            f"{ld.visits} visits, {ld.size} volunteers, {ld.weighted_nights:.1f} nights per "
            "volunteer weight"
        )
    lines.append(f"  hot spots spread over teams: {fair.spread:.0%} of the most possible")
    return "\n".join(lines)


def rota_document(problem: RotaProblem, rota: Rota, area: str = "") -> dict[str, Any]:
    """The rota as plain JSON-ready data: days x teams with their stops, teams, stops, fairness
    (what ``rota.json`` holds and the rota sheets print)."""
    base = problem.base
    fair = rota_fairness(problem, rota)
    days = []
    for d, day in enumerate(problem.dates):
        teams = []
        for night in rota.of_day(d):
            team = base.teams[night.team]
            a, b = problem.shifts[d][night.team]
            teams.append(
                {
                    "team": team.id,
                    "team_name": team.name or team.id,
                    "shift": f"{format_hhmm(a)}–{format_hhmm(b)}",
                    "stops": [
                        {
                            "id": base.stops[i].id,
                            "name": base.stops[i].name or base.stops[i].id,
                            "kind": base.stops[i].kind,
                            "duty": problem.duties[i].kind,
                            "priority": problem.duties[i].priority,
                        }
                        for i in night.stops
                    ],
                }
            )
        days.append(
            {
                "date": day.isoformat(),
                "weekday": WEEKDAYS[d],
                "weekday_zh": WEEKDAY_ZH[d],
                "school_day": problem.calendar.is_school_day(day),
                "note": problem.calendar.note(day),
                "teams": teams,
            }
        )
    served: dict[int, list[str]] = {}
    for night in rota.nights:
        for i in night.stops:
            served.setdefault(i, []).append(problem.dates[night.day].isoformat())
    return {
        "area": area,
        "week": problem.week,
        "dates": [d.isoformat() for d in problem.dates],
        "seed": rota.seed,
        "optimal": rota.optimal,
        "solve_s": round(rota.solve_s, 2),
        "moves": rota.moves,
        "days": days,
        "teams": [
            {
                "team": base.teams[ld.team].id,
                "team_name": base.teams[ld.team].name or base.teams[ld.team].id,
                "leader": base.teams[ld.team].leader,
                "size": ld.size,
                "mode": base.teams[ld.team].mode,
                "roster": problem.roster(ld.team),
                "nights": ld.nights,
                "visits": ld.visits,
                "hotspots": ld.hotspots,
                "weighted_nights": round(ld.weighted_nights, 2),
            }
            for ld in fair.teams
        ],
        "stops": [
            {
                "id": stop.id,
                "name": stop.name or stop.id,
                "kind": problem.duties[i].kind,
                "priority": problem.duties[i].priority,
                "nights": problem.duties[i].nights,
                "why": problem.duties[i].why,
                "days": sorted(served.get(i, [])),
                "teams": fair.per_stop_teams.get(i, 0),
            }
            for i, stop in enumerate(base.stops)
        ],
        "fairness": {
            "max_weighted_nights": round(fair.max_weighted_nights, 2),
            "spread": round(fair.spread, 3),
        },
    }
