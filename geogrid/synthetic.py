"""Seeded synthetic data for demos, tests and benchmarks.

Everything made here is labelled synthetic: each incident carries
``synthetic=True`` and a ``source`` naming the generator and its seed, and
every page or report that shows it must say so. The generator is pure: same
inputs and seed, same output.

Incident model (documented so a reader can judge the demo):

* Incidents happen on streets: a point is drawn on a street segment chosen with
  probability proportional to its length, then moved up to ``jitter_m`` off
  the street (addresses sit beside the street, not on it).
* A share ``hotspot_share`` of incidents cluster around key locations that
  draw crowds (markets, stations, nightlife, schools): Gaussian around the
  place with a 60-120 m spread, weights by kind in ``HOTSPOT_WEIGHTS``.
* Time: uniform over the months requested with a mild seasonal swing,
  hour-of-day from ``HOUR_PROFILE`` (evening peak), in the given time zone.
* Category from ``CATEGORY_SHARES`` (Chinese label, English label).

Grid units (:func:`synthetic_units`): a city of street blocks with skewed
household counts, to test and time the grid partition at any size.
"""

from __future__ import annotations

import itertools
import math
from datetime import datetime
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geogrid.crs import WGS84, to_wgs84

# The same values as geogrid.grids.units.PERSONS_PER_HOUSEHOLD and GRID_SIZE_DEG
# (tests/test_synthetic.py checks): grids sit above this module and cannot be imported.
_PERSONS_PER_HOUSEHOLD = 2.62
_GRID_SIZE_DEG = 1e-7

#: (code, Chinese label, English label, share)
CATEGORY_SHARES: tuple[tuple[str, str, str, float], ...] = (
    ("theft", "盗窃", "theft", 0.34),
    ("fraud", "诈骗", "fraud", 0.14),
    ("dispute", "纠纷", "dispute", 0.18),
    ("traffic", "交通事故", "traffic accident", 0.12),
    ("burglary", "入室盗窃", "burglary", 0.07),
    ("vandalism", "破坏财物", "vandalism", 0.06),
    ("disorder", "扰乱秩序", "public disorder", 0.09),
)

#: relative weight of each key-location kind as an incident attractor
HOTSPOT_WEIGHTS: dict[str, float] = {
    "marketplace": 5.0,
    "supermarket": 2.0,
    "mall": 4.0,
    "railway_station": 5.0,
    "subway_station": 3.0,
    "subway_entrance": 1.5,
    "bus_station": 3.0,
    "bar": 3.0,
    "nightclub": 4.0,
    "internet_cafe": 3.0,
    "school": 1.0,
    "bank": 1.5,
}

#: relative incident rate by hour of day 0..23 (evening peak, quiet small hours)
HOUR_PROFILE = np.array(
    [3, 2, 1.5, 1, 1, 1, 1.5, 2.5, 3.5, 4, 4, 4.5, 5, 4.5, 4.5, 5, 5.5, 6.5, 7, 7, 6.5, 6, 5, 4],
    dtype=float,
)


