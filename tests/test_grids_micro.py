"""geogrid.grids.micro: micro-grids inside grids, split by entrance, checked independently."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geogrid import grids as G
from geogrid.errors import InputError
from geogrid.grids.micro import (
    ADDRESS_OVER_BAND,
    build_micro_grids,
    check_micro_grids,
    entrance_table,
    micro_counts,
    summarize_problems,
)
from tests.grids_area import UTM_50N, buildings, communities, outline, street_frames

BOUNDARY = gpd.GeoDataFrame(geometry=[outline()], crs=UTM_50N).to_crs("EPSG:4326")


@pytest.fixture(scope="module")
def grids() -> gpd.GeoDataFrame:
    """Grids (300-500 households) of the synthetic street blocks, two communities."""
    _, edges = street_frames()
    units = G.count_households(
        G.units_from_streets(BOUNDARY, edges, UTM_50N, communities()), buildings(), UTM_50N
    )
    return G.build_grids(units, UTM_50N, seed=0).grids


def _placed(micro: gpd.GeoDataFrame) -> list[str]:
    return [b for value in micro["buildings"].dropna() for b in value.split(";")]


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(low=st.integers(60, 150), width=st.integers(60, 200), seed=st.integers(0, 3))
def test_every_household_in_exactly_one_micro_grid(grids, low: int, width: int, seed: int) -> None:
    """For any band and seed: each building once, codes unique and its grid's code + 3 digits."""
    band = G.Band(low, low + width)
    plan = build_micro_grids(grids, buildings(), UTM_50N, band=band, seed=seed)
    micro = plan.micro_grids
    placed = _placed(micro)
    assert sorted(placed) == sorted(buildings()["id"])
    assert micro["code"].is_unique
    for code, grid in zip(micro["code"], micro["grid_code"], strict=True):
        assert code.startswith(grid) and len(code) == len(grid) + 3 and code[-3:].isdigit()
    assert micro["households"].sum() == buildings()["households"].sum()
    kinds = {p.kind for p in check_micro_grids(micro, grids, buildings(), UTM_50N, band=band)}
    assert not kinds & {
        "household unplaced",
        "household repeated",
        "bad code",
        "overlap",
        "outside parent",
        "duplicate code",
        "households mismatch",
    }


def test_micro_grids_are_in_band_and_one_piece(grids) -> None:
    """With a band the buildings fit (100-250), every micro-grid is one piece inside the band."""
    band = G.Band(100, 250)
    micro = build_micro_grids(grids, buildings(), UTM_50N, band=band).micro_grids
    problems = check_micro_grids(micro, grids, buildings(), UTM_50N, band=band)
    assert [str(p) for p in problems] == []
    assert micro_counts(grids, micro) == [
        int((micro["grid_code"] == c).sum()) for c in grids["code"]
    ]
    assert sum(micro_counts(grids, micro)) == len(micro)


def test_building_over_the_max_is_its_own_micro_grid_to_split_by_hand(grids) -> None:
    """No entrances in the register: a building over the max stands alone and is reported."""
    plan = build_micro_grids(grids, buildings(), UTM_50N, band=G.Band(10, 15))
    assert plan.micro_grids["split_by_hand"].all()
    assert any("split by entrance/floor by hand" in p for p in plan.problems)
    assert sorted(_placed(plan.micro_grids)) == sorted(buildings()["id"])


