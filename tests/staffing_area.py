"""Shared fixtures of the staffing tests: grids of the synthetic area and a generated roster."""

from __future__ import annotations

import math
from functools import cache

import geopandas as gpd
import pandas as pd
import shapely

from geogrid import grids as G
from geogrid import staffing as S
from geogrid.synthetic import generate_roster
from tests.grids_area import UTM_50N, buildings, communities, outline, street_frames


@cache
def grids() -> gpd.GeoDataFrame:
    """Grids (300-500 households) of the synthetic street blocks in two communities."""
    boundary = gpd.GeoDataFrame(geometry=[outline()], crs=UTM_50N).to_crs("EPSG:4326")
    _, edges = street_frames()
    units = G.count_households(
        G.units_from_streets(boundary, edges, UTM_50N, communities()), buildings(), UTM_50N
    )
    return G.build_grids(units, UTM_50N, seed=0).grids


def roster(seed: int = 7, drop_workers: int = 0, **kwargs: int) -> S.Roster:
    """The generated synthetic roster of :func:`grids`, minus ``drop_workers`` full-time workers."""
    table = generate_roster(grids(), seed=seed, **kwargs)
    if drop_workers:
        workers = table.index[table["role"] == "专职网格员"][:drop_workers]
        table = table.drop(index=workers)
    table.index = pd.RangeIndex(2, len(table) + 2)
    fields = (
        table.drop(columns=["x", "y", "synthetic"])
        .astype(object)
        .map(lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v))
    )
    homes = gpd.GeoSeries(
        shapely.points(table["x"], table["y"]), index=table.index, crs="EPSG:4326"
    )
    return S.roster_from_fields(fields, homes, communities=communities())
