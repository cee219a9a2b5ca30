"""geogrid.grids.checks: every problem of a grids layer, with code and place."""

from __future__ import annotations

import geopandas as gpd
import shapely

from geogrid import grids as G
from tests.grids_area import UTM_50N


def _square(c: float, r: float, w: float = 1, h: float = 1) -> shapely.Polygon:
    x, y = 440_000 + c * 100, 4_425_000 + r * 100
    return shapely.box(x, y, x + w * 100, y + h * 100)


def test_validate_grids_lists_every_problem_with_code_and_place() -> None:
    """Gap, overlap, pieces, outside parent, out of band, missing worker and code are all
    reported."""
    geoms = [
        _square(0, 0, 2, 1),  # A, fine
        _square(1.5, 0, 1.5, 1),  # B overlaps A
        shapely.union(_square(0, 1), _square(2, 1)),  # C in two pieces
        _square(3, 0, 1.5, 2),  # D sticks out of parent/boundary
    ]
    grids = gpd.GeoDataFrame(
        {
            "code": ["A", "B", "C", None],
            "parent_code": ["P", "P", "P", "P"],
            "households": [400, 400, 100, 400],
            "worker": ["王", "李", "张", None],
        },
        geometry=geoms,
        crs=UTM_50N,
    )
    parent = gpd.GeoDataFrame({"code": ["P"]}, geometry=[_square(0, 0, 4, 2)], crs=UTM_50N)
    problems = G.validate_grids(grids, UTM_50N, boundary=parent, parents=parent)
    kinds = {(p.kind, p.code) for p in problems}
    assert ("overlap", "A") in kinds
    assert ("non-contiguous", "C") in kinds
    assert ("outside parent", None) in kinds
    assert ("households out of band", "C") in kinds
    assert ("missing worker", None) in kinds
    assert ("missing code", None) in kinds
    assert any(p.kind == "gap" for p in problems)
    assert all(116 < p.lon < 117 and 39 < p.lat < 41 for p in problems)
