"""A tiny in-memory area for the webmap tests (imported by tests/test_webmap_*.py).

About 1 km square in Haidian, Beijing: a 2 x 2 grid, a few streets with Chinese
names, three key places (incl. the school 海淀实验小学) and 200 seeded
synthetic incidents over 14 months (2025-03 .. 2026-04) spread unevenly over
the grids so that one grid has fewer than 5 incidents (suppressed on the public
map), plus six records of a sensitive category that must never be counted.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geogrid.io.workspace import Area

WEST, SOUTH, EAST, NORTH = 116.300, 39.980, 116.312, 39.989
MID_X, MID_Y = (WEST + EAST) / 2, (SOUTH + NORTH) / 2
METRIC_CRS = "EPSG:32650"
SCHOOL_NAME = "海淀实验小学"
#: incidents per grid: G4 has fewer than 5, so its count is suppressed
INCIDENTS_PER_GRID = {"G1": 100, "G2": 60, "G3": 37, "G4": 3}
#: records of a sensitive category (never published), all in G1 on top of its 100
SENSITIVE_COUNT = 6
SENSITIVE_CATEGORY = "domestic_violence"
HOUSEHOLDS_PER_GRID = {"G1": 400, "G2": 250, "G3": 300, "G4": 120}
OSM_SOURCE = {
    "role": "osm",
    "licence": "ODbL 1.0",
    "attribution": "© OpenStreetMap contributors",
    "url": "https://www.openstreetmap.org/copyright",
}


def _grids() -> gpd.GeoDataFrame:
    boxes = {
        "G1": (WEST, MID_Y, MID_X, NORTH),
        "G2": (MID_X, MID_Y, EAST, NORTH),
        "G3": (WEST, SOUTH, MID_X, MID_Y),
        "G4": (MID_X, SOUTH, EAST, MID_Y),
    }
    names = {"G1": "西北网格", "G2": "东北网格", "G3": "西南网格", "G4": "东南网格"}
    return gpd.GeoDataFrame(
        {"grid_id": list(boxes), "name": [names[g] for g in boxes]},
        geometry=[shapely.box(*b) for b in boxes.values()],
        crs="EPSG:4326",
    )


def _buildings(grids: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    rows = []
    for grid_id, cell in zip(grids["grid_id"], grids.geometry, strict=True):
        w, s, e, n = cell.bounds
        # two buildings per grid, splitting the grid's households
        for k, share in enumerate((0.6, 0.4)):
            x = w + (e - w) * (0.3 + 0.4 * k)
            y = s + (n - s) * 0.3
            rows.append(
                {
                    "id": f"B-{grid_id}-{k}",
                    "households": int(round(HOUSEHOLDS_PER_GRID[grid_id] * share)),
                    "geometry": shapely.box(x, y, x + 0.0005, y + 0.0004),
                }
            )
    return gpd.GeoDataFrame(rows, crs="EPSG:4326")


def _streets() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    main_y, side_x = MID_Y + 0.0012, MID_X - 0.0015
    coords = {
        1: (WEST, main_y),
        2: (side_x, main_y),
        3: (EAST, main_y),
        4: (side_x, SOUTH),
        5: (side_x, NORTH),
        6: (WEST, SOUTH + 0.002),
        7: (EAST, SOUTH + 0.002),
        8: (WEST + 0.003, MID_Y),
        9: (WEST + 0.003, NORTH),
    }
    ways = [
        (1, 2, 101, "primary", "中关村大街"),
        (2, 3, 101, "primary", "中关村大街"),
        (4, 2, 102, "residential", "海淀南路"),
        (2, 5, 102, "residential", "海淀南路"),
        (6, 7, 103, "residential", "苏州街"),
        (8, 9, 104, "footway", None),
    ]
    nodes = gpd.GeoDataFrame(
        {"node_id": list(coords)},
        geometry=[shapely.Point(xy) for xy in coords.values()],
        crs="EPSG:4326",
    ).set_index("node_id")
    edges = gpd.GeoDataFrame(
        [
            {
                "u": u,
                "v": v,
                "way_id": way,
                "highway": hw,
                "name": name,
                "length_m": 100.0,
                "walk": True,
                "bike": hw != "footway",
                "drive": hw != "footway",
                "oneway_bike": False,
                "oneway_drive": False,
                "geometry": shapely.LineString([coords[u], coords[v]]),
            }
            for u, v, way, hw, name in ways
        ],
        crs="EPSG:4326",
    )
    return nodes, edges


def _places() -> dict[str, gpd.GeoDataFrame]:
    def frame(rows: list[tuple[str, str, str, float, float]], layer: str) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(
            {
                "id": [r[0] for r in rows],
                "kind": [r[1] for r in rows],
                "layer": layer,
                "name": [r[2] for r in rows],
            },
            geometry=[shapely.Point(r[3], r[4]) for r in rows],
            crs="EPSG:4326",
        )

    return {
        "schools": frame(
            [("node/9001", "school", SCHOOL_NAME, WEST + 0.002, NORTH - 0.002)], "schools"
        ),
        "police": frame(
            [("node/9002", "police", "中关村派出所", EAST - 0.002, MID_Y + 0.001)], "police"
        ),
        "markets": frame(
            [("way/9003", "marketplace", "海淀菜市场", MID_X + 0.001, SOUTH + 0.001)], "markets"
        ),
    }


def _incidents(grids: gpd.GeoDataFrame, seed: int = 7) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    points, ids = [], []
    for grid_id, cell in zip(grids["grid_id"], grids.geometry, strict=True):
        w, s, e, n = cell.bounds
        count = INCIDENTS_PER_GRID[grid_id]
        # keep clear of the grid edges so each incident is in exactly one grid
        xs = rng.uniform(w + 0.0003, e - 0.0003, count)
        ys = rng.uniform(s + 0.0003, n - 0.0003, count)
        points.extend(shapely.Point(x, y) for x, y in zip(xs, ys, strict=True))
    # six sensitive records in the north-west grid: never counted in public
    w, s, e, n = grids.geometry.iloc[0].bounds
    points.extend(shapely.Point(w + 0.001 * (k + 1), s + 0.001) for k in range(SENSITIVE_COUNT))
    ids = [f"INC-SYN-{k:04d}" for k in range(1, len(points) + 1)]
    # 14 months, 2025-03 .. 2026-04, shuffled over the grids
    times = pd.date_range("2025-03-01 08:07", periods=len(points), freq="51h", tz="Asia/Shanghai")
    times = times[rng.permutation(len(points))]
    kinds = np.array(["theft", "fraud", "dispute", "vandalism"])
    categories = kinds[rng.integers(0, len(kinds), len(points))].astype(object)
    categories[-SENSITIVE_COUNT:] = SENSITIVE_CATEGORY
    return gpd.GeoDataFrame(
        {"id": ids, "time": times, "category": categories, "synthetic": True},
        geometry=points,
        crs="EPSG:4326",
    )


def build_tiny_area(*, with_grids: bool = True, synthetic_in_manifest: bool = True) -> Area:
    """The tiny Haidian area; ``with_grids=False`` leaves the grids frame empty."""
    grids = _grids()
    incidents = _incidents(grids)
    nodes, edges = _streets()
    manifest = {
        "name": "海淀示例社区",
        "admin_code": "110108",
        "metric_crs": METRIC_CRS,
        "bbox": [WEST, SOUTH, EAST, NORTH],
        "sources": [dict(OSM_SOURCE)],
        "synthetic": {"incidents": synthetic_in_manifest, "teams": False},
    }
    return Area(
        path=Path("tests/data/tiny-haidian"),
        manifest=manifest,
        boundary=gpd.GeoDataFrame(
            {"name": ["海淀示例社区"]},
            geometry=[shapely.box(WEST, SOUTH, EAST, NORTH)],
            crs="EPSG:4326",
        ),
        grids=grids if with_grids else grids.iloc[0:0],
        buildings=_buildings(grids),
        layers=_places(),
        incidents=incidents,
        teams=None,
        nodes=nodes,
        edges=edges,
    )


def incident_fingerprints(area: Area) -> list[str]:
    """Strings that would reveal a raw incident: its id, its exact coordinates
    (full precision, when they have 8+ decimals) and its position to 5 or 6
    decimals as a lon, lat or lat, lon pair."""
    out: list[str] = []
    assert area.incidents is not None
    for incident_id, point in zip(area.incidents["id"], area.incidents.geometry, strict=True):
        x, y = point.x, point.y
        out.append(str(incident_id))
        # a lone coordinate is a fingerprint only when precise enough to be unique
        out += [repr(v) for v in (x, y) if len(repr(v).partition(".")[2]) >= 8]
        for digits in (5, 6):
            out += [f"{x:.{digits}f}, {y:.{digits}f}", f"{y:.{digits}f}, {x:.{digits}f}"]
    return out


#: incidents per grid in :func:`build_busy_area`: enough for a mix of released and hidden
#: place x category x month counts
BUSY_INCIDENTS_PER_GRID = {"G1": 1500, "G2": 700, "G3": 260, "G4": 60}
BUSY_CATEGORIES = {"theft": 0.5, "fraud": 0.25, "dispute": 0.17, "vandalism": 0.08}


def build_busy_area(seed: int = 11) -> Area:
    """The tiny area with many more (seeded, synthetic) incidents over 24 months
    (2024-05 .. 2026-04), skewed over grids and categories, so that its released table
    has both released and hidden cells in most lines: the ground for the differencing
    attacks."""
    import dataclasses

    area = build_tiny_area()
    rng = np.random.default_rng(seed)
    points, times, categories = [], [], []
    start = pd.Timestamp("2024-05-01", tz="Asia/Shanghai")
    span_s = (pd.Timestamp("2026-05-01", tz="Asia/Shanghai") - start).total_seconds()
    kinds, weights = list(BUSY_CATEGORIES), list(BUSY_CATEGORIES.values())
    for grid_id, cell in zip(area.grids["grid_id"], area.grids.geometry, strict=True):
        w, s, e, n = cell.bounds
        count = BUSY_INCIDENTS_PER_GRID[grid_id]
        xs = rng.uniform(w + 0.0003, e - 0.0003, count)
        ys = rng.uniform(s + 0.0003, n - 0.0003, count)
        points.extend(shapely.points(np.column_stack([xs, ys])))
        # busier in the later months, so month totals differ
        offsets = span_s * np.sqrt(rng.uniform(0, 1, count))
        times.extend(start + pd.to_timedelta(offsets, unit="s"))
        categories.extend(rng.choice(kinds, size=count, p=weights))
    incidents = gpd.GeoDataFrame(
        {
            "id": [f"INC-BUSY-{k:05d}" for k in range(len(points))],
            "time": pd.DatetimeIndex(times).floor("min"),
            "category": categories,
            "synthetic": True,
        },
        geometry=points,
        crs="EPSG:4326",
    )
    return dataclasses.replace(area, incidents=incidents)