def test_building_split_by_entrance_where_the_register_has_them(grids) -> None:
    """A building with entrances is cut into runs of entrances inside the band, each once."""
    homes = buildings()
    big = homes.iloc[0]
    n = int(big["households"])
    per = [n // 4 + (1 if k < n % 4 else 0) for k in range(4)]
    table = entrance_table(
        pd.DataFrame(
            {"楼栋编号": [big["id"]] * 4, "单元": ["1", "2", "3", "4"], "户数": per},
            index=[2, 3, 4, 5],
        )
    )
    band = G.Band(max(1, min(per)), max(per) * 2)
    micro = build_micro_grids(grids, homes, UTM_50N, band=band, entrances=table).micro_grids
    pieces = micro[micro["entrances"].notna()]
    assert len(pieces) >= 2
    assert pieces["households"].sum() == n
    listed = [e for v in pieces["entrances"] for e in v.split(";")]
    assert sorted(listed) == sorted(f"{big['id']}:{k}" for k in "1234")
    problems = check_micro_grids(micro, grids, homes, UTM_50N, band=band)
    assert not [
        p for p in problems if p.kind in ("overlap", "household repeated", "household unplaced")
    ]


def test_checker_finds_a_repeated_building_and_a_bad_code(grids) -> None:
    """Tampering is caught: a building listed twice, a code not prefixed by its grid's."""
    micro = build_micro_grids(grids, buildings(), UTM_50N, band=G.Band(100, 250)).micro_grids.copy()
    micro.loc[1, "buildings"] = (
        f"{micro.loc[1, 'buildings']};{micro.loc[0, 'buildings'].split(';')[0]}"
    )
    micro.loc[2, "code"] = "999" + micro.loc[2, "code"][3:]
    kinds = {
        p.kind for p in check_micro_grids(micro, grids, buildings(), UTM_50N, band=G.Band(100, 250))
    }
    assert {"household repeated", "bad code"} <= kinds


def test_leaders_and_codes_survive_a_rebuild(grids) -> None:
    """Building again with the same input keeps every code and the leaders given."""
    band = G.Band(100, 250)
    first = build_micro_grids(grids, buildings(), UTM_50N, band=band).micro_grids
    first["leader"] = [f"楼长{i}" for i in range(len(first))]
    again = build_micro_grids(grids, buildings(), UTM_50N, band=band, previous=first).micro_grids
    assert list(again["code"]) == list(first["code"])
    assert list(again["leader"]) == list(first["leader"])


@pytest.mark.parametrize(
    ("table", "fragment"),
    [
        (pd.DataFrame({"building_id": ["a"], "entrance": ["1"]}), "missing households"),
        (
            pd.DataFrame({"building_id": ["a"], "entrance": ["1"], "households": ["x"]}, index=[7]),
            "row 7: households 'x'",
        ),
        (
            pd.DataFrame(
                {"building_id": ["a", "a"], "entrance": ["1", "1"], "households": [3, 4]},
                index=[2, 3],
            ),
            "row 3: building a entrance 1 is listed twice",
        ),
    ],
)
def test_bad_entrance_register(table: pd.DataFrame, fragment: str) -> None:
    """A bad entrance register names the row and what to fix."""
    with pytest.raises(InputError, match=fragment):
        entrance_table(table)


def _one_grid_with_a_big_address() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """SYNTHETIC: one 300 x 300 m grid; an address of 39 households and twelve of 3-6."""
    import numpy as np
    import shapely

    rng = np.random.default_rng(7)
    grid = gpd.GeoDataFrame(
        {"code": ["310101001001001"]}, geometry=[shapely.box(0, 0, 300, 300)], crs=UTM_50N
    )
    grid = grid.set_geometry(grid.translate(440000, 4428000))
    spots = [(40 + 70 * (k % 4), 40 + 90 * (k // 4)) for k in range(12)]
    rows = [
        {"id": f"B{k:02d}", "name": f"上海市黄浦区瑞金二路{k + 1}号",
         "households": int(rng.integers(3, 7)), "geometry": shapely.box(x, y, x + 10, y + 10)}
        for k, (x, y) in enumerate(spots)
    ]  # fmt: skip
    rows.append({"id": "BIG", "name": "上海市黄浦区茂名南路234弄3号", "households": 39,
                 "geometry": shapely.box(140, 140, 160, 160)})  # fmt: skip
    homes = gpd.GeoDataFrame(rows, crs=UTM_50N)
    homes = homes.set_geometry(homes.translate(440000, 4428000))
    return grid, homes


def test_an_address_over_the_band_is_named_and_its_fix_is_the_register() -> None:
    """Shanghai pilot: a single address of up to 39 households against 10-15 was reported as
    'households out of band ... reassign units'. It is now 'address over band' naming the
    address, building id, households and band, and says to split it by entrance/unit (单元)
    in the register or keep it with more than one responsible person; the summary counts
    problems by kind with that advice."""
    grid, homes = _one_grid_with_a_big_address()
    band = G.Band(10, 15)
    plan = build_micro_grids(grid, homes, UTM_50N, band=band)
    note = next(p for p in plan.problems if "BIG" in p)
    assert "上海市黄浦区茂名南路234弄3号" in note and "39 households" in note and "单元" in note
    problems = check_micro_grids(plan.micro_grids, grid, homes, UTM_50N, band=band)
    big = [p for p in problems if p.kind == ADDRESS_OVER_BAND]
    assert len(big) == 1
    text = str(big[0])
    for fragment in (
        "address 上海市黄浦区茂名南路234弄3号 (building BIG)",
        "39 households",
        "band 10-15",
        "单元",
        "--entrances",
        "more than one responsible person",
    ):
        assert fragment in text, text  # fmt: skip
    assert "reassign" not in text
    assert not any(p.kind == "households out of band" and p.code == big[0].code for p in problems)
    summary = summarize_problems(problems)
    assert summary[0].startswith(f"{ADDRESS_OVER_BAND}: 1 (one address alone holds more")
    assert "BIG" in summary[1]

    # with its entrances in the register an entrance over the band is named the same way
    table = entrance_table(
        pd.DataFrame(
            {"楼栋编号": ["BIG", "BIG"], "单元": ["1", "2"], "户数": [19, 20]}, index=[2, 3]
        )
    )
    split = build_micro_grids(grid, homes, UTM_50N, band=band, entrances=table)
    problems = check_micro_grids(split.micro_grids, grid, homes, UTM_50N, band=band)
    over = sorted(str(p) for p in problems if p.kind == ADDRESS_OVER_BAND)
    assert len(over) == 2 and "entrance/unit 1 of address 上海市黄浦区茂名南路234弄3号" in over[0]
    assert "split it by floor in the register" in over[0]
