"""SYNTHETIC office files made from an area: what a district office would hand over.

Seeded and labelled synthetic in every output (a 合成数据 / SYNTHETIC column, title
or name), made FROM an area built from an OSM extract, so a walkthrough can take a
district from "its own files" to grids, hot spots, plans and the public map without
a hand-written workspace file:

* a household register (户籍): one row per building with homes, households, the
  point in GCJ-02 (as Amap shows it);
* a grid layer (网格): the area's outline cut into a lattice of cells in a
  CGCS2000 Gauss-Kruger zone (the area's metric CRS outside China), codes
  ``<admin_code>001001NNN``;
* a team roster (花名册): two teams, members one per row, bases named by key places;
* key places (重点场所): three street corners, GCJ-02;
* incidents (警情): one row per offence, so some case numbers repeat with another
  category (several offences in one case), GCJ-02, times over six months.

Pure: frames and mapping texts in, nothing is written here (see
:mod:`geogrid.io.synthetic_office`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geogrid.crs import WGS84, wgs84_to_gcj02
from geogrid.errors import InputError

#: The label every synthetic office file carries.
LABEL = "合成数据（SYNTHETIC）"

REGISTER_TOML = """\
# SYNTHETIC household register made by geogrid.synthetic_office
name = "户籍（合成）"
kind = "households"

[source]
coordinates = "gcj02"
sheet = "户籍"

[columns]
id = "地址编码"
address = "标准地址"
households = "户数"
x = "坐标/经度"
y = "坐标/纬度"
"""

GRIDS_TOML = """\
# SYNTHETIC grid layer made by geogrid.synthetic_office
name = "网格（合成）"
kind = "grids"

[source]

[columns]
code = "网格编码"
name = "网格名称"
worker = "网格员"
"""

PLACES_TOML = """\
# SYNTHETIC key places made by geogrid.synthetic_office
name = "重点场所（合成）"
kind = "places"

[source]
coordinates = "gcj02"

[columns]
id = "编号"
name = "名称"
kind = "类型"
x = "经度"
y = "纬度"
"""

TEAMS_TOML = """\
# SYNTHETIC team roster made by geogrid.synthetic_office
name = "花名册（合成）"
kind = "teams"

[columns]
id = "队伍"
name = "队名"
member = "姓名"
role = "职务"
mode = "方式"
base = "驻点"
shift_start = "开始"
shift_end = "结束"
"""

INCIDENTS_TOML = """\
# SYNTHETIC police export made by geogrid.synthetic_office: one row per offence
name = "synthetic-police"

[source]
coordinates = "gcj02"
timezone = "Asia/Shanghai"
encoding = "gbk"
synthetic = true            # every record is labelled synthetic, on the public map too
time_format = "%Y-%m-%d %H:%M"

[columns]
case_id = "案件编号"
time = "发案时间"
category = "案由"
x = "经度"
y = "纬度"
description = "说明"
"""

_CATEGORIES = ("盗窃", "诈骗", "纠纷", "故意损毁财物", "殴打他人")


@dataclass(frozen=True)
class OfficeFiles:
    """The synthetic office files of one area, as frames, with their mapping texts."""

    register: pd.DataFrame
    grids: gpd.GeoDataFrame
    grids_crs: str
    places: pd.DataFrame
    roster: pd.DataFrame
    incidents: pd.DataFrame
    mappings: dict[str, str] = field(default_factory=dict)


def gauss_kruger_crs(lon: float) -> str | None:
    """The CGCS2000 3-degree Gauss-Kruger zone (no zone prefix, EPSG:4534-4554) of a
    longitude, or None outside China's zones (75E-135E)."""
    central = int(round(lon / 3.0)) * 3
    if not 75 <= central <= 135:
        return None
    return f"EPSG:{4534 + (central - 75) // 3}"


def office_grids(
    boundary: gpd.GeoDataFrame, metric_crs: str, *, cells: int = 3, admin_code: str = "110108"
) -> gpd.GeoDataFrame:
    """The area's outline cut into ``cells`` x ``cells`` lattice cells (WGS-84), with
    office-style codes, names and workers; empty pieces dropped."""
    outline = shapely.union_all(boundary.to_crs(metric_crs).geometry.values)
    w, s, e, n = outline.bounds
    xs, ys = np.linspace(w, e, cells + 1), np.linspace(s, n, cells + 1)
    geoms: list[shapely.Geometry] = []
    codes: list[str] = []
    names: list[str] = []
    workers: list[str] = []
    for i in range(cells):
        for j in range(cells):
            piece = outline.intersection(shapely.box(xs[i], ys[j], xs[i + 1], ys[j + 1]))
            if piece.is_empty or piece.area < 1.0:
                continue
            k = len(geoms) + 1
            geoms.append(piece)
            codes.append(f"{admin_code[:6]:0<6}001001{k:03d}")
            names.append(f"第{k}网格（合成）")
            workers.append(f"网格员{k}")
    frame = gpd.GeoDataFrame(
        {"网格编码": codes, "网格名称": names, "网格员": workers, "备注": LABEL},
        geometry=geoms,
        crs=metric_crs,
    )
    return frame.to_crs(WGS84)


