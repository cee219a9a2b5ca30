"""A small office road layer, written as a Shapefile in CGCS2000 3-degree Gauss-Kruger
(EPSG:4549, central meridian 120E, no zone prefix) near 120.15E 30.25N (Hangzhou).

Like the layers offices send: long lines drawn across each other without a
shared vertex at the crossings (not noded), Chinese road classes and
names in a GBK ``.dbf`` without ``.cpg``, one-way streets written 正向/反向,
a footpath, a bridge crossing the grid, and a T-junction whose end stops
0.3 m short of the street it meets. Coordinates come from a seeded
generator, so every test gets the same file.
"""

from __future__ import annotations

import random
from pathlib import Path

import geopandas as gpd
import shapely

GK_CRS = "EPSG:4549"
X0, Y0 = 514_000.0, 3_347_000.0  # about 120.146E, 30.248N
STEP = 200.0
SEED = 4549


def road_features() -> gpd.GeoDataFrame:
    """The road layer (EPSG:4549): 3 east-west and 3 north-south lines, a bridge, a path, a T."""
    rng = random.Random(SEED)
    rows = []

    def jitter() -> float:
        return rng.uniform(-3.0, 3.0)

    names = ["解放路", "庆春路", "凤起路"]
    for i in range(3):  # east-west, one line each across the whole grid, vertices off the crossings
        y = Y0 + i * STEP
        xs = [X0 - 20, X0 + 90 + jitter(), X0 + 310 + jitter(), X0 + 2 * STEP + 20]
        line = shapely.LineString(
            [(x, y + (0 if k in (0, 3) else jitter() / 10)) for k, x in enumerate(xs)]
        )
        oneway = {0: "", 1: "正向", 2: "反向"}[i]
        rows.append(
            {
                "路名": names[i],
                "DLDJ": "主干路" if i == 0 else "次干路",
                "ONEWAY": oneway,
                "geometry": line,
            }
        )
    for j in range(3):  # north-south
        x = X0 + j * STEP
        ys = [Y0 - 20, Y0 + 110 + jitter(), Y0 + 2 * STEP + 20]
        rows.append(
            {
                "路名": f"中河路{j + 1}",
                "DLDJ": "支路",
                "ONEWAY": "",
                "geometry": shapely.LineString([(x, y) for y in ys]),
            }
        )
    # a bridge drawn straight across the grid (crosses streets it does not meet)
    bridge = shapely.LineString([(X0 - 60, Y0 + 50), (X0 + 2 * STEP + 60, Y0 + 330)])
    rows.append({"路名": "复兴大桥", "DLDJ": "快速路", "ONEWAY": "", "geometry": bridge})
    # a footpath from the middle of a block to the south street
    path = shapely.LineString([(X0 + 100, Y0 + 100), (X0 + 100, Y0)])
    rows.append({"路名": "", "DLDJ": "人行道", "ONEWAY": "", "geometry": path})
    # a T whose end stops 0.3 m short of 庆春路 (y = Y0 + STEP)
    tee = shapely.LineString([(X0 + 300, Y0 + STEP + 60), (X0 + 300, Y0 + STEP + 0.3)])
    rows.append({"路名": "小河路", "DLDJ": "街巷", "ONEWAY": "", "geometry": tee})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=GK_CRS)


def write_roads(
    folder: Path, frame: gpd.GeoDataFrame | None = None, name: str = "roads.shp"
) -> Path:
    """Write the layer as a Shapefile (GBK .dbf, .prj, no .cpg) into ``folder``; returns the
    .shp."""
    frame = road_features() if frame is None else frame
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    frame.to_file(path, driver="ESRI Shapefile", encoding="GBK")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    return path


def write_boundary(folder: Path) -> Path:
    """A boundary GeoJSON (WGS-84) 10 m around the road grid."""
    outline = gpd.GeoSeries(
        [shapely.box(X0 - 10, Y0 - 10, X0 + 2 * STEP + 10, Y0 + 2 * STEP + 10)], crs=GK_CRS
    ).to_crs("EPSG:4326")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "boundary.geojson"
    path.write_text(outline.to_json(), encoding="utf-8")
    return path


def add_layer(area: Path, layer: str, rows: list[tuple[str, str, float, float]]) -> None:
    """Write key-location layer ``layer`` of ``(id, name, x, y)`` rows (EPSG:4549 metres)."""
    from geogrid.io.workspace import Workspace

    frame = gpd.GeoDataFrame(
        {
            "id": [r[0] for r in rows],
            "kind": [layer] * len(rows),
            "layer": [layer] * len(rows),
            "name": [r[1] for r in rows],
        },
        geometry=gpd.GeoSeries([shapely.Point(r[2], r[3]) for r in rows], crs=GK_CRS).to_crs(
            "EPSG:4326"
        ),
    )
    Workspace(area).write_layer(layer, frame, author="test", message=layer)


POSTS = [
    ("p1", "湖滨派出所", X0 + 5, Y0 + 1),
    ("p2", "小车桥警务室", X0 + 2 * STEP - 5, Y0 + 2 * STEP + 1),
]
