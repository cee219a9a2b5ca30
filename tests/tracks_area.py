"""A patrol area with a planned night for the track, log and report tests (not a test module).

The tiny area of ``tests/jobs_area.py`` (street grid of 100 m blocks at the origin of
``tests/data/tracks/make_tracks.py``) with a hand-written plan for 2026-11-03:
team-a passes school post A (1, 1), hot spots B (3, 3) and C (4, 1). The fixture
walk visits A only (B too short, C never near).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import shapely

from geogrid.io.plans import write_plan_documents
from geogrid.io.workspace import Workspace
from tests.grids_area import UTM_50N, X0, Y0
from tests.jobs_area import make_patrol_area

DAY = "2026-11-03"
TRACKS = Path(__file__).parent / "data" / "tracks"
STOPS = (
    ("school-A", "学院路小学", "school", (1, 1), "19:05", "19:15"),
    ("hotspot-B", "热点1 · 学院路", "hotspot", (3, 3), "19:25", "19:35"),
    ("hotspot-C", "热点2 · 学院路", "hotspot", (4, 1), "19:45", "19:55"),
)


def lonlat(col: float, row: float) -> tuple[float, float]:
    p = (
        gpd.GeoSeries([shapely.Point(X0 + col * 100, Y0 + row * 100)], crs=UTM_50N)
        .to_crs("EPSG:4326")
        .iloc[0]
    )
    return float(p.x), float(p.y)


def plan_geojson() -> dict:
    route = [
        lonlat(*cr)
        for cr in ((0, 0), (1, 0), (1, 1), (3, 1), (3, 3), (4, 3), (4, 1), (0, 1), (0, 0))
    ]
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": route},
            "properties": {
                "feature": "route",
                "team": "team-a",
                "team_name": "一队",
                "stops": 3,
                "depart": "19:00",
                "return": "21:00",
                "distance_m": 1600.0,
                "total_min": 120.0,
                "mode": "walk",
            },
        }
    ]
    for seq, (sid, name, kind, cr, start, leave) in enumerate(STOPS, 1):
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": list(lonlat(*cr))},
                "properties": {
                    "feature": "stop",
                    "team": "team-a",
                    "team_name": "一队",
                    "seq": seq,
                    "stop_id": sid,
                    "name": name,
                    "kind": kind,
                    "start": start,
                    "leave": leave,
                    "dwell_min": 10.0,
                    "notes": "",
                    "extra": False,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def make_planned_area(folder: Path) -> Path:
    """The area with the night's plan of team-a on :data:`DAY`; returns the area folder."""
    make_patrol_area(folder)
    summary = {"area": "synthetic-grids", "teams": [{"team": "team-a", "stops": 3}]}
    write_plan_documents(Workspace(folder).plans_dir(DAY), plan_geojson(), summary)
    return folder
