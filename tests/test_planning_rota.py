"""The weekly rota: week and roster parsing, the school calendar, rotas judged by check_rota,
fairness facts, clear errors for weeks that cannot be met, and nights that route."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date

import numpy as np
import pytest

from geogrid.errors import InfeasibleError, InputError
from geogrid.planning.plan import check_plan
from geogrid.planning.problem import PatrolProblem, Stop, Team
from geogrid.planning.rota import (
    Rota,
    RotaNight,
    RotaProblem,
    SchoolCalendar,
    ShiftRule,
    check_rota,
    duties_for,
    night_problem,
    parse_week,
    parse_weekdays,
    rota_document,
    rota_fairness,
    rota_summary,
    shifts_by_day,
    solve_rota,
)
from geogrid.planning.solve import solve_patrol

H = 3600
EVENING = (19 * H, 22 * H)
MORNING = (7 * H, 9 * H)
SCHOOL_WINDOW = (7 * H + 1800, 7 * H + 2400)
CN_2026 = SchoolCalendar.from_strings(
    ["Mon", "Tue", "Wed", "Thu", "Fri"],
    ["2026-01-01/2026-01-03", "2026-10-01/2026-10-07"],
    ["2026-01-04", "2026-09-20", "2026-10-10"],
)


def make_problem(
    teams: Sequence[Team],
    stops: Sequence[Stop],
    *,
    priorities: dict[str, int],
    schools: Sequence[str] = (),
    nights: dict[str, str] | None = None,
    week: str = "2026-W50",
    calendar: SchoolCalendar = CN_2026,
    nights_by_priority: dict[int, int] | None = None,
    rules: Sequence[ShiftRule] = (),
    max_nights: int = 7,
    seed: int = 3,
) -> RotaProblem:
    """Stops and bases at random within 800 m, walking at 1.25 m/s."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 800, (len(stops) + len(teams), 2))
    metres = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    base = PatrolProblem.from_matrix(teams, stops, metres / 1.25, metres=metres)
    label, dates = parse_week(week)
    roster = {t.id: parse_weekdays((nights or {}).get(t.id)) for t in teams}
    duties = duties_for(
        stops,
        priorities=priorities,
        nights_by_priority=nights_by_priority or {5: 7, 4: 4, 3: 2, 2: 1, 1: 0},
        school_stops=schools,
        school_days=[d for d in range(7) if calendar.is_school_day(dates[d])],
    )
    return RotaProblem(
        week=label,
        dates=dates,
        base=base,
        duties=duties,
        available=tuple(tuple(d in roster[t.id] for t in teams) for d in range(7)),
        shifts=shifts_by_day(teams, rules),
        calendar=calendar,
        max_nights_per_team=max_nights,
    )


def evening(tid: str, size: int = 4) -> Team:
    return Team(tid, size=size, shift_start_s=EVENING[0], shift_end_s=EVENING[1], name=f"队{tid}")


def morning(tid: str, size: int = 4) -> Team:
    return Team(tid, size=size, shift_start_s=MORNING[0], shift_end_s=MORNING[1], name=f"队{tid}")


def hotspot(n: int) -> Stop:
    return Stop(f"hotspot-{n}", prize=10, dwell_s=720, name=f"热点{n}")


def school(name: str) -> Stop:
    return Stop(
        f"school-{name}", dwell_s=1500, window_s=SCHOOL_WINDOW, kind="school", name=f"学校{name}"
    )


# ------------------------------------------------------------------ parsing


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("Mon,Tue,Fri", {0, 1, 4}),
        ("mon tue", {0, 1}),
        ("Mon-Fri", {0, 1, 2, 3, 4}),
        ("Fri-Mon", {4, 5, 6, 0}),
        ("周一、周三", {0, 2}),
        ("星期六,周日", {5, 6}),
        ("一三五", {0, 2, 4}),
        ("Saturday", {5}),
        (None, set(range(7))),
        ("", set(range(7))),
        ("every", set(range(7))),
    ],
)
def test_roster_nights_are_read_as_weekdays(text: str | None, days: set[int]) -> None:
    """Roster text in English or Chinese, lists and ranges; nothing means every night."""
    assert parse_weekdays(text) == days


