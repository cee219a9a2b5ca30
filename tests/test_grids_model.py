"""geogrid.grids.model: the household band and the plan."""

from __future__ import annotations

import geopandas as gpd
import pytest

from geogrid import grids as G
from geogrid.errors import InputError
from tests.grids_area import UTM_50N


def test_band_must_not_be_empty() -> None:
    """Band(500, 300) is refused with a message saying how to give it."""
    with pytest.raises(InputError, match="min <= max"):
        G.Band(500, 300)


def test_plan_band_of_a_parent_overrides_the_default() -> None:
    """A parent with its own band gets it; every other parent gets the default band."""
    plan = G.GridPlan(
        units=gpd.GeoDataFrame(),
        grids=gpd.GeoDataFrame(),
        metric_crs=UTM_50N,
        default_band=G.Band(300, 500),
        bands={"P1": G.Band(100, 200)},
    )
    assert plan.band_of("P1") == G.Band(100, 200)
    assert plan.band_of("P2") == G.Band(300, 500)