def generate_incidents(
    edges: gpd.GeoDataFrame,
    places: gpd.GeoDataFrame | None,
    metric_crs: str,
    *,
    count: int = 2000,
    seed: int = 42,
    start: str = "2025-01-01",
    months: int = 24,
    tz: str = "Asia/Shanghai",
    hotspot_share: float = 0.45,
    jitter_m: float = 25.0,
) -> gpd.GeoDataFrame:
    """Make ``count`` synthetic incident points on and around the street network.

    Parameters
    ----------
    edges
        Street segments (EPSG:4326 LineStrings), as in the network contract.
    places
        Key locations with a ``kind`` column, or None; attract hot-spot incidents.
    metric_crs
        The area's metric CRS; offsets are drawn in metres there.
    count, seed
        How many incidents, and the seed (same seed -> same incidents).
    start, months, tz
        First month (``YYYY-MM-DD``), number of months covered, time zone.
    hotspot_share
        Share of incidents clustered around attracting key locations.
    jitter_m
        Largest distance an incident sits off its street, in metres.

    Returns
    -------
    GeoDataFrame in EPSG:4326 with ``id``, ``time`` (ISO-8601 with offset),
    ``category``, ``category_zh``, ``synthetic`` (True) and ``source``.
    """
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    rng = np.random.default_rng(seed)
    streets = edges.to_crs(metric_crs)
    streets = streets[streets.geometry.length > 0]
    lengths_m = streets.geometry.length.to_numpy()

    n_hot = 0
    attractors = None
    if places is not None and len(places) and "kind" in places:
        weights = places["kind"].map(HOTSPOT_WEIGHTS).fillna(0.0).to_numpy()
        if weights.sum() > 0:
            attractors = places.to_crs(metric_crs).geometry
            n_hot = int(round(count * hotspot_share))
    n_street = count - n_hot

    xs = np.empty(count)
    ys = np.empty(count)
    # street incidents: a segment by length, a point along it, a sideways offset
    picks = rng.choice(len(streets), size=n_street, p=lengths_m / lengths_m.sum())
    along = rng.uniform(0.0, 1.0, size=n_street)
    geoms = streets.geometry.to_numpy()[picks]
    pts = [g.interpolate(f, normalized=True) for g, f in zip(geoms, along, strict=True)]
    angle = rng.uniform(0, 2 * np.pi, size=n_street)
    off = rng.uniform(0, jitter_m, size=n_street)
    xs[:n_street] = [p.x for p in pts] + off * np.cos(angle)
    ys[:n_street] = [p.y for p in pts] + off * np.sin(angle)
    if n_hot:
        assert attractors is not None
        p = weights / weights.sum()
        which = rng.choice(len(attractors), size=n_hot, p=p)
        spread_m = rng.uniform(60, 120, size=len(attractors))[which]
        xs[n_street:] = attractors.x.to_numpy()[which] + rng.normal(0, 1, n_hot) * spread_m
        ys[n_street:] = attractors.y.to_numpy()[which] + rng.normal(0, 1, n_hot) * spread_m

    times = _draw_times(rng, count, start, months, tz)
    shares = np.array([c[3] for c in CATEGORY_SHARES])
    cats = rng.choice(len(CATEGORY_SHARES), size=count, p=shares / shares.sum())
    order = np.argsort(np.array([t.timestamp() for t in times]), kind="stable")
    frame = gpd.GeoDataFrame(
        {
            "id": [f"SYN-{seed}-{i + 1:06d}" for i in range(count)],
            "time": [times[i].isoformat() for i in order],
            "category": [CATEGORY_SHARES[cats[i]][0] for i in order],
            "category_zh": [CATEGORY_SHARES[cats[i]][1] for i in order],
            "synthetic": True,
            "source": f"synthetic: geogrid.synthetic.generate_incidents seed={seed}",
        },
        geometry=gpd.points_from_xy(xs[order], ys[order]),
        crs=metric_crs,
    )
    return frame.to_crs(WGS84)


def _draw_times(
    rng: np.random.Generator, count: int, start: str, months: int, tz: str
) -> list[datetime]:
    zone = ZoneInfo(tz)
    first = pd.Timestamp(start)
    month_starts = pd.date_range(first, periods=months + 1, freq="MS")
    # mild seasonal swing: more incidents in summer months
    season = 1.0 + 0.25 * np.sin((month_starts[:-1].month.to_numpy() - 4) / 12 * 2 * np.pi)
    days = np.array([(b - a).days for a, b in itertools.pairwise(month_starts)])
    p_month = season * days
    month_idx = rng.choice(months, size=count, p=p_month / p_month.sum())
    day = (rng.uniform(0, 1, size=count) * days[month_idx]).astype(int)
    hour = rng.choice(24, size=count, p=HOUR_PROFILE / HOUR_PROFILE.sum())
    minute = rng.integers(0, 60, size=count)
    out = []
    for m, d, h, mi in zip(month_idx, day, hour, minute, strict=True):
        base = month_starts[m] + pd.Timedelta(days=int(d), hours=int(h), minutes=int(mi))
        out.append(base.to_pydatetime().replace(tzinfo=zone))
    return out


