"""A patrol as it went: a phone track or check-ins matched to the plan of the night.

Pure: points in (:class:`TrackPoints`, built by ``geogrid.io.tracks``), planned
stops and the area's streets in, a :class:`TrackMatch` out. A stop is visited
when the track stays within ``radius_m`` of it for at least ``dwell_min``
(:class:`~geogrid.planning.config.TracksConfig`); passes at one place (a stop,
its revisit, extra passes) take the qualifying stays in time order. A check-in
that names a stop and lies within ``radius_m`` of it is proof on its own.
Streets walked are the spans of street segments the points fall on (nearest
segment within ``street_match_m``); time on patrol is first to last point.

:func:`check_track` says what is wrong with a track before it is matched -
empty, far from the area, GCJ-02 given as WGS-84 (a consistent ~500 m shift
that the conversion removes), clock off by whole hours (which offset fits) -
as one :class:`~geogrid.errors.InputError` naming the file and the fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import shapely
import shapely.ops
from pyproj import Transformer

from geogrid.crs import WGS84, gcj02_to_wgs84, out_of_china
from geogrid.errors import InputError
from geogrid.planning.config import TracksConfig

#: a point this far (or farther) from its neighbour in this time is a GPS jump, m/s (~54 km/h)
MAX_SPEED_MS = 15.0
#: out of the radius for less than this (GPS jitter) does not end a stay, seconds
JITTER_S = 60.0
#: a track is off by whole hours when shifted this share of its points fits the shift
FIT_SHARE = 0.8


@dataclass(frozen=True)
class TrackPoints:
    """Points of one patrol as read: lon/lat (WGS-84), POSIX seconds (UTC), optional stop ids.

    ``kind`` is ``"track"`` (a phone's recording) or ``"checkins"`` (rows of a
    check-in table, some naming the stop); ``source`` names the file in messages.
    """

    lon: np.ndarray
    lat: np.ndarray
    time_s: np.ndarray
    source: str
    kind: str = "track"
    stop_ids: tuple[str | None, ...] = ()
    datum: str = "wgs84"

    def __len__(self) -> int:
        return len(self.lon)

    def shifted(self, hours: float) -> TrackPoints:
        """The same points with the clock moved by ``hours``."""
        return replace(self, time_s=self.time_s + hours * 3600.0)


@dataclass(frozen=True)
class PlannedStop:
    """A stop of the team's plan for the night (lon/lat WGS-84, planned start local HH:MM)."""

    stop_id: str
    name: str
    kind: str
    lon: float
    lat: float
    start: str = ""
    extra: bool = False


@dataclass(frozen=True)
class StopMatch:
    """How one planned stop went: visited or not, when, how long, and why not."""

    stop_id: str
    name: str
    kind: str
    lon: float
    lat: float
    extra: bool
    visited: bool
    arrived_s: float | None  #: POSIX seconds of the stay's first point
    dwell_min: float  #: longest stay within the radius (0 when never there)
    nearest_m: float  #: closest the track came
    how: str  #: "track", "check-in" or "" (not visited)
    reason: str  #: why not visited ("" when visited)


@dataclass(frozen=True)
class TrackMatch:
    """A patrol as it went, against its plan."""

    stops: tuple[StopMatch, ...]
    street_km: float
    track_km: float
    start_s: float
    end_s: float
    points: int
    walked: tuple[shapely.LineString, ...] = ()  #: the street spans walked (WGS-84)

    @property
    def hours(self) -> float:
        return max(0.0, (self.end_s - self.start_s) / 3600.0)

    @property
    def planned(self) -> int:
        """Stops planned (extra passes that only fill spare time left out)."""
        return sum(1 for s in self.stops if not s.extra)

    @property
    def done(self) -> int:
        """Planned stops visited (extra passes left out)."""
        return sum(1 for s in self.stops if s.visited and not s.extra)

    @property
    def km(self) -> float:
        """Streets walked when the area has streets, else the track's own length."""
        return self.street_km if self.street_km > 0 else self.track_km


# ----------------------------------------------------------------------- helpers


def _projector(metric_crs: str) -> Transformer:
    return Transformer.from_crs(WGS84, metric_crs, always_xy=True)


def _xy(lon: np.ndarray, lat: np.ndarray, metric_crs: str) -> np.ndarray:
    x, y = _projector(metric_crs).transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.column_stack([x, y])


def _metric_streets(streets: gpd.GeoDataFrame | None, metric_crs: str) -> np.ndarray:
    if streets is None or not len(streets):
        return np.array([], dtype=object)
    return np.asarray(streets.geometry.to_crs(metric_crs).to_numpy())


