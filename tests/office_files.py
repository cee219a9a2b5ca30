"""SYNTHETIC office files for the import tests (not a test module).

Everything here is made up from the tiny SYNTHETIC area of
:mod:`tests.grids_area` (a 7 x 5 block street grid in Haidian), seeded, and
written the way district offices hand files over: an Excel register with a
title row and merged header cells, a GBK CSV, a grid layer as a zipped
Shapefile in a CGCS2000 Gauss-Kruger zone with a ``.cpg``, key places with
GCJ-02 / BD-09 coordinates, a team roster.
"""

from __future__ import annotations

import zipfile
from itertools import pairwise
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geogrid.crs import wgs84_to_bd09, wgs84_to_gcj02
from tests import grids_area

#: CGCS2000 3-degree Gauss-Kruger, central meridian 117E (no zone prefix): Beijing.
GK_117E = "EPSG:4548"
#: The same zone with its zone number (39) in front of the eastings.
GK_ZONE_39 = "EPSG:4527"

REGISTER_TOML = """\
name = "学院路户籍"
kind = "households"

[source]
coordinates = "{coordinates}"
{extra}

[columns]
id = "地址编码"
address = "标准地址"
households = "户数"
x = "{x}"
y = "{y}"
"""

BY_ID_TOML = """\
name = "学院路楼栋"
kind = "households"

[source]
encoding = "{encoding}"

[columns]
building_id = "楼栋编码"
households = "户数"
"""

GRIDS_TOML = """\
name = "学院路网格"
kind = "grids"

[source]
{extra}

[columns]
code = "网格编码"
name = "网格名称"
worker = "网格员"
"""

PLACES_TOML = """\
name = "重点场所"
kind = "places"

[source]
coordinates = "{coordinates}"

[columns]
id = "编号"
name = "名称"
kind = "类型"
x = "经度"
y = "纬度"
"""

TEAMS_TOML = """\
name = "巡逻队花名册"
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

COMMUNITIES_TOML = """\
name = "社区边界"
kind = "communities"