@pytest.mark.parametrize("text", ["Mon,Funday", "8", "Mon-Xyz"])
def test_bad_roster_nights_name_the_value(text: str) -> None:
    """A word that is no weekday is named, with an example of what to write."""
    with pytest.raises(InputError, match=r"is not a weekday.*Mon,Tue,Fri"):
        parse_weekdays(text, "team t1 nights")


def test_iso_weeks() -> None:
    """2026-W50 is Monday 7 to Sunday 13 December; week 53 of 2026 exists, of 2025 not."""
    label, dates = parse_week("2026-W50")
    assert label == "2026-W50" and dates[0] == date(2026, 12, 7) and dates[-1] == date(2026, 12, 13)
    assert parse_week("2026W1")[0] == "2026-W01"
    assert parse_week("2026-W53")[1][0] == date(2026, 12, 28)
    for bad in ("2025-W53", "2026-50", "W50", "2026-W00"):
        with pytest.raises(InputError, match="ISO week like 2026-W50"):
            parse_week(bad)


def test_school_calendar_holidays_and_makeup_days() -> None:
    """Weekdays are school days unless a holiday; a make-up Saturday (调休) is one."""
    assert CN_2026.is_school_day(date(2026, 12, 7))  # Monday
    assert not CN_2026.is_school_day(date(2026, 12, 12))  # Saturday
    assert CN_2026.why_not(date(2026, 12, 12)) == "weekend"
    assert not CN_2026.is_school_day(date(2026, 10, 5))  # National Day week, Monday
    assert CN_2026.why_not(date(2026, 10, 5)) == "holiday"
    assert CN_2026.is_school_day(date(2026, 10, 10))  # Saturday, make-up working day
    assert CN_2026.note(date(2026, 10, 10)) == "调休上课"


def test_bad_calendar_entries_are_all_listed() -> None:
    """Every bad date or weekday in the calendar is one line of the error."""
    with pytest.raises(InputError) as err:
        SchoolCalendar.from_strings(
            ["Mon", "Moon"], ["2026-02-30", "2026-02-20/2026-02-10"], ["tomorrow"]
        )
    text = "\n".join(err.value.problems)
    assert "'Moon'" in text and "'2026-02-30'" in text and "2026-02-20/2026-02-10" in text
    assert "'tomorrow'" in text and len(err.value.problems) == 4


def test_shift_rules_per_weekday() -> None:
    """A rule changes the shift on its weekdays for its teams only; later rules win."""
    teams = [evening("a"), evening("b")]
    rules = [
        ShiftRule.from_strings(["Fri", "Sat"], "19:00", "23:00", None),
        ShiftRule.from_strings(["Sat"], "20:00", "00:30", ["b"]),
    ]
    shifts = shifts_by_day(teams, rules)
    assert shifts[0] == (EVENING, EVENING)
    assert shifts[4] == ((19 * H, 23 * H), (19 * H, 23 * H))
    assert shifts[5] == ((19 * H, 23 * H), (20 * H, 24 * H + 1800))


# ------------------------------------------------------------------ rotas


