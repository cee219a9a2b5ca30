"""Grids drawn elsewhere: feature problems named, slivers repaired with a report, units for
editing."""

from __future__ import annotations

import pytest
import shapely

from geogrid.grids.imported import check_features, repair_slivers, units_in_grids
from tests import grids_area
from tests import office_files as O

METRIC = grids_area.UTM_50N


def _cells():
    cells = O.grid_cells().rename(columns={"网格编码": "code"}).to_crs("EPSG:4326")
    cells.index = [1, 2, 3]
    return cells


def test_problems_name_features() -> None:
    """No code, a repeated code, a line and an overlap are each named by feature number."""
    cells = _cells()
    cells.loc[2, "code"] = None
    cells.loc[3, "code"] = cells.loc[1, "code"]
    cells.loc[4] = {"code": "X", "geometry": shapely.LineString([(116.29, 39.97), (116.3, 39.98)])}
    good, problems, _ = check_features(cells, METRIC)
    text = [str(p) for p in problems]
    assert any(t.startswith("feature 2: no code") for t in text)
    assert any("feature 3" in t and "also used by feature 1" in t for t in text)
    assert any("feature 4" in t and "not a polygon" in t for t in text)
    assert list(good.index) == [1]


def test_overlap_named_with_fix() -> None:
    """Two grids overlapping by ~2000 m² name each other and suggest --repair-slivers-m2."""
    cells = _cells().to_crs(METRIC)
    cells.loc[1, "geometry"] = cells.loc[1, "geometry"].buffer(10, join_style="mitre")
    _, problems, _ = check_features(cells.to_crs("EPSG:4326"), METRIC)
    assert any("overlaps feature 2" in str(p) and "--repair-slivers-m2" in str(p) for p in problems)


def test_bowtie_is_repaired_with_a_note() -> None:
    """A ring crossing itself is made valid and noted, not refused."""
    cells = _cells().to_crs(METRIC)
    w, s, e, n = cells.loc[1].geometry.bounds
    cells.loc[1, "geometry"] = shapely.Polygon([(w, s), (e, n), (e, s), (w, n)])
    _good, problems, notes = check_features(cells.to_crs("EPSG:4326"), METRIC)
    assert not problems and any("crosses itself" in n for n in notes)


def test_repair_slivers_moves_small_pieces() -> None:
    """A 1 m overlap stays with the bigger grid, a 1 m gap goes to a neighbour; both reported."""
    cells = _cells().to_crs(METRIC)
    b1 = cells.loc[1].geometry.bounds
    cells.loc[1, "geometry"] = shapely.box(b1[0], b1[1], b1[2] + 1, b1[3])
    b = cells.loc[3].geometry.bounds
    cells.loc[3, "geometry"] = shapely.box(b[0] + 1, b[1], b[2], b[3])
    import geopandas as gpd

    boundary = gpd.GeoDataFrame(geometry=[grids_area.outline()], crs=METRIC)
    fixed, moves = repair_slivers(cells.to_crs("EPSG:4326"), METRIC, 1000, boundary=boundary)
    kinds = sorted(m.kind for m in moves)
    assert kinds == ["gap", "overlap"]
    _, problems, _ = check_features(fixed, METRIC, tolerance_m2=0.5)
    assert not problems
    union = fixed.to_crs(METRIC).union_all()
    assert abs(union.area - grids_area.outline().area) < 1.0


def test_units_cut_by_blocks_cover_each_grid() -> None:
    """Units from street blocks: each grid is the union of its units."""
    import geopandas as gpd

    from geogrid.grids import units_from_streets

    _, edges = grids_area.street_frames()
    boundary = gpd.GeoDataFrame(geometry=[grids_area.outline()], crs=METRIC)
    blocks = units_from_streets(boundary, edges, METRIC)
    cells = _cells()
    units = units_in_grids(cells, METRIC, blocks)
    assert set(units["grid"]) == set(cells["code"])
    for code, geom in zip(cells["code"], cells.to_crs(METRIC).geometry, strict=True):
        mine = units[units["grid"] == code].to_crs(METRIC).union_all()
        assert abs(mine.area - geom.area) < 1.0
    assert len(units) == 35  # one unit per 100 m block


def test_a_small_piece_joins_the_unit_it_borders_not_the_biggest() -> None:
    """A 4 m² corner piece touches only the smaller block: it joins that one, so every
    unit is one polygon (joined to the biggest it made a unit of two separate pieces)."""
    import geopandas as gpd

    x0, y0 = grids_area.outline().bounds[:2]
    grid = shapely.box(x0, y0, x0 + 100, y0 + 100)
    corner = shapely.box(x0 + 98, y0 + 98, x0 + 100, y0 + 100)
    blocks = gpd.GeoDataFrame(
        geometry=[
            shapely.box(x0, y0, x0 + 60, y0 + 100),
            shapely.box(x0 + 60, y0, x0 + 100, y0 + 100).difference(corner),
            corner,
        ],
        crs=METRIC,
    )
    grids = gpd.GeoDataFrame({"code": ["001"]}, geometry=[grid], crs=METRIC).to_crs("EPSG:4326")
    units = units_in_grids(grids, METRIC, blocks).to_crs(METRIC)
    assert list(units.geom_type) == ["Polygon", "Polygon"]
    assert sorted(units.area) == pytest.approx([4000.0, 6000.0], abs=2.0)
    assert units.union_all().area == pytest.approx(grid.area, abs=1.0)
