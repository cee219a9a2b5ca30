"""geogrid.grids.units: street blocks, building cells, household counts and tables."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geogrid import grids as G
from geogrid.errors import InputError
from tests.grids_area import UTM_50N, buildings, communities, outline, street_frames, units_frame

BOUNDARY = gpd.GeoDataFrame(geometry=[outline()], crs=UTM_50N).to_crs("EPSG:4326")


@pytest.fixture(scope="module")
def blocks() -> gpd.GeoDataFrame:
    """Street blocks of the synthetic 7 x 5 grid with households, split by two communities."""
    _, edges = street_frames()
    units = G.units_from_streets(BOUNDARY, edges, UTM_50N, communities())
    return G.count_households(units, buildings(), UTM_50N)


def _metric(frame: gpd.GeoDataFrame) -> gpd.GeoSeries:
    return frame.to_crs(UTM_50N).geometry


def test_street_blocks_cover_the_boundary_without_overlap(blocks: gpd.GeoDataFrame) -> None:
    """35 blocks of 100 m x 100 m, summing to the boundary's area, each in one community."""
    areas = _metric(blocks).area
    assert len(blocks) == 35
    # parent outlines are noded on a 1 mm grid and written on a 1 cm one: a square metre or so
    assert areas.sum() == pytest.approx(outline().area, abs=2.0)
    assert shapely.union_all(_metric(blocks).to_numpy()).area == pytest.approx(
        outline().area, abs=2.0
    )
    assert set(blocks["parent_code"]) == {"110108001001", "110108001002"}
    assert (blocks["parent_code"] == "110108001001").sum() == 20


def test_households_are_counted_once_per_building(blocks: gpd.GeoDataFrame) -> None:
    """Every building's households land in exactly one block; population = households x 2.62."""
    assert blocks["households"].sum() == buildings()["households"].sum()
    assert blocks["population"].sum() == pytest.approx(blocks["households"].sum() * 2.62, abs=1)


def test_refine_units_splits_blocks_over_the_max() -> None:
    """A block over the max becomes one cell per building; households are kept."""
    units = units_frame([(0, 0, 0)])
    units["parent_code"] = "000000000000"
    houses = buildings()
    houses = houses[houses.to_crs(UTM_50N).geometry.centroid.x < 440_100]
    houses = houses[houses.to_crs(UTM_50N).geometry.centroid.y < 4_425_100]
    counted = G.count_households(units, houses, UTM_50N)
    refined = G.refine_units(counted, houses, UTM_50N, max_households=10)
    assert len(refined) == 2
    assert refined["households"].sum() == counted["households"].sum()


def test_units_from_buildings_cover_the_boundary() -> None:
    """Voronoi cells of buildings cover the boundary and keep each building's id."""
    units = G.units_from_buildings(buildings(), BOUNDARY, UTM_50N)
    assert len(units) == len(buildings())
    assert _metric(units).area.sum() == pytest.approx(outline().area, rel=1e-6)


def test_household_table_sets_counts_and_lists_bad_rows() -> None:
    """A table sets households by id; unknown ids and negative counts are listed by row."""
    frame = buildings().head(3)
    table = pd.DataFrame({"id": [frame["id"].iloc[0]], "households": [7], "population": [20.0]})
    out = G.apply_household_table(frame, table)
    assert out["households"].iloc[0] == 7 and out["population"].iloc[0] == 20.0
    bad = pd.DataFrame({"id": ["nope", frame["id"].iloc[1]], "households": [1, -3]})
    with pytest.raises(InputError) as err:
        G.apply_household_table(frame, bad, what="hh.csv")
    assert "hh.csv row 2" in str(err.value) and "row 3" in str(err.value)