def _nearest_m(xy: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Distance of every point to the nearest target geometry (metric)."""
    points = shapely.points(xy)
    tree = shapely.STRtree(targets)
    _, dist = tree.query_nearest(points, return_distance=True, all_matches=False)
    return np.asarray(dist, dtype=float)


def _clock(seconds: float, tz: str) -> str:
    return datetime.fromtimestamp(seconds, UTC).astimezone(ZoneInfo(tz)).strftime("%H:%M")


# ------------------------------------------------------------------------ checks


def check_track(
    points: TrackPoints,
    *,
    metric_crs: str,
    bounds: tuple[float, float, float, float],
    shift_s: tuple[float, float],
    stops: Sequence[PlannedStop] = (),
    streets: gpd.GeoDataFrame | None = None,
    config: TracksConfig | None = None,
    tz: str = "Asia/Shanghai",
) -> None:
    """Raise :class:`InputError` when ``points`` cannot be this patrol's track.

    ``bounds`` is the area's (west, south, east, north); ``shift_s`` the shift's
    start and end in POSIX seconds. Checked in order, first failure wins: no
    points; most points farther than ``far_m`` from the area; GCJ-02 given as
    WGS-84 (the points sit a consistent few hundred metres off the streets and
    stops, and converting them from GCJ-02 puts them on); times outside the
    shift, and which whole-hour offset would fit.
    """
    config = config or TracksConfig()
    src = points.source
    if len(points) == 0:
        raise InputError(
            f"{src}: no track points; export the recorded track (not only "
            "waypoints or a planned route) and upload it again"
        )
    xy = _xy(points.lon, points.lat, metric_crs)
    box = _xy(np.array([bounds[0], bounds[2]]), np.array([bounds[1], bounds[3]]), metric_crs)
    area = shapely.box(box[:, 0].min(), box[:, 1].min(), box[:, 0].max(), box[:, 1].max())
    off = shapely.distance(shapely.points(xy), area)
    if np.mean(off > config.far_m) > 0.5:
        raise InputError(
            f"{src}: {np.mean(off > config.far_m):.0%} of the points lie farther than "
            f"{config.far_m / 1000:g} km from the area (median {np.median(off) / 1000:.1f} km); "
            "is this the track of this area's patrol? Check the file and the area"
        )
    shift = _gcj_shift_m(points, xy, metric_crs, stops, streets)
    if shift is not None and points.datum == "wgs84":
        raise InputError(
            f"{src}: the points sit a consistent ~{shift:.0f} m off the planned stops and streets, "
            "and converting them from GCJ-02 (Chinese map coordinates) puts them on; the app "
            "recorded GCJ-02, not WGS-84. Upload it again declared as GCJ-02 "
            "(--datum gcj02 / 坐标系 GCJ-02)"
        )
    slack = config.shift_slack_min * 60.0
    start, end = shift_s[0] - slack, shift_s[1] + slack

    def inside(t: np.ndarray) -> float:
        return float(np.mean((t >= start) & (t <= end)))

    if inside(points.time_s) < 0.5:
        middle = float(np.median(points.time_s))
        fits = [
            (
                inside(points.time_s + h * 3600.0),
                -_outside(middle + h * 3600.0, shift_s),
                -abs(middle + h * 3600.0 - shift_s[0]),
                h,
            )
            for h in range(-14, 15)
            if h
        ]
        share, _, _, best = max(fits)
        when = f"{_clock(float(points.time_s.min()), tz)}-{_clock(float(points.time_s.max()), tz)}"
        window = f"{_clock(shift_s[0], tz)}-{_clock(shift_s[1], tz)}"
        if share >= FIT_SHARE:
            raise InputError(
                f"{src}: the times ({when}) lie outside the shift {window}; moved by {best:+d} h "
                f"they fit - the phone's time zone was wrong (or local time was written as UTC). "
                f"Upload it again with the time offset {best:+d} h (--time-offset {best})"
            )
        raise InputError(
            f"{src}: the times ({when}) lie outside the shift {window} on this date, and no "
            "whole-hour offset fits; is this the track of that night and team?"
        )


def _outside(t: float, window: tuple[float, float]) -> float:
    """How far ``t`` lies outside ``window`` (0 inside), seconds."""
    return max(window[0] - t, t - window[1], 0.0)


def _gcj_shift_m(
    points: TrackPoints,
    xy: np.ndarray,
    metric_crs: str,
    stops: Sequence[PlannedStop],
    streets: gpd.GeoDataFrame | None,
) -> float | None:
    """The shift in metres when the points look like GCJ-02 read as WGS-84, else None."""
    inside = ~out_of_china(points.lon, points.lat)
    if not inside.any():
        return None
    lon, lat = gcj02_to_wgs84(points.lon, points.lat)
    fixed = _xy(lon, lat, metric_crs)
    shift = float(np.median(np.hypot(*(xy - fixed).T)))
    lines = _metric_streets(streets, metric_crs)
    if len(lines):  # on the streets once converted, off them as given
        raw_d = float(np.median(_nearest_m(xy, lines)))
        fixed_d = float(np.median(_nearest_m(fixed, lines)))
        if raw_d > 15.0 and raw_d > 2.5 * max(fixed_d, 2.0):
            return shift
    if stops:  # the planned stops lie on the converted track, far from the given one
        sxy = _xy(np.array([s.lon for s in stops]), np.array([s.lat for s in stops]), metric_crs)
        raw_s = float(np.median(_nearest_m(sxy, shapely.points(xy))))
        fixed_s = float(np.median(_nearest_m(sxy, shapely.points(fixed))))
        if raw_s > 100.0 and fixed_s < 50.0:
            return shift
    return None


# ---------------------------------------------------------------------- matching


def match_track(
    points: TrackPoints,
    stops: Sequence[PlannedStop],
    *,
    metric_crs: str,
    streets: gpd.GeoDataFrame | None = None,
    config: TracksConfig | None = None,
) -> TrackMatch:
    """Match ``points`` (checked by :func:`check_track`) to the team's planned ``stops``."""
    config = config or TracksConfig()
    order = np.argsort(points.time_s, kind="stable")
    t = np.asarray(points.time_s, float)[order]
    xy = _xy(np.asarray(points.lon)[order], np.asarray(points.lat)[order], metric_crs)
    ids = [points.stop_ids[i] for i in order] if points.stop_ids else [None] * len(t)
    matches = _match_stops(t, xy, ids, stops, metric_crs, config)
    street_km, walked = _streets_walked(xy, streets, metric_crs, config.street_match_m)
    return TrackMatch(
        stops=tuple(matches),
        street_km=street_km,
        track_km=_track_km(t, xy),
        start_s=float(t[0]) if len(t) else 0.0,
        end_s=float(t[-1]) if len(t) else 0.0,
        points=len(t),
        walked=walked,
    )


def _stays(t: np.ndarray, near: np.ndarray, max_gap_s: float) -> list[tuple[float, float]]:
    """(first, last) time of each stay within the radius: runs of points near the stop,
    bridged over recording gaps up to ``max_gap_s`` and over GPS jitter out of the
    radius shorter than :data:`JITTER_S`."""
    runs: list[tuple[float, float]] = []
    prev = -1
    for i in np.flatnonzero(near).tolist():
        if runs:
            gap = float(t[i]) - runs[-1][1]
            limit = max_gap_s if i == prev + 1 else JITTER_S
            if gap <= limit:
                runs[-1] = (runs[-1][0], float(t[i]))
                prev = i
                continue
        runs.append((float(t[i]), float(t[i])))
        prev = i
    return runs


def _match_stops(
    t: np.ndarray,
    xy: np.ndarray,
    ids: list[str | None],
    stops: Sequence[PlannedStop],
    metric_crs: str,
    config: TracksConfig,
) -> list[StopMatch]:
    out: dict[int, StopMatch] = {}
    if not stops:
        return []
    sxy = _xy(np.array([s.lon for s in stops]), np.array([s.lat for s in stops]), metric_crs)
    places: dict[tuple[int, int], list[int]] = {}
    for k, (x, y) in enumerate(sxy):  # passes at one place share it (revisits, extra passes)
        places.setdefault((round(x), round(y)), []).append(k)
    need_s = config.dwell_min * 60.0
    for members in places.values():
        members.sort(key=lambda k: (stops[k].start or "99:99", stops[k].extra))
        k0 = members[0]
        d = np.hypot(xy[:, 0] - sxy[k0, 0], xy[:, 1] - sxy[k0, 1]) if len(t) else np.array([])
        near = d <= config.radius_m
        nearest = float(d.min()) if len(d) else float("inf")
        ids_here = {stops[k].stop_id for k in members}
        named = [i for i, sid in enumerate(ids) if sid is not None and sid in ids_here]
        checked = [i for i in named if near[i]]
        stays = _stays(t, near, config.max_gap_min * 60.0) if len(t) else []
        good = [(a, b, "track") for a, b in stays if b - a >= need_s]
        if checked:  # a check-in at the place is proof on its own; dwell from the first to the last
            span = (float(t[checked[0]]), float(t[checked[-1]]))
            good = [(a, b, "check-in" if a <= span[0] <= b else how) for a, b, how in good]
            if not any(a <= span[0] <= b for a, b, _ in good):
                good.append((span[0], span[1], "check-in"))
            good.sort()
        longest = max((b - a for a, b in stays), default=0.0)
        for n, k in enumerate(members):
            s = stops[k]
            if n < len(good):
                a, b, how = good[n]
                out[k] = StopMatch(
                    s.stop_id,
                    s.name,
                    s.kind,
                    s.lon,
                    s.lat,
                    s.extra,
                    True,
                    a,
                    round((b - a) / 60.0, 1),
                    round(nearest, 1),
                    how,
                    "",
                )
                continue
            if named and not checked:
                far = min(float(d[i]) for i in named)
                why = f"checked in {far:.0f} m away (more than {config.radius_m:g} m)"
            elif not stays:
                why = (
                    f"never within {config.radius_m:g} m (closest {nearest:.0f} m)"
                    if np.isfinite(nearest)
                    else "no track points"
                )
            elif good:
                why = (
                    f"only {len(good)} stay(s) of {config.dwell_min:g} min here for "
                    f"{len(members)} passes"
                )
            else:
                why = (
                    f"within {config.radius_m:g} m for only {longest / 60:.1f} min "
                    f"(< {config.dwell_min:g} min)"
                )
            out[k] = StopMatch(
                s.stop_id,
                s.name,
                s.kind,
                s.lon,
                s.lat,
                s.extra,
                False,
                None,
                round(longest / 60.0, 1),
                round(nearest, 1),
                "",
                why,
            )
    return [out[k] for k in range(len(stops))]


def _track_km(t: np.ndarray, xy: np.ndarray) -> float:
    if len(t) < 2:
        return 0.0
    step = np.hypot(*np.diff(xy, axis=0).T)
    dt = np.maximum(np.diff(t), 1.0)
    return float(step[step / dt <= MAX_SPEED_MS].sum() / 1000.0)


def _streets_walked(
    xy: np.ndarray, streets: gpd.GeoDataFrame | None, metric_crs: str, match_m: float
) -> tuple[float, tuple[shapely.LineString, ...]]:
    """Km of street spans walked, and the spans: each step between two points walks the
    segment within ``match_m`` of both that lies nearest to them."""
    lines = _metric_streets(streets, metric_crs)
    if not len(lines) or not len(xy):
        return 0.0, ()
    pts = shapely.points(xy)
    tree = shapely.STRtree(lines)
    pi, li = tree.query(pts, predicate="dwithin", distance=match_m)
    near: list[set[int]] = [set() for _ in range(len(pts))]
    for p, seg in zip(pi.tolist(), li.tolist(), strict=True):
        near[p].add(seg)
    spans: dict[int, tuple[float, float]] = {}
    for i in range(len(pts) - 1):  # a step walks the segment both its ends are nearest together
        common = near[i] & near[i + 1]
        if not common:
            continue
        seg = min(
            sorted(common),
            key=lambda e: float(
                shapely.distance(pts[i], lines[e]) + shapely.distance(pts[i + 1], lines[e])
            ),
        )
        a, b = (float(shapely.line_locate_point(lines[seg], pts[k])) for k in (i, i + 1))
        lo, hi = spans.get(seg, (min(a, b), max(a, b)))
        spans[seg] = (min(lo, a, b), max(hi, a, b))
    total = sum(hi - lo for lo, hi in spans.values())
    back = Transformer.from_crs(metric_crs, WGS84, always_xy=True)
    walked = []
    for seg, (lo, hi) in sorted(spans.items()):
        if hi - lo <= 0:
            continue
        part = shapely.ops.substring(lines[seg], lo, hi)
        coords = shapely.get_coordinates(part)
        lon, lat = back.transform(coords[:, 0], coords[:, 1])
        walked.append(shapely.LineString(np.column_stack([lon, lat])))
    return round(total / 1000.0, 3), tuple(walked)


def track_line(points: TrackPoints) -> shapely.LineString | None:
    """The track as one line in time order (WGS-84); None with fewer than two points."""
    if len(points) < 2:
        return None
    order = np.argsort(points.time_s, kind="stable")
    return shapely.LineString(
        np.column_stack([np.asarray(points.lon)[order], np.asarray(points.lat)[order]])
    )
