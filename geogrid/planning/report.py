"""A month of patrols in figures: the staff report behind ``geogrid report``.

Pure: the patrol log (one row per patrol: date, team, members present,
stops planned and done, km, hours), the stops of each logged patrol (planned,
visited), the school calendar, and the incidents near the hot spots in;
a :class:`MonthlyReport` out. Every figure is a sum over the log's rows of the
month, so a test can recompute it by hand. Where a date and team were logged
twice (a corrected upload), the later row counts.

The incident trend compares hot spots patrolled in the month with the other
hot spots (month before, the month, the same month a year earlier). It is
descriptive, not causal: patrols go where incidents are, and a change has
many causes. Raw counts: a staff report, never published as it is (public
figures come only through ``geogrid.release``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geogrid.crs import WGS84
from geogrid.errors import InputError
from geogrid.planning.rota import SchoolCalendar

LOG_COLUMNS = ("date", "team", "members", "planned", "done", "km", "hours")
VISIT_COLUMNS = ("date", "team", "stop_id", "name", "kind", "extra", "visited", "lon", "lat")
#: stop kinds that are school posts (护学岗)
SCHOOL_KINDS = ("school", "kindergarten")
CAVEAT = "描述性统计，非因果结论 · descriptive, not causal"


@dataclass(frozen=True)
class MonthlyReport:
    """The figures of one month (``YYYY-MM``); tables as pandas frames."""

    month: str
    patrols: int
    teams: int
    hours: float
    volunteer_hours: float
    km: float
    planned: int
    done: int
    per_team: pd.DataFrame  #: team, patrols, members, hours, volunteer_hours, km, planned, done
    per_day: pd.DataFrame  #: date, patrols, volunteer_hours, km
    hotspots: pd.DataFrame  #: stop_id, name, planned, visited (passes)
    schools: pd.DataFrame  #: stop_id, name, school_days (planned), attended
    trend: pd.DataFrame  #: group, spots, before, month, last_year
    caveat: str = CAVEAT

    @property
    def completion(self) -> float:
        return self.done / self.planned if self.planned else 0.0

    @property
    def hotspot_visits(self) -> int:
        return int(self.hotspots["visited"].sum()) if len(self.hotspots) else 0

    @property
    def hotspot_coverage(self) -> float:
        """Share of the month's planned hot spots visited at least once."""
        if not len(self.hotspots):
            return 0.0
        return float((self.hotspots["visited"] > 0).mean())

    @property
    def school_attendance(self) -> float:
        """Share of school-day 护学岗 duties attended."""
        days = int(self.schools["school_days"].sum()) if len(self.schools) else 0
        return int(self.schools["attended"].sum()) / days if days else 0.0

    def figures(self) -> dict[str, float | int | str]:
        """The headline figures, named (the CSV's and the PDF's first table)."""
        return {
            "month": self.month,
            "patrols": self.patrols,
            "teams": self.teams,
            "hours": round(self.hours, 2),
            "volunteer_hours": round(self.volunteer_hours, 2),
            "km": round(self.km, 2),
            "stops_planned": self.planned,
            "stops_done": self.done,
            "completion": round(self.completion, 4),
            "hotspot_visits": self.hotspot_visits,
            "hotspots_planned": len(self.hotspots),
            "hotspot_coverage": round(self.hotspot_coverage, 4),
            "school_days_planned": int(self.schools["school_days"].sum())
            if len(self.schools)
            else 0,
            "school_days_attended": int(self.schools["attended"].sum()) if len(self.schools) else 0,
            "school_attendance": round(self.school_attendance, 4),
        }


def month_range(month: str) -> tuple[date, date]:
    """First and last day of ``YYYY-MM``; InputError naming the format otherwise."""
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError as err:
        raise InputError(f"month {month!r}: write it as YYYY-MM, e.g. 2026-11") from err
    nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


def _shift_month(first: date, months: int) -> str:
    n = first.year * 12 + first.month - 1 + months
    return f"{n // 12:04d}-{n % 12 + 1:02d}"


def latest_rows(logs: pd.DataFrame) -> pd.DataFrame:
    """The log with one row per (date, team): the later of rows logged twice."""
    return logs.drop_duplicates(subset=["date", "team"], keep="last").reset_index(drop=True)


