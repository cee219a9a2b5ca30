"""A tiny patrol area for the job tests (not a test module): the street grid of
``tests/grids_area.py`` (7 x 5 blocks of 100 m, no grids), three walking teams and a
few key places, with a patrol config that solves in about a second."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import shapely

from geogrid.io import geojson
from tests.grids_area import SPACING_M, UTM_50N, X0, Y0, make_area

TEAMS = ("team-a", "team-b", "team-c")
CONFIG = """\
[solver]
time_limit_s = 1
seed = 1

[[places]]
layer = "markets"
prize = 20
dwell_min = 5
"""


def _at(col: float, row: float) -> shapely.Point:
    return shapely.Point(X0 + col * SPACING_M, Y0 + row * SPACING_M)


def make_patrol_area(folder: Path) -> tuple[Path, Path]:
    """Write the area into ``folder``; returns (area folder, patrol config path)."""
    make_area(folder)
    teams = gpd.GeoDataFrame(
        {
            "id": list(TEAMS),
            "mode": "walk",
            "name": ["一队", "二队", "三队"],
            "shift_start": "19:00",
            "shift_end": "21:00",
        },
        geometry=[_at(0, 0), _at(7, 0), _at(3, 5)],
        crs=UTM_50N,
    ).to_crs("EPSG:4326")
    spots = [(1, 1), (2, 4), (5, 1), (6, 4), (4, 2), (1, 3)]
    markets = gpd.GeoDataFrame(
        {
            "id": [f"node/{900 + k}" for k in range(len(spots))],
            "kind": "marketplace",
            "name": [f"菜市场{k}" for k in range(len(spots))],
            "layer": "markets",
        },
        geometry=[_at(c, r) for c, r in spots],
        crs=UTM_50N,
    ).to_crs("EPSG:4326")
    geojson.write_layer(teams, folder / "teams.geojson", "teams", history=False)
    geojson.write_layer(markets, folder / "layers" / "markets.geojson", "places", history=False)
    config = folder / "patrol.toml"
    config.write_text(CONFIG, encoding="utf-8")
    return folder, config