def test_rota_passes_check_and_respects_roster_and_school_days() -> None:
    """Every rota of solve_rota passes check_rota: teams only on roster nights, each hot spot
    its nights, the school post every school day and never on the weekend."""
    teams = [evening("a"), evening("b"), morning("m")]
    stops = [hotspot(n) for n in range(6)] + [school("A")]
    problem = make_problem(
        teams,
        stops,
        priorities={f"hotspot-{n}": 5 - n for n in range(6)},
        schools=["school-A"],
        nights={"a": "Mon,Tue,Wed", "b": "Thu-Sun"},
    )
    rota = solve_rota(problem, time_limit_s=5, seed=1)
    assert check_rota(problem, rota) == []
    for night in rota.nights:
        assert problem.available[night.day][night.team]
    school_days = sorted(
        n.day for n in rota.nights for i in n.stops if problem.base.stops[i].kind == "school"
    )
    assert school_days == [0, 1, 2, 3, 4]
    served = {i: sum(i in n.stops for n in rota.nights) for i in range(problem.base.n_stops)}
    assert [served[i] for i in range(6)] == [7, 4, 2, 1, 0, 0]  # priorities 5, 4, 3, 2, 1, 0
    assert "week 2026-W50" in rota_summary(problem, rota)


def test_holidays_move_school_posts() -> None:
    """National Day week 2026-W41: no school Mon-Wed (holiday), school on the make-up Saturday."""
    teams = [evening("a"), morning("m")]
    problem = make_problem(
        teams,
        [hotspot(1), school("A")],
        priorities={"hotspot-1": 3},
        schools=["school-A"],
        week="2026-W41",
    )
    rota = solve_rota(problem, time_limit_s=5)
    assert check_rota(problem, rota) == []
    days = sorted(n.day for n in rota.nights if 1 in n.stops)
    assert days == [3, 4, 5]  # Thu 8, Fri 9, Sat 10 October
    document = rota_document(problem, rota, "test")
    assert [d["note"] for d in document["days"]] == [
        "节假日",
        "节假日",
        "节假日",
        "",
        "",
        "调休上课",
        "",
    ]


def test_same_seed_same_rota() -> None:
    """The search runs on one worker: the same seed gives the same rota."""
    teams = [evening("a"), evening("b"), evening("c")]
    problem = make_problem(
        teams,
        [hotspot(n) for n in range(8)],
        priorities={f"hotspot-{n}": 5 - n % 5 for n in range(8)},
    )
    assert solve_rota(problem, seed=4).nights == solve_rota(problem, seed=4).nights


def test_fairness_equal_teams_share_nights_and_hot_spots() -> None:
    """Three equal teams, every night: nights differ by at most one, and a hot spot patrolled
    every night is walked by all three teams."""
    teams = [evening("a"), evening("b"), evening("c")]
    problem = make_problem(
        teams, [hotspot(n) for n in range(4)], priorities={f"hotspot-{n}": 5 for n in range(4)}
    )
    rota = solve_rota(problem, time_limit_s=5)
    fair = rota_fairness(problem, rota)
    nights = [ld.nights for ld in fair.teams]
    assert max(nights) - min(nights) <= 1 and sum(nights) >= 7
    assert fair.per_stop_teams[0] == 3
    assert fair.spread == pytest.approx(1.0)


def test_fairness_follows_volunteers() -> None:
    """A team of six carries about twice the nights of a team of three (nights per volunteer)."""
    teams = [evening("big", size=6), evening("small", size=3)]
    stops = [
        dataclasses.replace(hotspot(n), dwell_s=40 * 60) for n in range(3)
    ]  # one team a night is enough
    problem = make_problem(teams, stops, priorities={f"hotspot-{n}": 5 for n in range(3)})
    rota = solve_rota(problem, time_limit_s=5)
    assert check_rota(problem, rota) == []
    loads = {problem.base.teams[ld.team].id: ld for ld in rota_fairness(problem, rota).teams}
    assert loads["big"].nights > loads["small"].nights
    assert (loads["big"].nights, loads["small"].nights) == (
        5,
        2,
    )  # 5/6 < 3/3: the min-max of nights per volunteer


def test_max_nights_per_team_is_kept() -> None:
    """With a limit of four nights, two teams share a hot spot patrolled every night 4 + 3."""
    problem = make_problem(
        [evening("a"), evening("b")], [hotspot(1)], priorities={"hotspot-1": 5}, max_nights=4
    )
    rota = solve_rota(problem)
    assert sorted(ld.nights for ld in rota_fairness(problem, rota).teams) == [3, 4]