def office_files(
    boundary: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    nodes: gpd.GeoDataFrame,
    metric_crs: str,
    *,
    seed: int = 0,
    admin_code: str = "110108",
    grid_cells: int = 3,
    cases: int = 120,
    months: int = 6,
    end_month: str = "2025-06",
) -> OfficeFiles:
    """Make the synthetic office files of an area from its boundary, buildings and street
    nodes (all WGS-84), seeded.

    Raises
    ------
    InputError
        The area has no street nodes (places, bases and incidents sit on streets).
    """
    if nodes is None or len(nodes) == 0:
        raise InputError("synthetic office files need the area's streets; build it from OSM")
    rng = np.random.default_rng(seed)
    outline = shapely.union_all(boundary.to_crs(WGS84).geometry.values)
    # register: one row per building with homes
    homes = buildings
    if "households" in buildings.columns:
        homes = buildings[buildings["households"].fillna(0) > 0]
    if len(homes) == 0:
        homes = buildings
    spots = shapely.point_on_surface(homes.to_crs(WGS84).geometry.values)
    lon, lat = wgs84_to_gcj02(shapely.get_x(spots), shapely.get_y(spots))
    households = rng.integers(4, 60, len(spots))
    register = pd.DataFrame(
        {
            "地址编码": [f"SYN{k:05d}" for k in range(1, len(spots) + 1)],
            "标准地址": [f"合成路{k}号" for k in range(1, len(spots) + 1)],
            "户数": households.astype(int),
            "坐标/经度": np.round(lon, 7),
            "坐标/纬度": np.round(lat, 7),
        }
    )
    # grids in a Gauss-Kruger zone (or the area's metric CRS outside China)
    grids = office_grids(boundary, metric_crs, cells=grid_cells, admin_code=admin_code)
    centre = outline.centroid
    grids_crs = gauss_kruger_crs(centre.x) or metric_crs
    # key places on three street nodes inside the area
    inside = nodes[
        shapely.contains_xy(outline, nodes.geometry.x.to_numpy(), nodes.geometry.y.to_numpy())
    ]
    picks = inside.iloc[rng.choice(len(inside), size=min(3, len(inside)), replace=False)]
    plon, plat = wgs84_to_gcj02(picks.geometry.x.to_numpy(), picks.geometry.y.to_numpy())
    names = ["合成路小学", "合成路派出所", "合成农贸市场"][: len(picks)]
    places = pd.DataFrame(
        {
            "编号": [f"P{k}" for k in range(1, len(picks) + 1)],
            "名称": names,
            "类型": ["school", "police", "marketplace"][: len(picks)],
            "经度": np.round(plon, 7),
            "纬度": np.round(plat, 7),
            "备注": LABEL,
        }
    )
    roster = pd.DataFrame(
        {
            "队伍": ["T1", "T1", "T1", "T2", "T2"],
            "队名": ["平安志愿者第1队（合成）"] * 3 + ["平安志愿者第2队（合成）"] * 2,
            "姓名": ["合成甲", "合成乙", "合成丙", "合成丁", "合成戊"],
            "职务": ["队长", "队员", "队员", "组长", "队员"],
            "方式": ["步行", "步行", "步行", "骑行", "骑行"],
            "驻点": [names[1 % len(names)], "", "", names[0], ""],
            "开始": ["18:30", "", "", "19:00", ""],
            "结束": ["21:30", "", "", "22:00", ""],
        }
    )
    # incidents: clustered around a few street nodes, one row per offence
    hubs = inside.iloc[rng.choice(len(inside), size=min(4, len(inside)), replace=False)]
    hub = rng.integers(0, len(hubs), cases)
    metric = hubs.to_crs(metric_crs).geometry
    x = metric.x.to_numpy()[hub] + rng.normal(0, 60, cases)
    y = metric.y.to_numpy()[hub] + rng.normal(0, 60, cases)
    points = gpd.GeoSeries(shapely.points(x, y), crs=metric_crs).to_crs(WGS84)
    keep = shapely.contains_xy(outline, points.x.to_numpy(), points.y.to_numpy())
    last = pd.Period(end_month, freq="M")
    start = (last - (months - 1)).to_timestamp()
    span_min = int(((last + 1).to_timestamp() - start).total_seconds() // 60)
    rows = []
    for k in np.flatnonzero(keep).tolist():
        minute = int(rng.integers(0, span_min))
        when = (start + pd.Timedelta(minutes=minute)).replace(
            hour=int(rng.choice([9, 13, 18, 19, 20, 21, 22]))
        )
        glon, glat = wgs84_to_gcj02(np.array([points.x.iloc[k]]), np.array([points.y.iloc[k]]))
        offences = rng.choice(len(_CATEGORIES), size=1 + int(rng.random() < 0.3), replace=False)
        for c in offences.tolist():
            rows.append(
                {
                    "案件编号": f"A{seed:02d}{k:05d}",
                    "发案时间": when.strftime("%Y-%m-%d %H:%M"),
                    "案由": _CATEGORIES[c],
                    "经度": round(float(glon[0]), 7),
                    "纬度": round(float(glat[0]), 7),
                    "说明": LABEL,
                }
            )
    incidents = pd.DataFrame(rows, columns=["案件编号", "发案时间", "案由", "经度", "纬度", "说明"])
    return OfficeFiles(
        register=register,
        grids=grids,
        grids_crs=grids_crs,
        places=places,
        roster=roster,
        incidents=incidents,
        mappings={
            "households": REGISTER_TOML,
            "grids": GRIDS_TOML,
            "places": PLACES_TOML,
            "teams": TEAMS_TOML,
            "incidents": INCIDENTS_TOML,
        },
    )
