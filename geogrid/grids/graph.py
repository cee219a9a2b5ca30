"""The unit graph: which units are neighbours, and how much boundary they share.

Units sharing a boundary of at least :data:`MIN_SHARED_M` are neighbours
(rook adjacency; a corner contact is not enough), measured in the area's
metric CRS.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from scipy import sparse

from geogrid.grids.units import _metric_geoms

#: Units sharing less boundary than this are not neighbours (corner contact).
MIN_SHARED_M = 1.0


@dataclass(frozen=True)
class UnitGraph:
    """Rook adjacency of units in metric space (shared boundary >= MIN_SHARED_M)."""

    adjacency: sparse.csr_matrix  # shared boundary length in metres, symmetric
    area_m2: np.ndarray
    perimeter_m: np.ndarray
    x: np.ndarray
    y: np.ndarray

    def neighbours(self, i: int) -> np.ndarray:
        a = self.adjacency
        return np.asarray(a.indices[a.indptr[i] : a.indptr[i + 1]])

    def shared(self, i: int) -> np.ndarray:
        a = self.adjacency
        return np.asarray(a.data[a.indptr[i] : a.indptr[i + 1]])


def unit_graph(units: gpd.GeoDataFrame, metric_crs: str) -> UnitGraph:
    """Build the neighbour graph of ``units`` (any CRS)."""
    geoms = _metric_geoms(units, metric_crs, "units")
    n = len(geoms)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    boundaries = shapely.boundary(geoms)
    shared = shapely.length(shapely.intersection(boundaries[left], boundaries[right]))
    ok = shared >= MIN_SHARED_M
    left, right, shared = left[ok], right[ok], shared[ok]
    adjacency = sparse.coo_matrix(
        (
            np.concatenate([shared, shared]),
            (np.concatenate([left, right]), np.concatenate([right, left])),
        ),
        shape=(n, n),
    ).tocsr()
    adjacency.sort_indices()
    centres = shapely.point_on_surface(geoms) if n else np.array([])
    return UnitGraph(
        adjacency=adjacency,
        area_m2=np.asarray(shapely.area(geoms), dtype=float),
        perimeter_m=np.asarray(shapely.length(geoms), dtype=float),
        x=np.asarray(shapely.get_x(centres), dtype=float) if n else np.zeros(0),
        y=np.asarray(shapely.get_y(centres), dtype=float) if n else np.zeros(0),
    )