# ------------------------------------------------------------------ impossible weeks


def test_hot_spot_without_enough_nights_is_named() -> None:
    """A priority-5 hot spot needs seven nights; a team on Mon-Fri only cannot: the error names
    the hot spot, the nights it can have and why the others fail."""
    problem = make_problem(
        [evening("a")], [hotspot(7)], priorities={"hotspot-7": 5}, nights={"a": "Mon-Fri"}
    )
    with pytest.raises(InfeasibleError) as err:
        solve_rota(problem)
    (reason,) = err.value.reasons
    assert "热点7 (hotspot-7)" in reason and "needs 7 nights" in reason
    assert "Mon, Tue, Wed, Thu, Fri" in reason and "not on the roster on Sat" in reason
    # what to do (the Shanghai pilot's hot spots peaking at 01:00-03:00 and evening teams)
    assert "[[rota.shifts]]" in str(err.value) and "nights_by_priority" in str(err.value)


def test_school_post_without_a_morning_team_names_the_night() -> None:
    """A school post on a school day with no team that can keep its window names post and date."""
    problem = make_problem(
        [evening("a"), morning("m")],
        [school("A")],
        priorities={},
        schools=["school-A"],
        nights={"m": "Mon,Tue,Thu,Fri"},
    )
    with pytest.raises(InfeasibleError) as err:
        solve_rota(problem)
    (reason,) = err.value.reasons
    assert "school post 学校A (school-A) on Wed 2026-12-09 (school day)" in reason
    assert "a: a arrives" in reason and "window closes 07:40" in reason
    assert "m: m is not on the roster on Wed" in reason


def test_two_school_posts_one_morning_team_is_a_clear_shortfall() -> None:
    """Two posts with the same window and one morning team: each fits alone, not both; the
    error names the posts and the school days they miss."""
    problem = make_problem(
        [morning("m")], [school("A"), school("B")], priorities={}, schools=["school-A", "school-B"]
    )
    with pytest.raises(InfeasibleError) as err:
        solve_rota(problem, time_limit_s=5)
    text = "\n".join(err.value.reasons)
    assert (
        "has no team on Mon 2026-12-07, Tue 2026-12-08, Wed 2026-12-09, Thu 2026-12-10, "
        "Fri 2026-12-11" in text
    )
    assert "学校" in text


def test_full_shifts_name_the_hot_spot_short_of_nights() -> None:
    """Hot spots needing more patrol time than the shifts hold: the error says which hot spot
    gets fewer nights than asked."""
    stops = [dataclasses.replace(hotspot(n), dwell_s=80 * 60) for n in range(3)]
    problem = make_problem([evening("a")], stops, priorities={f"hotspot-{n}": 5 for n in range(3)})
    with pytest.raises(InfeasibleError) as err:
        solve_rota(problem, time_limit_s=5)
    assert any("gets only" in r and "of its 7 nights" in r for r in err.value.reasons)


# ------------------------------------------------------------------ the checker


