"""A row of 100 m squares as grids for the rebalance step tests (not a test module)."""

from __future__ import annotations

import numpy as np

from geogrid.grids.graph import UnitGraph, unit_graph
from geogrid.grids.model import Band
from geogrid.grids.rebalance_state import GridState, Rules
from tests.grids_area import UTM_50N, units_frame

BAND = Band(300, 500)


def row_state(
    households: list[int], grids: list[int], band: Band = BAND
) -> tuple[GridState, Rules, UnitGraph]:
    """Squares in one row (west to east) with ``households``, unit i in grid ``grids[i]``; no rule
    but the band."""
    units = units_frame([(i, 0, h) for i, h in enumerate(households)])
    graph = unit_graph(units, UTM_50N)
    labels = np.asarray(grids, dtype=np.int64)
    n = int(labels.max()) + 1
    state = GridState(
        graph,
        labels.copy(),
        np.asarray(households, dtype=float),
        None,
        np.zeros(len(households), dtype=bool),
        n,
    )
    rules = Rules(
        band=[band] * n,
        also=None,
        pp_floor=[-1.0] * n,
        parent=["p"] * n,
        closed=set(),
        median_floor=-1.0,
    )
    return state, rules, graph
