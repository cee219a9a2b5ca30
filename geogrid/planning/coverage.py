"""What posts and patrols cover: service areas, coverage shares, post siting.

* :func:`service_areas` - the streets reachable from each post within 1 / 3 /
  5 minutes (response circles along the network, not as the crow flies);
* :func:`coverage_shares` - share of incidents, households and key locations
  reached within each time;
* :class:`CoveringModel` / :func:`choose_posts` - maximal covering location
  (MCLP): pick K new posts that maximise the covered demand with the
  existing posts kept. The model is built from a cost matrix (like spopt's
  ``MCLP.from_cost_matrix``) and solved by :mod:`geogrid.planning.solvers.covering` (MIP).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geogrid.errors import InputError
from geogrid.network import DEFAULT_MAX_SNAP_M, StreetNetwork, travel_time_matrix
from geogrid.planning.solvers.covering import solve_covering


def service_areas(
    network: StreetNetwork,
    posts: gpd.GeoDataFrame,
    minutes: Sequence[float] = (1.0, 3.0, 5.0),
    *,
    mode: str = "walk",
    speed_kmh: float | None = None,
    buffer_m: float = 25.0,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> gpd.GeoDataFrame:
    """Polygons of the streets reachable from each post within each time.

    A street segment counts when both its ends are reached in time; the
    reached segments are buffered by ``buffer_m`` (the pavement either side).

    Returns
    -------
    GeoDataFrame (EPSG:4326) with columns post, minutes, street_m, geometry.
    """
    nodes = gpd.GeoSeries(shapely.points(network.node_xy), crs=network.metric_crs)
    ttm = travel_time_matrix(
        network, posts, nodes, mode=mode, speed_kmh=speed_kmh, max_snap_m=max_snap_m,
        component="any", unreachable="inf",
    )  # fmt: skip
    node_pos = {int(n): i for i, n in enumerate(network.node_ids)}
    u = np.array([node_pos[int(n)] if int(n) in node_pos else int(n) for n in network.edge_u])
    v = np.array([node_pos[int(n)] if int(n) in node_pos else int(n) for n in network.edge_v])
    rows = []
    for p, post in enumerate(ttm.origins.ids):
        for minute in minutes:
            reached = ttm.seconds[p] <= minute * 60
            mask = reached[u] & reached[v]
            lines = network.edge_geometry[mask]
            geom = (
                shapely.union_all(shapely.buffer(lines, buffer_m))
                if len(lines)
                else shapely.Polygon()
            )
            rows.append(
                {
                    "post": str(post),
                    "minutes": float(minute),
                    "street_m": float(network.edge_length_m[mask].sum()),
                    "geometry": geom,
                }
            )
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=network.metric_crs)
    return frame.to_crs("EPSG:4326")


def response_seconds(
    network: StreetNetwork,
    posts: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    *,
    mode: str = "walk",
    speed_kmh: float | None = None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> np.ndarray:
    """``(n_posts, n_demand)`` seconds from each post to each demand point."""
    points = demand.copy()
    points["geometry"] = points.geometry.representative_point()
    ttm = travel_time_matrix(
        network, posts, points.geometry, mode=mode, speed_kmh=speed_kmh, max_snap_m=max_snap_m,
        component="any", unreachable="inf",
    )  # fmt: skip
    return ttm.seconds


def _weights(frame: gpd.GeoDataFrame) -> np.ndarray:
    if "weight" in frame.columns:
        weights: np.ndarray = frame["weight"].fillna(0).to_numpy(dtype=float)
        return weights
    return np.ones(len(frame))


def coverage_shares(
    network: StreetNetwork,
    posts: gpd.GeoDataFrame,
    demand: Mapping[str, gpd.GeoDataFrame],
    minutes: Sequence[float] = (1.0, 3.0, 5.0),
    *,
    mode: str = "walk",
    speed_kmh: float | None = None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> list[dict[str, Any]]:
    """Share of each demand layer reached from any post within each time.

    ``demand`` maps a label ("incidents", "households", ...) to points or
    polygons; an optional ``weight`` column weighs them (households).
    """
    out = []
    for label, frame in demand.items():
        weights = _weights(frame)
        best = response_seconds(
            network, posts, frame, mode=mode, speed_kmh=speed_kmh, max_snap_m=max_snap_m
        ).min(axis=0)
        total = float(weights.sum())
        for minute in minutes:
            covered = float(weights[best <= minute * 60].sum())
            out.append(
                {
                    "demand": label,
                    "minutes": float(minute),
                    "covered": covered,
                    "total": total,
                    "share": covered / total if total else 0.0,
                }
            )
    return out


@dataclass(frozen=True, eq=False)
class CoveringModel:
    """An MCLP instance as numbers: which site covers which demand point.

    Attributes
    ----------
    cover : (n_sites, n_demand) bool
    weights : (n_demand,) float
    n_new : int - sites to open besides the fixed ones
    fixed : tuple of int - sites open already (existing posts)
    """

    cover: np.ndarray
    weights: np.ndarray
    n_new: int
    fixed: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        problems = []
        if self.cover.ndim != 2 or self.cover.shape[1] != len(self.weights):
            problems.append(f"cover {self.cover.shape} does not match {len(self.weights)} weights")
        if (np.asarray(self.weights) < 0).any():
            problems.append("demand weights must be >= 0")
        if self.n_new < 0 or self.n_new + len(self.fixed) > self.cover.shape[0]:
            problems.append(
                f"cannot open {self.n_new} new sites among {self.cover.shape[0]} candidates"
            )
        if any(not 0 <= j < self.cover.shape[0] for j in self.fixed):
            problems.append("a fixed site is not a candidate")
        if problems:
            raise InputError("the covering model is malformed", problems)
        self.cover.setflags(write=False)

    @classmethod
    def from_cost_matrix(
        cls,
        cost: np.ndarray,
        weights: Sequence[float] | np.ndarray,
        max_cost: float,
        n_new: int,
        fixed: Sequence[int] = (),
    ) -> CoveringModel:
        """Sites cover the demand points with ``cost <= max_cost``."""
        return cls(
            np.asarray(cost) <= max_cost, np.asarray(weights, dtype=float), int(n_new), tuple(fixed)
        )


@dataclass(frozen=True)
class CoveringSolution:
    """Chosen sites, covered demand and the proof."""

    open: tuple[int, ...]
    new: tuple[int, ...]
    covered: float
    total: float
    optimal: bool
    bound: float
    solve_s: float


def solve_mclp(model: CoveringModel, *, time_limit_s: float = 10.0) -> CoveringSolution:
    """Solve the MCLP exactly (MIP); ``optimal`` says whether it was proven."""
    result = solve_covering(
        model.cover, model.weights.tolist(), model.n_new, model.fixed, time_limit_s=time_limit_s
    )
    fixed = set(model.fixed)
    return CoveringSolution(
        open=result.open,
        new=tuple(j for j in result.open if j not in fixed),
        covered=result.covered_weight,
        total=float(np.sum(model.weights)),
        optimal=result.optimal,
        bound=result.bound,
        solve_s=result.solve_s,
    )


def candidate_sites(network: StreetNetwork, max_sites: int = 400) -> gpd.GeoDataFrame:
    """Street nodes as candidate post sites, thinned evenly to at most ``max_sites``."""
    step = max(1, int(np.ceil(len(network.node_ids) / max_sites)))
    order = np.lexsort((network.node_xy[:, 1], network.node_xy[:, 0]))[::step]
    return gpd.GeoDataFrame(
        {"node_id": network.node_ids[order]},
        geometry=shapely.points(network.node_xy[order]),
        crs=network.metric_crs,
    ).to_crs("EPSG:4326")


def choose_posts(
    network: StreetNetwork,
    demand: gpd.GeoDataFrame,
    k: int,
    *,
    minutes: float = 3.0,
    existing: gpd.GeoDataFrame | None = None,
    candidates: gpd.GeoDataFrame | None = None,
    mode: str = "walk",
    speed_kmh: float | None = None,
    time_limit_s: float = 10.0,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> gpd.GeoDataFrame:
    """Pick ``k`` new posts among ``candidates`` (default: street nodes).

    Returns the open posts (existing first, flagged ``new=False``) with the
    demand each reaches first and the total covered share in ``covered_share``.
    """
    cands = candidates if candidates is not None else candidate_sites(network)
    sites = [cands.geometry.to_crs("EPSG:4326")]
    n_fixed = 0
    if existing is not None and len(existing):
        sites.insert(0, existing.geometry.to_crs("EPSG:4326").representative_point())
        n_fixed = len(existing)
    all_sites = gpd.GeoSeries(np.concatenate([s.to_numpy() for s in sites]), crs="EPSG:4326")
    all_sites.index = range(len(all_sites))
    seconds = response_seconds(
        network, gpd.GeoDataFrame(geometry=all_sites), demand, mode=mode, speed_kmh=speed_kmh,
        max_snap_m=max_snap_m,
    )  # fmt: skip
    model = CoveringModel.from_cost_matrix(
        seconds, _weights(demand), minutes * 60, k, range(n_fixed)
    )
    solution = solve_mclp(model, time_limit_s=time_limit_s)
    chosen = list(solution.open)
    return gpd.GeoDataFrame(
        {
            "site": chosen,
            "new": [j >= n_fixed for j in chosen],
            "covers": [float(model.weights[model.cover[j]].sum()) for j in chosen],
            "covered_share": solution.covered / solution.total if solution.total else 0.0,
            "optimal": solution.optimal,
        },
        geometry=all_sites.iloc[chosen].to_numpy(),
        crs="EPSG:4326",
    )