def test_check_rota_names_each_broken_rule() -> None:
    """Hand-made bad rotas: off-roster night, school post on a Saturday, a stop short of
    nights, two teams on one stop, a team twice a night, too many nights."""
    teams = [evening("a"), morning("m")]
    problem = make_problem(
        teams,
        [hotspot(1), school("A")],
        priorities={"hotspot-1": 2},
        schools=["school-A"],
        nights={"a": "Mon"},
        max_nights=1,
    )
    good = Rota(tuple([RotaNight(0, 0, (0,))] + [RotaNight(d, 1, (1,)) for d in range(5)]))
    problem = dataclasses.replace(problem, max_nights_per_team=7)
    assert check_rota(problem, good) == []
    bad = Rota((RotaNight(2, 0, (0,)), RotaNight(5, 1, (1,)), RotaNight(5, 1, ())))
    text = "\n".join(check_rota(problem, bad))
    assert "a is on duty Wed 2026-12-09, yet its roster nights are Mon" in text
    assert "Sat 2026-12-12 is not a school day (weekend)" in text
    assert "m patrols twice on Sat 2026-12-12" in text
    assert "m is on duty Sat 2026-12-12 with no stop" in text
    assert "school post 学校A (school-A) is patrolled 1 nights (Sat), needs 5" in text
    both = Rota((RotaNight(0, 0, (0,)), RotaNight(0, 1, (0, 1))))
    assert any("covered by a and m" in v for v in check_rota(problem, both))
    tight = dataclasses.replace(problem, max_nights_per_team=2)
    assert any("m patrols 5 nights, more than the limit of 2" in v for v in check_rota(tight, good))


def test_check_rota_refuses_an_unfair_rota() -> None:
    """One team carrying every night while an equal free team could take some is unfair."""
    problem = make_problem([evening("a"), evening("b")], [hotspot(1)], priorities={"hotspot-1": 5})
    lopsided = Rota(tuple(RotaNight(d, 0, (0,)) for d in range(7)))
    (violation,) = {v.split(";")[0] for v in check_rota(problem, lopsided)}
    assert violation.startswith("unfair: a (4 volunteers) patrols 7 nights, b (4) 0")


def test_check_rota_refuses_an_overfull_shift() -> None:
    """More stops than a shift holds (as the rota budgets it) is named with the minutes."""
    stops = [dataclasses.replace(hotspot(n), dwell_s=60 * 60) for n in range(4)]
    problem = make_problem([evening("a")], stops, priorities={})
    full = Rota((RotaNight(0, 0, (0, 1, 2, 3)),))
    assert any(
        "stops take about" in v and "of its shift 19:00-22:00" in v
        for v in check_rota(problem, full)
    )


# ------------------------------------------------------------------ nights


def test_every_night_routes_and_passes_check_plan() -> None:
    """Each night of a rota, cut out as a patrol problem, routes with every assigned stop
    served by its rota team, and the plan passes check_plan."""
    teams = [evening("a"), evening("b"), morning("m")]
    stops = [hotspot(n) for n in range(6)] + [school("A")]
    problem = make_problem(
        teams, stops, priorities={f"hotspot-{n}": 5 - n for n in range(6)}, schools=["school-A"]
    )
    rota = solve_rota(problem, time_limit_s=5)
    for d in range(7):
        night = night_problem(problem, rota, d)
        if night is None:
            continue
        assert all(s.required and s.teams is not None and len(s.teams) == 1 for s in night.stops)
        plan = solve_patrol(night, time_limit_s=1, seed=1, polish=False)
        assert check_plan(night, plan) == []
        assert not plan.skipped
        for route in plan.routes:
            team = night.teams[route.team]
            assert (team.shift_start_s, team.shift_end_s) == problem.shifts[d][
                problem.base.teams.index(next(t for t in problem.base.teams if t.id == team.id))
            ]


def test_nogoods_keep_a_set_off_a_night() -> None:
    """A team-night whose stops proved not to fit in one route is never assigned again."""
    problem = make_problem(
        [evening("a"), evening("b")],
        [hotspot(1), hotspot(2)],
        priorities={"hotspot-1": 5, "hotspot-2": 5},
    )
    rota = solve_rota(problem)
    cut = [(n.day, n.team, frozenset(n.stops)) for n in rota.nights if len(n.stops) == 2][:1]
    assert cut
    again = solve_rota(dataclasses.replace(problem, nogoods=tuple(cut)))
    d, t, stops = cut[0]
    assert not any(n.day == d and n.team == t and set(n.stops) >= stops for n in again.nights)
    assert check_rota(dataclasses.replace(problem, nogoods=tuple(cut)), again) == []
