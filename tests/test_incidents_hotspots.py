"""Tests for geogrid.incidents.hotspots: Gi* with FDR and the ranked hot spots."""

from __future__ import annotations

import numpy as np

from geogrid import incidents as inc
from tests.incidents_data import UTM50, clustered_incidents, voronoi_cells


def test_gi_star_finds_a_planted_cluster_and_matches_esda_fdr():
    """On a lattice a planted block is significant; BH p_fdr <= alpha picks esda.fdr's cells."""
    side = 12
    counts = np.random.default_rng(0).poisson(2, side * side).astype(float)
    grid = counts.reshape(side, side)
    grid[5:8, 5:8] += 12
    neighbours = []
    for r in range(side):
        for c in range(side):
            neighbours.append(
                [
                    rr * side + cc
                    for rr in range(r - 1, r + 2)
                    for cc in range(c - 1, c + 2)
                    if 0 <= rr < side and 0 <= cc < side and (rr, cc) != (r, c)
                ]
            )
    gi = inc.gi_star(grid.ravel(), neighbours, alpha=0.05)
    assert gi.z[6 * side + 6] > 3 and gi.p_fdr[6 * side + 6] < 0.05
    by_threshold = gi.p <= gi.fdr_threshold
    assert (by_threshold == (gi.p_fdr <= 0.05)).all()
    flat = inc.gi_star(np.ones(20), [[(i + 1) % 20] for i in range(20)])
    assert (flat.p_fdr == 1).all()


def test_rank_hotspots_contract_on_h3():
    """The ranked frame keeps the planner's contract: columns, types, order, priorities, window."""
    frame = clustered_incidents()
    spots = inc.rank_hotspots(frame, UTM50, resolution=9)
    assert len(spots) >= 1 and spots.crs.to_epsg() == 4326
    for col in (
        "id",
        "rank",
        "score",
        "p_fdr",
        "count",
        "priority",
        "peak_hours",
        "window_start",
        "window_end",
        "dwell_min",
        "geometry",
    ):
        assert col in spots.columns
    assert spots["rank"].tolist() == list(range(1, len(spots) + 1))
    assert spots["score"].is_monotonic_decreasing
    assert spots["priority"].between(1, 5).all() and spots["priority"].iloc[0] == 5
    assert (spots["p_fdr"] <= 0.05).all() and spots["dwell_min"].eq(12.0).all()
    assert spots.geometry.geom_type.eq("Point").all()
    top = spots.iloc[0]
    assert top["peak_hours"] == "19-22" and (top["window_start"], top["window_end"]) == (
        "19:00",
        "22:00",
    )
    p = top.geometry
    assert abs(p.x - 116.355) < 0.002 and abs(p.y - 39.995) < 0.002
    assert isinstance(top["id"], str) and spots["count"].dtype.kind == "i"


def test_rank_hotspots_on_grid_polygons_and_without_hours():
    """With grid polygons the ids are grid codes; month-level sources get an all-day window."""
    frame = clustered_incidents()
    frame["time_precision"] = "month"
    cells = voronoi_cells(80)
    spots = inc.rank_hotspots(frame, UTM50, cells, top=3)
    assert 1 <= len(spots) <= 3 and spots["id"].str.startswith("g").all()
    assert spots["peak_hours"].eq("").all() and spots["window_start"].eq("00:00").all()
    containing = cells.loc[spots["id"].iloc[0]].geometry
    assert (
        containing.buffer(1e-9).contains(spots.geometry.iloc[0])
        or containing.distance(spots.geometry.iloc[0]) < 0.002
    )


def test_hot_spots_count_cases_not_offence_rows():
    """Giving every incident a second offence of the same case (assault next to each
    record) changes no hot spot and no count: a case is counted once."""
    import pandas as pd

    frame = clustered_incidents()
    frame = frame.assign(case_id=frame["id"].astype(str))
    second = frame.assign(id=frame["id"].astype(str) + "/assault", category="assault")
    doubled = pd.concat([frame, second], ignore_index=True).set_crs(frame.crs, allow_override=True)
    once = inc.rank_hotspots(frame, UTM50, resolution=9)
    twice = inc.rank_hotspots(doubled, UTM50, resolution=9)
    assert twice["id"].tolist() == once["id"].tolist()
    assert twice["count"].tolist() == once["count"].tolist()
