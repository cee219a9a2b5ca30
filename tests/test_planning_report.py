"""The monthly figures equal the ones computed by hand from a log of known rows.

November 2026: team t1 patrols on the 2nd (Mon), 3rd (Tue, logged twice: the
later row counts) and 7th (Sat); t2 on the 3rd; a row of October and one of
December are left out. School post S is due on school days only (the 7th is a
Saturday, 2 November 2026 a holiday in this calendar).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from geogrid.errors import InputError
from geogrid.planning.report import CAVEAT, latest_rows, month_range, monthly_report
from geogrid.planning.rota import SchoolCalendar

LOG = pd.DataFrame(
    [
        # date,        team, members, planned, done, km,  hours
        ("2026-10-31", "t1", 9, 9, 9, 9.0, 9.0),
        ("2026-11-02", "t1", 3, 4, 3, 2.5, 2.0),
        ("2026-11-03", "t1", 2, 4, 1, 1.0, 1.0),  # corrected below
        ("2026-11-03", "t2", 4, 5, 5, 3.0, 1.5),
        ("2026-11-03", "t1", 3, 4, 4, 2.0, 2.5),
        ("2026-11-07", "t1", 2, 3, 2, 1.5, 1.0),
        ("2026-12-01", "t1", 9, 9, 9, 9.0, 9.0),
    ],
    columns=["date", "team", "members", "planned", "done", "km", "hours"],
)


def visit(
    day: str, team: str, sid: str, kind: str, visited: bool, lon: float = 116.3, lat: float = 40.0
) -> dict:
    return {
        "date": day,
        "team": team,
        "stop_id": sid,
        "name": sid,
        "kind": kind,
        "extra": False,
        "visited": visited,
        "lon": lon,
        "lat": lat,
    }


VISITS = pd.DataFrame(
    [
        visit("2026-11-02", "t1", "S", "school", True),  # holiday: not due
        visit(
            "2026-11-03", "t1", "S", "school", False
        ),  # the corrected row's visits are the later ones
        visit("2026-11-03", "t1", "S", "school", True),
        visit("2026-11-03", "t2", "S", "school", True),  # same post, same day: one duty
        visit("2026-11-07", "t1", "S", "school", False),  # Saturday: not due
        visit("2026-11-02", "t1", "H1", "hotspot", True, 116.300, 40.000),
        visit("2026-11-03", "t2", "H1", "hotspot", True, 116.300, 40.000),
        visit("2026-11-07", "t1", "H2", "hotspot", False, 116.320, 40.000),
        visit("2026-11-07", "t1", "H3", "hotspot", False, 116.340, 40.000),
        visit("2026-10-31", "t1", "H3", "hotspot", True, 116.340, 40.000),  # October
    ]
)
CALENDAR = SchoolCalendar(holidays=frozenset({date(2026, 11, 2)}))


def test_figures_equal_hand_computed() -> None:
    """Patrols, hours, volunteer-hours, km, stops, hot-spot visits and coverage, 护学岗
    attendance."""
    r = monthly_report(LOG, VISITS.drop(index=1), "2026-11", calendar=CALENDAR)
    # the month's rows, the later 11-03 t1 row:
    # (3,4,3,2.5,2.0) (4,5,5,3.0,1.5) (3,4,4,2.0,2.5) (2,3,2,1.5,1.0)
    assert r.patrols == 4 and r.teams == 2
    assert r.hours == pytest.approx(2.0 + 1.5 + 2.5 + 1.0)
    assert r.volunteer_hours == pytest.approx(3 * 2.0 + 4 * 1.5 + 3 * 2.5 + 2 * 1.0)  # 21.5
    assert r.km == pytest.approx(2.5 + 3.0 + 2.0 + 1.5)
    assert (r.planned, r.done) == (16, 14) and r.completion == pytest.approx(14 / 16)
    assert r.hotspot_visits == 2 and len(r.hotspots) == 3  # H1 twice; H2, H3 planned, missed
    assert r.hotspot_coverage == pytest.approx(1 / 3)
    school = r.schools.set_index("stop_id").loc["S"]
    assert (school["school_days"], school["attended"]) == (1, 1)  # only Tue 11-03 is a school day
    assert r.school_attendance == 1.0
    per_team = r.per_team.set_index("team")
    assert per_team.loc["t1", "patrols"] == 3 and per_team.loc[
        "t1", "volunteer_hours"
    ] == pytest.approx(15.5)
    assert list(r.per_day["patrols"]) == [1, 2, 1]
    assert r.figures()["volunteer_hours"] == 21.5 and r.caveat == CAVEAT


def test_missed_school_day_counts_against_attendance() -> None:
    """A school-day duty missed: due 1, attended 0."""
    visits = VISITS[(VISITS["kind"] == "school")].iloc[[1]]
    log = LOG[(LOG["date"] == "2026-11-03") & (LOG["team"] == "t1")].iloc[[0]]
    r = monthly_report(log, visits, "2026-11", calendar=CALENDAR)
    assert (int(r.schools["school_days"].sum()), int(r.schools["attended"].sum())) == (1, 0)


def test_incident_trend_patrolled_vs_other() -> None:
    """Incidents within 150 m of patrolled (H1) and other hot spots (H2, H3, and an area hot spot),
    counted for the month before, the month and the same month a year earlier."""
    inc = pd.DataFrame(
        [
            (116.3001, 40.0, "2026-11-05"),
            (116.3001, 40.0, "2026-11-20"),
            (116.3002, 40.0, "2026-10-10"),
            (116.3001, 40.0, "2025-11-11"),
            (116.3001, 40.0, "2025-11-12"),
            (116.3001, 40.0, "2025-11-13"),
            (116.3201, 40.0, "2026-11-01"),
            (116.3601, 40.0, "2026-11-02"),
            (116.3601, 40.0, "2026-10-02"),
            (116.3300, 40.0, "2026-11-03"),  # 850 m from every hot spot: not counted
        ],
        columns=["lon", "lat", "date"],
    )
    area_spots = pd.DataFrame(
        {"lon": [116.360, 116.3001], "lat": [40.0, 40.0]}
    )  # the 2nd is H1 itself
    r = monthly_report(
        LOG,
        VISITS,
        "2026-11",
        calendar=CALENDAR,
        incidents=inc,
        hotspots=area_spots,
        metric_crs="EPSG:32650",
    )
    trend = r.trend.set_index("group")
    assert trend.loc["patrolled"].tolist() == [1, 1, 2, 3]  # spots, before, month, last year
    assert trend.loc["other"].tolist() == [3, 1, 2, 0]


def test_latest_rows_and_month_range() -> None:
    """A night logged twice counts once (the later row); months are checked."""
    assert len(latest_rows(LOG)) == 6
    assert month_range("2026-02") == (date(2026, 2, 1), date(2026, 2, 28))
    with pytest.raises(InputError, match="YYYY-MM"):
        month_range("11/2026")