def generate_teams(bases: gpd.GeoDataFrame, *, count: int = 3, seed: int = 42) -> gpd.GeoDataFrame:
    """Make ``count`` synthetic volunteer patrol teams based at the given points.

    Bases are taken in order (police posts, community centres first is the
    caller's choice); modes cycle walk, bike (e-bike), walk. Names are
    Chinese-style team names; every team carries ``synthetic=True``.
    """
    if len(bases) == 0:
        raise ValueError("no base points to place patrol teams at")
    rng = np.random.default_rng(seed)
    modes = ("walk", "bike", "walk", "bike")
    speeds = {"walk": 4.5, "bike": 15.0}
    shifts = (("18:30", "21:30"), ("19:00", "22:00"), ("07:00", "09:00"), ("15:30", "18:00"))
    family = "赵钱孙李周吴郑王冯陈"
    rows = []
    pts = bases.geometry.to_numpy()
    for i in range(count):
        mode = modes[i % len(modes)]
        start, end = shifts[i % len(shifts)]
        rows.append(
            {
                "id": f"team-{i + 1}",
                "name": f"平安志愿者第{i + 1}队",
                "leader": f"{family[int(rng.integers(len(family)))]}队长",
                "size": int(rng.integers(3, 7)),
                "mode": mode,
                "speed_kmh": speeds[mode],
                "shift_start": start,
                "shift_end": end,
                "synthetic": True,
                "geometry": pts[i % len(pts)].centroid,
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=bases.crs)


def synthetic_units(
    n_blocks: int = 10_000,
    seed: int = 0,
    *,
    block_m: float = 80.0,
    metric_crs: str = "EPSG:32650",
    origin: tuple[float, float] = (440_000.0, 4_428_000.0),
    parents: int = 1,
) -> gpd.GeoDataFrame:
    """A SYNTHETIC city of about ``n_blocks`` street blocks (seeded), for tests and benchmarks.

    Blocks are the Voronoi cells of a jittered square lattice (``block_m``
    apart) clipped to the city square; about a quarter hold no households
    (parks, schools), the rest a skewed count (median about 45). With
    ``parents`` > 1 the city is cut into vertical strips, one per parent
    (codes ``000000001001``, ...). Returns units in EPSG:4326 indexed by
    ``unit_id`` with parent_code, households, population.
    """
    rng = np.random.default_rng(seed)
    side = max(1, round(math.sqrt(n_blocks)))
    gx, gy = np.meshgrid(np.arange(side), np.arange(side))
    x = origin[0] + (gx.ravel() + 0.5 + rng.uniform(-0.35, 0.35, side * side)) * block_m
    y = origin[1] + (gy.ravel() + 0.5 + rng.uniform(-0.35, 0.35, side * side)) * block_m
    square = shapely.box(
        origin[0], origin[1], origin[0] + side * block_m, origin[1] + side * block_m
    )
    points = shapely.points(x, y)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(points), extend_to=square)
    )
    tree = shapely.STRtree(cells)
    idx = tree.query(points, predicate="within")
    order = np.empty(len(points), dtype=np.int64)
    order[idx[0]] = idx[1]
    geoms = shapely.intersection(cells[order], square)
    households = np.where(
        rng.random(len(points)) < 0.25, 0, np.round(rng.lognormal(np.log(45), 0.6, len(points)))
    ).astype(np.int64)
    households = np.minimum(households, 400)
    strip = np.minimum((gx.ravel() * parents) // side, parents - 1)
    codes = [f"000000001{int(s) + 1:03d}" for s in strip]
    units = gpd.GeoDataFrame(
        {
            "parent_code": codes,
            "households": households,
            "population": np.round(households * _PERSONS_PER_HOUSEHOLD, 1),
        },
        geometry=list(geoms),
        index=pd.Index([f"s{i + 1:05d}" for i in range(len(points))], name="unit_id"),
        crs=metric_crs,
    )
    units = to_wgs84(units, "synthetic units")
    # snapped as grids.units.snap does, so that written layers stay valid polygons
    geoms = shapely.set_precision(units.geometry.to_numpy(), _GRID_SIZE_DEG)
    units = units.set_geometry(gpd.GeoSeries(geoms, index=units.index, crs=units.crs))
    return units[~units.geometry.is_empty]


#: Roles of a synthetic roster as an office writes them (Chinese and English mixed).
_ROSTER_ROLES = {
    "worker": "专职网格员",
    "police": "社区民警",
    "cadre": "社区干部",
    "property": "Property manager",
    "volunteer": "志愿者",
}


def generate_roster(
    grids: gpd.GeoDataFrame,
    *,
    seed: int = 7,
    spare_workers: int = 1,
    volunteers_per_grid: int = 4,
) -> pd.DataFrame:
    """A seeded synthetic staff roster (1+3+N) that can staff every grid; labelled synthetic.

    One full-time worker per grid (plus ``spare_workers``), per community one
    police officer per 3 grids (capacity 3), one cadre per 3 grids (capacity 3)
    and one property manager per 2 grids (capacity 2), ``volunteers_per_grid``
    volunteers per grid. Homes are random points inside the grids (lon/lat,
    columns ``x``/``y``); names are made up, phones are 199-0000-xxxx; every row
    has ``synthetic`` true. Columns as a roster file: name, role, phone, x, y,
    community, capacity, current_grid, synthetic.
    """
    if not len(grids):
        raise ValueError("no grids to make a roster for")
    rng = np.random.default_rng(seed)
    grids = to_wgs84(grids, "grids").reset_index(drop=True)
    family = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红"
    used: set[str] = set()
    rows: list[dict[str, object]] = []

    def person_name() -> str:
        while True:
            name = family[int(rng.integers(len(family)))] + "".join(
                given[int(rng.integers(len(given)))] for _ in range(int(rng.integers(1, 3)))
            )
            if name not in used:
                used.add(name)
                return name

    def home(geom: shapely.Geometry) -> tuple[float, float]:
        west, south, east, north = geom.bounds
        for _ in range(200):
            x, y = rng.uniform(west, east), rng.uniform(south, north)
            if geom.contains(shapely.Point(x, y)):
                return round(float(x), 6), round(float(y), 6)
        point = geom.representative_point()
        return round(float(point.x), 6), round(float(point.y), 6)

    def add(
        role: str, geom: shapely.Geometry, community: object, capacity: int, current: str | None
    ) -> None:
        x, y = home(geom)
        rows.append(
            {
                "name": person_name(),
                "role": _ROSTER_ROLES[role],
                "phone": f"199-0000-{len(rows) + 1:04d}",
                "x": x,
                "y": y,
                "community": community,
                "capacity": capacity,
                "current_grid": current,
                "synthetic": True,
            }
        )

    parents = (
        grids["parent_code"].astype(str)
        if "parent_code" in grids
        else pd.Series(["000000000000"] * len(grids))
    )
    for i, geom in enumerate(grids.geometry):
        add("worker", geom, parents.iloc[i], 1, str(grids["code"].iloc[i]))
    for _ in range(spare_workers):
        i = int(rng.integers(len(grids)))
        add("worker", grids.geometry.iloc[i], parents.iloc[i], 1, None)
    for parent in sorted(set(parents)):
        mine = np.flatnonzero(parents.to_numpy() == parent)
        outline = shapely.union_all(grids.geometry.iloc[mine].to_numpy())
        for role, per, capacity in (("police", 3, 3), ("cadre", 3, 3), ("property", 2, 2)):
            for _ in range(math.ceil(len(mine) / per)):
                add(role, outline, parent, capacity, None)
    for i, geom in enumerate(grids.geometry):
        for _ in range(volunteers_per_grid):
            add("volunteer", geom, parents.iloc[i], 1, None)
    return pd.DataFrame(rows)