def test_a_new_estate_is_cut_along_the_units_it_covers(blocks: gpd.GeoDataFrame) -> None:
    """An estate over two blocks becomes one building record per block, households shared by area,
    all kept."""
    from tests.grids_area import SPACING_M, X0, Y0

    metric = shapely.box(
        X0 + 50, Y0 + 10, X0 + 200, Y0 + 60
    )  # a third in block (0, 0), two thirds in (1, 0)
    outline = gpd.GeoSeries([metric], crs=UTM_50N).to_crs("EPSG:4326").iloc[0]
    estate = G.estate_buildings(outline, 301, blocks, UTM_50N, "estate/1", name="新小区")
    assert list(estate["id"]) == ["estate/1/1", "estate/1/2"]
    assert (
        sorted(estate["households"]) == [100, 201]
        and (estate["households_source"] == "register").all()
    )
    counted = G.count_households(blocks, estate, UTM_50N)
    assert counted["households"].sum() == 301 and (counted["households"] > 0).sum() == 2
    assert SPACING_M == 100.0
    one = G.estate_buildings(
        gpd.GeoSeries([shapely.box(X0 + 10, Y0 + 10, X0 + 40, Y0 + 40)], crs=UTM_50N)
        .to_crs("EPSG:4326")
        .iloc[0],
        80,
        blocks,
        UTM_50N,
        "e",
    )
    assert list(one["id"]) == ["e"] and one["households"].tolist() == [80]


@pytest.mark.parametrize(
    ("outline", "households", "message"),
    [
        (shapely.box(0, 0, 0.001, 0.001), 100, "covers no unit"),
        (shapely.Point(116.3, 40.0), 100, "as a polygon"),
        (None, 0, "at least 1"),
    ],
)
def test_a_bad_estate_is_a_message(
    blocks: gpd.GeoDataFrame, outline, households: int, message: str
) -> None:
    """An estate outside the units, a point, or no households: InputError saying what to fix."""
    with pytest.raises(InputError, match=message):
        G.estate_buildings(outline, households, blocks, UTM_50N, "estate/9")


def _diagonal_parents() -> gpd.GeoDataFrame:
    """Hand-drawn parents split by a diagonal across the blocks, overshooting the area a little."""
    from tests.grids_area import COLS, ROWS, SPACING_M, X0, Y0

    w, h = COLS * SPACING_M, ROWS * SPACING_M
    west = shapely.Polygon(
        [(X0 - 3, Y0 - 3), (X0 + 0.63 * w + 7, Y0 - 3), (X0 + 0.37 * w - 11, Y0 + h + 3),
         (X0 - 3, Y0 + h + 3)]
    )  # fmt: skip
    east = shapely.difference(shapely.box(X0 - 3, Y0 - 3, X0 + w + 3, Y0 + h + 3), west)
    return gpd.GeoDataFrame(
        {"code": ["P1", "110108002"]}, geometry=[west, east], crs=UTM_50N
    ).to_crs("EPSG:4326")


def _outside_parent_m2(units: gpd.GeoDataFrame, parents: gpd.GeoDataFrame) -> float:
    by_code = dict(zip(parents["code"], _metric(parents), strict=True))
    return max(
        shapely.difference(g, by_code[c]).area
        for g, c in zip(_metric(units), units["parent_code"], strict=True)
    )


def test_street_blocks_are_cut_along_hand_drawn_parents() -> None:
    """Parent edges that cross blocks and end a hair off the streets still cut the blocks: the
    blocks cover the boundary and each lies inside its parent."""
    _, edges = street_frames()
    parents = _diagonal_parents()
    units = G.units_from_streets(BOUNDARY, edges, UTM_50N, parents)
    assert _metric(units).area.sum() == pytest.approx(outline().area, abs=2.0)  # 1 cm snapping
    assert _outside_parent_m2(units, parents) < G.TOLERANCE_M2
    counted = G.count_households(units, buildings(), UTM_50N)
    assert counted["households"].sum() == buildings()["households"].sum()


