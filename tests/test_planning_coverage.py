"""Service areas along the streets, coverage shares and post siting (MCLP)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geogrid.errors import InputError
from geogrid.network import StreetNetwork
from geogrid.planning.coverage import (
    CoveringModel,
    choose_posts,
    coverage_shares,
    service_areas,
    solve_mclp,
)
from tests.patrol_area import grid_lonlat, street_grid


@pytest.fixture(scope="module")
def network() -> StreetNetwork:
    nodes, edges, crs = street_grid(8)
    return StreetNetwork.from_frames(nodes, edges, crs)


def points(*cells: tuple[float, float], **cols: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        cols, geometry=[shapely.Point(grid_lonlat(*c)) for c in cells], crs="EPSG:4326"
    )


def test_service_areas_grow_with_minutes(network: StreetNetwork) -> None:
    """Longer response times reach more street and nest the shorter areas."""
    posts = points((0, 0), id=["p"]).set_index("id")
    areas = service_areas(network, posts, (1, 3, 5), speed_kmh=6.5)  # 108 m/min
    assert list(areas["minutes"]) == [1, 3, 5]
    assert areas["street_m"].is_monotonic_increasing
    assert areas.geometry.iloc[2].buffer(1e-7).contains(areas.geometry.iloc[1])
    # 3 min = 325 m along the streets reaches (2, 1) (300 m) but not (2, 2) (400 m)
    assert areas.geometry.iloc[1].contains(shapely.Point(grid_lonlat(2, 1)))
    assert not areas.geometry.iloc[1].contains(shapely.Point(grid_lonlat(2.5, 2.5)))


def test_coverage_shares_by_network_time(network: StreetNetwork) -> None:
    """Shares count demand within each time along the streets, weighted."""
    posts = points((0, 0))
    demand = {
        "incidents": points((1, 0), (3, 0), (7, 7)),
        "households": points((1, 1), (6, 6), weight=[30.0, 10.0]),
    }
    shares = coverage_shares(network, posts, demand, (1.5, 3.5), speed_kmh=6.0)
    got = {(r["demand"], r["minutes"]): r["share"] for r in shares}
    assert got[("incidents", 1.5)] == pytest.approx(1 / 3)
    assert got[("incidents", 3.5)] == pytest.approx(2 / 3)
    assert got[("households", 3.5)] == pytest.approx(0.75)


def test_covering_model_validates() -> None:
    """Wrong shapes and too many sites are reported together."""
    with pytest.raises(InputError, match="cannot open"):
        CoveringModel(np.ones((2, 3), dtype=bool), np.ones(3), 5)


def test_mclp_from_cost_matrix_is_optimal() -> None:
    """From a cost matrix, the MCLP picks the site covering the heaviest demand."""
    cost = np.array([[0, 1, 9, 9], [9, 9, 0, 1], [9, 0, 9, 9]])
    model = CoveringModel.from_cost_matrix(cost, [1, 1, 5, 5], max_cost=1, n_new=1)
    sol = solve_mclp(model, time_limit_s=5)
    assert sol.new == (1,) and sol.covered == 10 and sol.optimal


def test_choose_posts_keeps_existing(network: StreetNetwork) -> None:
    """Existing posts stay open; the new post goes where the uncovered demand is."""
    existing = points((0, 0))
    demand = points((0, 1), (6, 6), (6, 7), (7, 6))
    chosen = choose_posts(
        network, demand, 1, minutes=2, existing=existing, speed_kmh=6.0, time_limit_s=5
    )
    assert list(chosen["new"]) == [False, True]
    assert chosen["covered_share"].iloc[0] == pytest.approx(1.0)
    assert chosen.geometry.iloc[1].distance(shapely.Point(grid_lonlat(6.3, 6.3))) < 0.003
