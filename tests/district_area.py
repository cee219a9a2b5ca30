"""Shared fixtures for the team-area and district tests (not a test module).

A 12 x 12 street grid (100 m blocks, tests/patrol_area.street_grid) cut into
three communities side by side (west C1, middle C2, east C3), teams based
in C1 and C2 (none in C3), and stops spread over all three.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from geogrid.network import StreetNetwork
from geogrid.planning.areas import locate_stops
from geogrid.planning.problem import Stop, Team
from tests.patrol_area import H19, UTM_50N, grid_lonlat, street_grid

SIDE = 12
CODES = ("110108001001", "110108001002", "110108001003")


def network() -> StreetNetwork:
    nodes, edges, crs = street_grid(SIDE)
    return StreetNetwork.from_frames(nodes, edges, crs)


def communities() -> gpd.GeoDataFrame:
    """Three vertical strips: street-grid columns 0-4 (C1), 5-8 (C2) and 9-11 (C3)."""
    x0, y0 = 440_000.0 - 50, 4_425_000.0 - 50
    cuts = [x0, x0 + 500, x0 + 900, x0 + SIDE * 100]
    boxes = [shapely.box(cuts[k], y0, cuts[k + 1], y0 + SIDE * 100) for k in range(3)]
    frame = gpd.GeoDataFrame(
        {"code": list(CODES), "name": ["西社区", "中社区", "东社区"]}, geometry=boxes, crs=UTM_50N
    )
    return frame.to_crs("EPSG:4326")


def teams(shift_min: int = 120) -> list[Team]:
    """Two walking teams in C1 (bases at column 1), two in C2 (column 6), areas set."""
    out = []
    for k, (col, code) in enumerate([(1, CODES[0]), (2, CODES[0]), (6, CODES[1]), (6.5, CODES[1])]):
        out.append(
            Team(
                f"t{k + 1}",
                mode="walk",
                speed_kmh=4.5,
                shift_start_s=H19,
                shift_end_s=H19 + shift_min * 60,
                base=grid_lonlat(col, 5 + k % 2),
                areas=frozenset({code}),
            )
        )
    return out


def stops(seed: int = 3, per_community: int = 6) -> list[Stop]:
    """``per_community`` stops in each community at street corners (prize 10-50, 8 min),
    located in their communities."""
    rng = np.random.default_rng(seed)
    out = []
    for c, cols in enumerate([(0, 4), (5, 8), (9, 11)]):
        for n in range(per_community):
            col, row = int(rng.integers(cols[0], cols[1] + 1)), int(rng.integers(0, SIDE))
            out.append(
                Stop(
                    f"c{c + 1}-s{n}",
                    prize=10 * int(rng.integers(1, 6)),
                    dwell_s=480,
                    point=grid_lonlat(col, row),
                )
            )
    return locate_stops(out, communities())