def test_split_by_parents_cuts_units_and_shares_households() -> None:
    """A unit across a parent edge becomes one piece per parent, slivers join a piece of the same
    parent only, households are shared by area and kept."""
    from geogrid.grids.units import split_by_parents

    squares = [(c, r, 50 + c + r) for c in range(7) for r in range(5)]
    units = units_frame(squares)
    parents = _diagonal_parents()
    pieces = split_by_parents(units, parents, UTM_50N)
    assert len(pieces) > len(units) and pieces.index.is_unique
    assert set(pieces["parent_code"]) == {"P1", "110108002"}
    assert _outside_parent_m2(pieces, parents) < G.TOLERANCE_M2
    assert _metric(pieces).area.sum() == pytest.approx(outline().area, abs=2.0)
    assert pieces["households"].sum() == sum(h for _, _, h in squares)
    assert "u0" in pieces.index  # a unit inside one parent keeps its id
    tiny = split_by_parents(units, parents, UTM_50N, min_piece_m2=1_000.0)
    assert _outside_parent_m2(tiny, parents) < G.TOLERANCE_M2
    assert tiny["households"].sum() == sum(h for _, _, h in squares)


def test_snap_keeps_a_crossing_unit_whose_repair_is_a_collection() -> None:
    # A bow-tie with a spike out and back (a street cut by a hair, as a Shanghai
    # grid import left it): set_precision refuses it and make_valid gives a
    # GeometryCollection(MultiPolygon, LineString); the unit must not vanish.
    d = 1e-3
    ring = [(0, 0), (d, d), (d, 0), (0, d), (0, 1.5 * d), (0, d)]
    crossing = shapely.affinity.translate(shapely.Polygon(ring), 121.48, 31.23)
    frame = gpd.GeoDataFrame({"grid": ["g"]}, geometry=[crossing], crs="EPSG:4326")
    snapped = G.units.snap(frame)
    assert len(snapped) == 1
    assert snapped.geometry.iloc[0].area == pytest.approx(shapely.make_valid(crossing).area)


def test_split_units_by_building_keeps_columns_and_shares_edges_exactly() -> None:
    """A SYNTHETIC block with three buildings becomes three pieces in its place: grid, parent and
    other columns kept, households recounted, pieces tile the block, and a neighbour shares its
    edge with the pieces exactly (one part when dissolved); a locked neighbour is left as is."""
    from geogrid.grids.units import buildings_per_unit, split_units_by_building
    from tests.grids_area import X0, Y0

    units = units_frame([(0, 0, 300), (1, 0, 50), (0, 1, 50)])
    units["grid"] = ["A", "A", "B"]
    points = [(20, 30, 100), (50, 70, 120), (85, 20, 80), (150, 50, 50)]
    bld = gpd.GeoDataFrame(
        {"id": [f"b{i}" for i in range(4)], "households": [h for _, _, h in points]},
        geometry=[
            shapely.box(X0 + x - 3, Y0 + y - 3, X0 + x + 3, Y0 + y + 3) for x, y, _ in points
        ],
        crs=UTM_50N,
    ).to_crs("EPSG:4326")
    assert buildings_per_unit(units, bld, UTM_50N).tolist() == [3, 1, 0]
    out, pieces = split_units_by_building(units, bld, UTM_50N, ["u0", "u1"], keep_whole=["u2"])
    assert list(pieces) == ["u0"] and len(pieces["u0"]) == 3  # u1 has one building: whole
    assert list(out.index) == [*pieces["u0"], "u1", "u2"]
    cut = out.loc[pieces["u0"]]
    assert set(cut["grid"]) == {"A"} and set(cut["parent_code"]) == {"000000000000"}
    assert sorted(cut["households"]) == [80, 100, 120]
    metric = out.to_crs(UTM_50N)
    whole = units.to_crs(UTM_50N).geometry.iloc[0]
    assert abs(shapely.union_all(metric.geometry.iloc[:3].to_numpy()).area - whole.area) < 1.0
    joined = shapely.union_all(out.loc[[*pieces["u0"], "u1"]].geometry.to_numpy())
    assert joined.geom_type == "Polygon"
    # the cut meeting the shared edge became a vertex of the neighbour too
    coords = shapely.get_coordinates
    assert len(coords(out.geometry.loc["u1"])) == len(coords(units.geometry.loc["u1"])) + 1
    assert out.geometry.loc["u2"].equals_exact(units.geometry.loc["u2"], 0.0)
    same, none = split_units_by_building(units, bld, UTM_50N, ["u1"])
    assert none == {} and same is units