def monthly_report(
    logs: pd.DataFrame,
    visits: pd.DataFrame,
    month: str,
    *,
    calendar: SchoolCalendar | None = None,
    incidents: pd.DataFrame | None = None,
    hotspots: pd.DataFrame | None = None,
    metric_crs: str | None = None,
    radius_m: float = 150.0,
    school_kinds: tuple[str, ...] = SCHOOL_KINDS,
) -> MonthlyReport:
    """The month's figures from the patrol log and the logged stops.

    ``logs`` has :data:`LOG_COLUMNS` (``members``: people present, a number),
    ``visits`` :data:`VISIT_COLUMNS`. ``incidents`` (columns lon, lat, date) and
    ``hotspots`` (the area's ranked hot spots: lon, lat, optional name) feed the
    trend; without them the trend is empty.
    """
    first, last = month_range(month)
    lo, hi = first.isoformat(), last.isoformat()
    logs = latest_rows(pd.DataFrame(logs, columns=list(LOG_COLUMNS)))
    rows = logs[(logs["date"] >= lo) & (logs["date"] <= hi)].copy()
    rows["volunteer_hours"] = rows["members"].astype(float) * rows["hours"].astype(float)
    per_team = (
        rows.groupby("team", sort=True)
        .agg(
            patrols=("date", "size"),
            members=("members", "sum"),
            hours=("hours", "sum"),
            volunteer_hours=("volunteer_hours", "sum"),
            km=("km", "sum"),
            planned=("planned", "sum"),
            done=("done", "sum"),
        )
        .reset_index()
    )
    per_day = (
        rows.groupby("date", sort=True)
        .agg(patrols=("team", "size"), volunteer_hours=("volunteer_hours", "sum"), km=("km", "sum"))
        .reset_index()
    )
    stops = pd.DataFrame(visits, columns=list(VISIT_COLUMNS))
    stops = stops[(stops["date"] >= lo) & (stops["date"] <= hi)]
    logged = set(zip(rows["date"], rows["team"], strict=True))
    stops = stops.loc[
        np.array(
            [(d, t) in logged for d, t in zip(stops["date"], stops["team"], strict=True)],
            dtype=bool,
        )
    ]
    stops = stops.assign(visited=stops["visited"].astype(bool))
    spots = stops[stops["kind"] == "hotspot"]
    hot = (
        spots.groupby("stop_id", sort=True)
        .agg(
            name=("name", "first"),
            lon=("lon", "first"),
            lat=("lat", "first"),
            planned=("visited", "size"),
            visited=("visited", "sum"),
        )
        .reset_index()
    )
    if not len(spots):
        hot = pd.DataFrame(columns=["stop_id", "name", "lon", "lat", "planned", "visited"])
    hot["visited"] = hot["visited"].astype(int)
    calendar = calendar or SchoolCalendar()
    posts = stops[stops["kind"].isin(school_kinds) & ~stops["extra"].astype(bool)]
    posts = posts.loc[
        np.array([calendar.is_school_day(date.fromisoformat(d)) for d in posts["date"]], dtype=bool)
    ]
    posts = posts.drop_duplicates(subset=["date", "stop_id"], keep="last") if len(posts) else posts
    schools = (
        posts.groupby("stop_id", sort=True)
        .agg(name=("name", "first"), school_days=("date", "nunique"), attended=("visited", "sum"))
        .reset_index()
    )
    if not len(posts):
        schools = pd.DataFrame(columns=["stop_id", "name", "school_days", "attended"])
    schools["attended"] = schools["attended"].astype(int)
    trend = _trend(hot, first, incidents, hotspots, metric_crs, radius_m)
    return MonthlyReport(
        month=month,
        patrols=len(rows),
        teams=int(rows["team"].nunique()),
        hours=float(rows["hours"].sum()),
        volunteer_hours=float(rows["volunteer_hours"].sum()),
        km=float(rows["km"].sum()),
        planned=int(rows["planned"].sum()),
        done=int(rows["done"].sum()),
        per_team=per_team,
        per_day=per_day,
        hotspots=hot[["stop_id", "name", "planned", "visited"]],
        schools=schools[["stop_id", "name", "school_days", "attended"]],
        trend=trend,
    )


def _trend(
    hot: pd.DataFrame,
    first: date,
    incidents: pd.DataFrame | None,
    hotspots: pd.DataFrame | None,
    metric_crs: str | None,
    radius_m: float,
) -> pd.DataFrame:
    """Incidents within ``radius_m`` of the patrolled hot spots and of the others, by period."""
    columns = ["group", "spots", "before", "month", "last_year"]
    if (
        incidents is None
        or metric_crs is None
        or (not len(hot) and (hotspots is None or not len(hotspots)))
    ):
        return pd.DataFrame(columns=columns)
    to_m = Transformer.from_crs(WGS84, metric_crs, always_xy=True)

    def xy(frame: pd.DataFrame) -> np.ndarray:
        x, y = to_m.transform(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float))
        return np.column_stack([x, y])

    patrolled = xy(hot[hot["visited"] > 0]) if len(hot) else np.empty((0, 2))
    others = [xy(hot[hot["visited"] == 0])] if len(hot) else []
    if hotspots is not None and len(hotspots):
        extra = xy(hotspots)
        if len(patrolled):
            dist = shapely.distance(
                shapely.points(extra)[:, None], shapely.points(patrolled)[None, :]
            ).min(axis=1)
            extra = extra[dist > radius_m]
        others.append(extra)
    other = np.vstack(others) if others else np.empty((0, 2))
    inc = incidents.copy()
    inc["month"] = [str(d)[:7] for d in inc["date"]]
    periods = {
        "before": _shift_month(first, -1),
        "month": _shift_month(first, 0),
        "last_year": _shift_month(first, -12),
    }
    inc = inc[inc["month"].isin(list(periods.values()))]
    pts = shapely.points(xy(inc)) if len(inc) else np.array([])

    def near(spots: np.ndarray) -> np.ndarray:
        if not len(spots) or not len(pts):
            return np.zeros(len(pts), bool)
        return np.asarray(
            shapely.distance(pts[:, None], shapely.points(spots)[None, :]).min(axis=1) <= radius_m
        )

    near_patrolled = near(patrolled)
    near_other = near(other) & ~near_patrolled  # an incident near both counts for the patrolled
    out = []
    for group, mask, spots in (
        ("patrolled", near_patrolled, patrolled),
        ("other", near_other, other),
    ):
        months = inc["month"].to_numpy()[mask] if len(inc) else np.array([])
        out.append(
            {
                "group": group,
                "spots": len(spots),
                **{key: int((months == m).sum()) for key, m in periods.items()},
            }
        )
    return pd.DataFrame(out, columns=columns)