[columns]
code = "CODE"
name = "NAME"
"""


def write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def building_points(n: int | None = None, seed: int = 3) -> pd.DataFrame:
    """Register rows at the buildings of the synthetic area (WGS-84), several per building."""
    rng = np.random.default_rng(seed)
    buildings = grids_area.buildings()
    centres = buildings.geometry.representative_point()
    rows = []
    for k, (bid, pt) in enumerate(zip(buildings["id"], centres, strict=True)):
        for unit in range(2):  # two register rows (entrances) per building
            rows.append(
                {
                    "地址编码": f"A{k:03d}-{unit}",
                    "标准地址": f"学院路{k + 1}号楼{unit + 1}单元",
                    "户数": int(rng.integers(5, 30)),
                    "lon": float(pt.x),
                    "lat": float(pt.y),
                    "building": bid,
                }
            )
    frame = pd.DataFrame(rows)
    return frame.head(n) if n else frame


def register_rows(system: str = "wgs84", n: int | None = None) -> pd.DataFrame:
    """:func:`building_points` with 经度/纬度 in ``system`` (wgs84, gcj02, bd09)."""
    frame = building_points(n)
    lon, lat = frame["lon"].to_numpy(), frame["lat"].to_numpy()
    if system == "gcj02":
        lon, lat = wgs84_to_gcj02(lon, lat)
    elif system == "bd09":
        lon, lat = wgs84_to_bd09(lon, lat)
    frame["经度"] = np.round(lon, 7)
    frame["纬度"] = np.round(lat, 7)
    return frame[["地址编码", "标准地址", "户数", "经度", "纬度"]]


def write_register_xlsx(
    path: Path, rows: pd.DataFrame, *, title: bool = True, sheet: str = "户籍"
) -> Path:
    """An Excel register: a merged title row, then a two-row header with merged groups."""
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "说明"
    ws["A1"] = "本表为合成测试数据 (SYNTHETIC)"
    data = book.create_sheet(sheet)
    top = 1
    if title:
        data["A1"] = "学院路街道户籍登记表 (SYNTHETIC)"
        data.merge_cells("A1:E1")
        top = 2
    # 地址编码 and 标准地址 span two header rows; 户数 too; 坐标 groups 经度 | 纬度
    for col, name in ((1, "地址编码"), (2, "标准地址"), (3, "户数")):
        data.cell(top, col, name)
        data.merge_cells(start_row=top, start_column=col, end_row=top + 1, end_column=col)
    data.cell(top, 4, "坐标")
    data.merge_cells(start_row=top, start_column=4, end_row=top, end_column=5)
    data.cell(top + 1, 4, "经度")
    data.cell(top + 1, 5, "纬度")
    for r, row in enumerate(rows.itertuples(index=False), start=top + 2):
        for c, value in enumerate(row, start=1):
            data.cell(r, c, value)
    book.save(path)
    return path


def write_gbk_csv(path: Path, rows: pd.DataFrame) -> Path:
    path.write_bytes(rows.to_csv(index=False).encode("gbk"))
    return path


def grid_cells(
    cols: tuple[int, ...] = (0, 2, 4, 7), rows: tuple[int, ...] = (0, 5)
) -> gpd.GeoDataFrame:
    """Grids of the synthetic area as an office draws them (EPSG:32650): whole blocks."""
    x0, y0, s = grids_area.X0, grids_area.Y0, grids_area.SPACING_M
    geoms, codes, names, workers = [], [], [], []
    n = 0
    for a, b in pairwise(cols):
        for c, d in pairwise(rows):
            n += 1
            geoms.append(shapely.box(x0 + a * s, y0 + c * s, x0 + b * s, y0 + d * s))
            codes.append(f"110108001001{n:03d}")
            names.append(f"第{n}网格")
            workers.append(f"网格员{n}")
    return gpd.GeoDataFrame(
        {"网格编码": codes, "网格名称": names, "网格员": workers},
        geometry=geoms,
        crs=grids_area.UTM_50N,
    )


def write_shapefile(
    folder: Path,
    grids: gpd.GeoDataFrame,
    crs: str = GK_117E,
    *,
    prj: bool = True,
    cpg: bool = True,
    encoding: str = "GBK",
    stem: str = "网格",
) -> Path:
    """Write ``grids`` as a Shapefile in ``crs`` with GBK attribute text (and a .cpg)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.shp"
    grids.to_crs(crs).to_file(path, driver="ESRI Shapefile", encoding=encoding)
    cpg_path = path.with_suffix(".cpg")
    if cpg:
        cpg_path.write_text(encoding, encoding="ascii")
    elif cpg_path.exists():
        cpg_path.unlink()
    if not prj:
        path.with_suffix(".prj").unlink()
    return path


def zip_shapefile(shp: Path, out: Path) -> Path:
    with zipfile.ZipFile(out, "w") as archive:
        for part in sorted(shp.parent.glob(shp.stem + ".*")):
            archive.write(part, f"grids/{part.name}")
    return out


def places_rows(system: str = "gcj02") -> pd.DataFrame:
    """Three key places on streets of the synthetic area, coordinates in ``system``."""
    nodes, _ = grids_area.street_frames()
    picks = nodes.geometry.iloc[[7, 15, 30]]
    lon, lat = picks.x.to_numpy(), picks.y.to_numpy()
    if system == "gcj02":
        lon, lat = wgs84_to_gcj02(lon, lat)
    elif system == "bd09":
        lon, lat = wgs84_to_bd09(lon, lat)
    return pd.DataFrame(
        {
            "编号": ["P1", "P2", "P3"],
            "名称": ["学院路小学", "学院路派出所", "农贸市场"],
            "类型": ["school", "police", "marketplace"],
            "经度": np.round(lon, 7),
            "纬度": np.round(lat, 7),
        }
    )


def roster_rows() -> pd.DataFrame:
    """Two teams, members one per row, bases named by key places."""
    return pd.DataFrame(
        {
            "队伍": ["T1", "T1", "T1", "T2", "T2"],
            "队名": ["平安志愿者第1队"] * 3 + ["平安志愿者第2队"] * 2,
            "姓名": ["张三", "李四", "王五", "赵六", "钱七"],
            "职务": ["队长", "队员", "队员", "组长", "队员"],
            "方式": ["步行", "步行", "步行", "骑行", "骑行"],
            "驻点": ["学院路派出所", "", "", "学院路小学", ""],
            "开始": ["18:30", "", "", "19:00", ""],
            "结束": ["21:30", "", "", "22:00", ""],
        }
    )
