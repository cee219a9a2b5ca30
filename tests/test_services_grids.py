"""geogrid.services.grids: generate, edit, validate, undo, compare and report on a workspace."""

from __future__ import annotations

from pathlib import Path

import pytest

from geogrid import grids as G
from geogrid.errors import InputError
from geogrid.io import versions
from geogrid.services import grids as S
from tests.grids_area import make_area

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def area(tmp_path: Path) -> Path:
    """A synthetic workspace with two communities."""
    return make_area(tmp_path / "area", with_communities=True)


def test_generate_saves_a_version_in_band(area: Path) -> None:
    """Generating grids saves v1; every grid is in band and nests in a community."""
    result = S.generate(area, seed=0, author="王芳")
    assert result.version is not None and result.version.id == 1
    grids = result.plan.grids
    assert grids["households"].between(300, 500).all()
    assert set(grids["parent_code"]) == {"110108001001", "110108001002"}
    kinds = {p.kind for p in result.problems}
    assert kinds <= {"missing worker"}
    assert "12 grids" in result.summary()[0] or "grids" in result.summary()[0]


def test_edit_validate_undo_and_diff(area: Path) -> None:
    """Split, set a worker, undo, and diff two versions on disk."""
    first = S.generate(area, seed=0)
    code = first.plan.grids.sort_values("units")["code"].iloc[-1]
    split = S.edit(area, "split", author="李明", codes=[code])
    assert len(split.plan.grids) == len(first.plan.grids) + 1
    assert any(p.kind == "households out of band" for p in split.problems)
    S.edit(area, "worker", author="李明", codes=[code], worker="张伟")
    problems = S.validate(area)
    assert not any(p.kind == "missing worker" and p.code == code for p in problems)
    back = S.undo(area, "李明")
    assert back.id == 2
    diff = S.compare(area, "v1", "v2")
    assert diff.moves["households"].sum() > 0
    saved, head = versions.list_versions(area)
    assert head == 2 and len(saved) == 3


def test_locked_grid_survives_regeneration(area: Path) -> None:
    """A grid locked in the current version keeps its units and code when grids are rebuilt."""
    first = S.generate(area, seed=0)
    code = first.plan.grids["code"].iloc[3]
    S.edit(area, "lock", author="王芳", codes=[code])
    again = S.generate(area, seed=9)
    before = first.plan.units.index[first.plan.units["grid"] == code]
    after = again.plan.units.index[again.plan.units["grid"] == code]
    assert sorted(before) == sorted(after)
    assert bool(again.plan.grids.set_index("code").at[code, "locked"])


def test_report_writes_csv_and_json(area: Path, tmp_path: Path) -> None:
    """The report names every grid with its households and neighbours."""
    S.generate(area, seed=0)
    table = S.report(area, tmp_path / "r.csv", tmp_path / "r.json")
    assert len(table) == len(versions.load_version(area)[1])
    assert (tmp_path / "r.csv").exists() and (tmp_path / "r.json").exists()


def test_hand_drawn_grids_validate_without_units(area: Path, tmp_path: Path) -> None:
    """A hand-drawn grids file is validated; editing it here says it has no units."""
    plan = S.generate(area, seed=0).plan
    drawn = plan.grids.iloc[1:].drop(columns=["units"])
    path = tmp_path / "drawn.geojson"
    from geogrid.io import geojson

    geojson.write_layer(drawn, path, "grids", history=False)
    problems = S.validate(area, grids_path=path, band=G.Band(300, 500))
    assert any(p.kind == "gap" for p in problems)
    versions.save_version(area, drawn, None, author="王芳", message="drawn by hand")
    with pytest.raises(InputError, match="hand-drawn"):
        S.edit(area, "split", author="王芳", codes=[drawn["code"].iloc[0]])


def test_household_csv_overrides_building_counts(area: Path, tmp_path: Path) -> None:
    """An imported table of building households changes the grid totals."""
    csv = tmp_path / "hh.csv"
    csv.write_text("id,households\nway/1000,0\nway/1001,0\n", encoding="utf-8")
    base = S.generate(area, seed=0).plan.grids["households"].sum()
    changed = S.generate(area, seed=0, households_csv=csv).plan.grids["households"].sum()
    assert changed < base


def test_communities_from_an_osm_file_without_them_say_so(area: Path) -> None:
    """An OSM file without admin areas of the level asked for gives an actionable error."""
    with pytest.raises(InputError, match="admin-level"):
        S.import_communities(area, ROOT / "tests" / "data" / "osm" / "clipped.osm")


def test_user_supplied_buildings_become_units(area: Path, tmp_path: Path) -> None:
    """A GeoJSON of building points with households is turned into one cell per building."""
    from geogrid.io import geojson as gj
    from tests.grids_area import buildings

    points = buildings()
    points = points.set_geometry(points.geometry.representative_point())[
        ["id", "households", "geometry"]
    ]
    path = tmp_path / "points.geojson"
    path.write_text(
        gj.dumps_features(__import__("geogrid.layers", fromlist=["x"]).features_from_frame(points)),
        encoding="utf-8",
    )
    result = S.generate(area, seed=0, units_path=path)
    assert len(result.plan.units) == len(points)
    assert result.plan.grids["households"].sum() == points["households"].sum()


def test_an_interrupted_save_is_repaired_by_the_next_write_not_by_reading(
    area: Path, monkeypatch
) -> None:
    """A save killed after its version was recorded: reading leaves the files as they are; the
    next command that writes (here an edit) first restores the live grids, then saves."""
    from geogrid.io.workspace import read_area

    first = S.generate(area, seed=0)
    code = first.plan.grids["code"].iloc[0]

    def killed(*args, **kwargs):
        raise OSError("killed mid-save")

    monkeypatch.setattr(versions, "_write_live", killed)
    with pytest.raises(OSError):
        S.edit(area, "lock", author="王芳", codes=[code])
    monkeypatch.undo()
    stale = (area / "grids.geojson").read_bytes()
    read_area(area)
    S.validate(area)
    assert (area / "grids.geojson").read_bytes() == stale
    assert versions.list_versions(area)[1] == 2
    S.edit(area, "worker", author="李明", codes=[code], worker="张伟")
    sidecars = sorted((area / "history" / "grids").glob("*.json"))
    assert any(
        "restore v0002 after an interrupted save" in p.read_text(encoding="utf-8") for p in sidecars
    )
    saved, head = versions.list_versions(area)
    assert head == 3 and saved[-1].parent == 2
    assert (area / "grids.geojson").read_bytes() == (
        area / "grid_versions" / "v0003" / "grids.geojson"
    ).read_bytes()
    assert S.repair_interrupted_save(area) is False


CUT_ADMIN = ROOT / "tests" / "data" / "osm" / "clipped_admin.osm"  # make_clipped_admin.py


@pytest.fixture(scope="module")
def shenzhen_corner(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An area built from the clipped export whose towns and district cross the file's edge."""
    from geogrid.services.area import BoundaryChoice, build_area

    out = tmp_path_factory.mktemp("corner") / "area"
    build_area(
        CUT_ADMIN, out, name="corner",
        boundary=BoundaryChoice(bbox=(114.100, 22.600, 114.120, 22.620)),
        admin_code="441900", timezone="Asia/Shanghai",
    )  # fmt: skip
    return out


def test_towns_cut_by_the_file_edge_become_communities(shenzhen_corner: Path) -> None:
    """Two towns with 1 of 21 / 15 member ways in the file are closed along its bounds and kept."""
    frame = S.import_communities(shenzhen_corner, CUT_ADMIN, admin_level=8)
    assert sorted(frame["name"]) == sorted(["凤岗镇", "塘厦镇"])
    assert frame.geometry.is_valid.all()


def test_several_admin_levels_the_finer_wins_where_they_overlap(shenzhen_corner: Path) -> None:
    """Levels 8 and 10 (in either order): the two communities are kept whole, 凤岗镇 keeps only
    the part they leave, 塘厦镇 stays whole; no overlap, same cover as the towns alone."""
    from geogrid.crs import to_metric

    towns = S.import_communities(shenzhen_corner, CUT_ADMIN, admin_level=8)
    for levels in ([8, 10], (10, 8)):
        frame = S.import_communities(shenzhen_corner, CUT_ADMIN, admin_level=levels)
        assert sorted(zip(frame["admin_level"], frame["name"], strict=True)) == [
            (8, "凤岗镇"), (8, "塘厦镇"), (10, "凤岗村"), (10, "竹塘社区"),
        ]  # fmt: skip
        area = to_metric(frame, "EPSG:32650", "communities").area
        by_name = dict(zip(frame["name"], area, strict=True))
        town = dict(zip(towns["name"], to_metric(towns, "EPSG:32650", "c").area, strict=True))
        assert by_name["凤岗镇"] == pytest.approx(
            town["凤岗镇"] - by_name["竹塘社区"] - by_name["凤岗村"], abs=1.0
        )
        assert by_name["塘厦镇"] == pytest.approx(town["塘厦镇"], abs=1.0)
        assert area.sum() == pytest.approx(sum(town.values()), abs=1.0)
        assert frame["code"].is_unique
    with pytest.raises(InputError, match="no admin relation has admin_level 7, 11 inside"):
        S.import_communities(shenzhen_corner, CUT_ADMIN, admin_level=[7, 11])


@pytest.mark.parametrize(
    ("level", "fragments"),
    [
        (7, ["the file has no admin relation with admin_level 7"]),
        (9, ["admin_level 9: 雁田村 (relation/7006) could not be assembled", "cannot be told"]),
    ],
)
def test_no_communities_of_the_level_lists_the_levels_and_why(
    shenzhen_corner: Path, level: int, fragments: list[str]
) -> None:
    """When no admin area of the level is in the area, the error lists every level with its
    names (clipped and unassembled marked) and says why none was taken."""
    with pytest.raises(InputError) as info:
        S.import_communities(shenzhen_corner, CUT_ADMIN, admin_level=level)
    text = str(info.value)
    assert f"no admin relation has admin_level {level} inside the area" in text
    assert (
        "levels present: 6 (龙岗区 [clipped]), 8 (凤岗镇 [clipped], 塘厦镇 [clipped]), "
        "9 (雁田村 [not assembled]), 10 (竹塘社区, 凤岗村)" in text
    )
    for fragment in fragments:
        assert fragment in text


def test_communities_outside_the_area_are_named(tmp_path: Path) -> None:
    """Admin areas of the level that lie outside the area are named as such."""
    from geogrid.services.area import BoundaryChoice, build_area

    out = tmp_path / "south"
    build_area(
        CUT_ADMIN, out, name="south",
        boundary=BoundaryChoice(bbox=(114.100, 22.600, 114.120, 22.609)),
        timezone="Asia/Shanghai",
    )  # fmt: skip
    with pytest.raises(InputError) as info:
        S.import_communities(out, CUT_ADMIN, admin_level=10)
    assert "admin_level 10: 竹塘社区 (relation/7004) lies outside the area" in str(info.value)
    assert "10 (竹塘社区 [outside], 凤岗村 [outside])" in str(info.value)


def _estate_file(folder: Path, box: tuple[float, float, float, float]) -> Path:
    """A GeoJSON with one estate outline (metric box in the synthetic area's UTM zone)."""
    import geopandas as gpd
    import shapely

    from tests.grids_area import UTM_50N

    path = folder.parent / "estate.geojson"
    gpd.GeoDataFrame({"name": ["新小区"]}, geometry=[shapely.box(*box)], crs=UTM_50N).to_crs(
        "EPSG:4326"
    ).to_file(path, driver="GeoJSON")
    return path


def _grid_features(area: Path, version: int) -> dict[str, str]:
    """Code -> the grid's geometry as saved (JSON text) in a version."""
    import json

    path = area / "grid_versions" / f"v{version:04d}" / "grids.geojson"
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    return {f["properties"]["code"]: json.dumps(f["geometry"], sort_keys=True) for f in features}


def test_a_new_estate_rebalances_only_the_grids_around_it(area: Path, tmp_path: Path) -> None:
    """Grow adds an estate to the buildings; the rebalance moves units near it only, far grids keep
    byte-identical geometry; the per-worker table names units and buildings in and out (CSV too)."""
    import geopandas as gpd
    import shapely

    from tests.grids_area import UTM_50N, X0, Y0

    S.generate(area, seed=0, author="setup", restarts=1)
    for code in versions.load_version(area)[1]["code"]:
        S.edit(area, "worker", author="setup", codes=[code], worker=f"网格员{code[-2:]}")
    box = (X0 + 10, Y0 + 10, X0 + 150, Y0 + 80)  # the south-west corner
    growth = S.grow(area, _estate_file(area, box), 260, name="新小区")
    assert growth.buildings["households"].sum() == 260 and len(growth.units) >= 1
    assert len(versions.list_versions(area)[0]) == 1 + len(
        versions.load_version(area)[1]
    )  # grow saves no version
    preview = S.rebalance(area, dry_run=True, time_limit_s=20)
    assert preview.version is None and preview.result.in_band and preview.result.units_moved > 0
    head = versions.list_versions(area)[1]
    run = S.rebalance(area, time_limit_s=20, author="王芳")
    assert run.version is not None and run.version.id == head + 1
    before, after = _grid_features(area, head), _grid_features(area, run.version.id)
    touched = set(run.result.moves["from_code"]) | set(run.result.moves["to_code"])
    assert touched and len(touched) < len(before)
    estate = gpd.GeoSeries([shapely.box(*box)], crs=UTM_50N)
    old = versions.load_version(area, head)[1].set_index("code").to_crs(UTM_50N)
    for code, geometry in before.items():
        if code not in touched:
            assert after[code] == geometry, code  # untouched grids: byte-identical geometry
        if old.geometry[code].distance(estate.iloc[0]) > 250:
            assert code not in touched, f"{code} is far from the estate but changed"
    kinds = set(run.per_worker["kind"])
    assert kinds == {"unit", "building"}
    assert set(run.per_worker["worker"]) <= {f"网格员{c[-2:]}" for c in before}
    out = S.write_per_worker(run.per_worker, tmp_path / "workers.csv")
    text = out.read_text(encoding="utf-8-sig")
    assert text.startswith("worker,code,direction,kind,count,households,ids") and "网格员" in text


def test_a_rebalance_preview_is_accepted_only_while_the_area_is_unchanged(area: Path) -> None:
    """accept_rebalance saves a dry run's moves as a version; after any write of the area it is
    refused."""
    from geogrid.errors import ConflictError
    from tests.grids_area import X0, Y0

    S.generate(area, seed=0, author="setup", restarts=1)
    S.grow(area, _estate_file(area, (X0 + 10, Y0 + 10, X0 + 150, Y0 + 80)), 260)
    preview = S.rebalance(area, dry_run=True, time_limit_s=20)
    saved = S.accept_rebalance(
        area, preview.result.moves, area_tag=preview.area_tag, author="王芳", message="新小区"
    )
    assert saved.version is not None and saved.version.message == "rebalance: 新小区"
    grids = saved.plan.grids.set_index("code")["households"]
    assert grids.to_dict() == preview.result.plan.grids.set_index("code")["households"].to_dict()
    with pytest.raises(ConflictError, match="changed since"):
        S.accept_rebalance(area, preview.result.moves, area_tag=preview.area_tag, author="王芳")


def test_grow_refuses_an_estate_outside_the_area_or_a_taken_id(area: Path, tmp_path: Path) -> None:
    """An outline outside the area, or an id of an existing building, is a message; nothing is
    written."""
    from tests.grids_area import X0, Y0

    S.generate(area, seed=0, author="setup", restarts=1)
    with pytest.raises(InputError, match="outside the area"):
        S.grow(area, _estate_file(area, (X0 - 5000, Y0, X0 - 4000, Y0 + 100)), 100)
    with pytest.raises(InputError, match="taken"):
        S.grow(
            area,
            _estate_file(area, (X0 + 10, Y0 + 10, X0 + 50, Y0 + 50)),
            100,
            estate_id="way/1000",
        )


def _diagonal_communities() -> object:
    """Hand-drawn communities: a diagonal edge across the street blocks, overshooting the area,
    one with an arbitrary (non-numeric) code."""
    import geopandas as gpd
    import shapely

    from tests.grids_area import COLS, ROWS, SPACING_M, UTM_50N, X0, Y0

    w, h = COLS * SPACING_M, ROWS * SPACING_M
    west = shapely.Polygon(
        [(X0 - 3, Y0 - 3), (X0 + 0.63 * w + 7, Y0 - 3), (X0 + 0.37 * w - 11, Y0 + h + 3),
         (X0 - 3, Y0 + h + 3)]
    )  # fmt: skip
    east = shapely.difference(shapely.box(X0 - 3, Y0 - 3, X0 + w + 3, Y0 + h + 3), west)
    return gpd.GeoDataFrame(
        {"code": ["A-7", "110108002"], "name": ["西", "东"]}, geometry=[west, east], crs=UTM_50N
    ).to_crs("EPSG:4326")


@pytest.mark.parametrize("from_file", [False, True])
def test_hand_drawn_communities_across_blocks_nest_grids_in_parents(
    tmp_path: Path, from_file: bool
) -> None:
    """Hand-drawn communities cutting street blocks diagonally: units are cut along the edge, so
    no grid lies outside its parent beyond the tolerance, every code is its parent's code + a
    sequence, and all households are kept (street blocks, or block units from a file)."""
    from geogrid.io import geojson as gj
    from geogrid.layers import features_from_frame
    from tests.grids_area import buildings, units_frame

    area = make_area(tmp_path / "area")
    gj.write_layer(_diagonal_communities(), area / "communities.geojson", "communities")
    path = None
    if from_file:  # whole 100 m blocks with households, not aligned with the communities
        blocks = units_frame([(c, r, 60) for c in range(7) for r in range(5)])
        blocks = blocks.drop(columns=["parent_code"]).reset_index()
        path = tmp_path / "blocks.geojson"
        path.write_text(gj.dumps_features(features_from_frame(blocks)), encoding="utf-8")
    result = S.generate(area, seed=0, units_path=path)
    grids = result.plan.grids
    assert set(grids["parent_code"]) == {"A-7", "110108002"}
    outside = [p for p in result.problems if p.kind in ("outside parent", "gap")]
    assert not outside, [str(p) for p in outside]
    assert not [p for p in S.validate(area) if p.kind == "outside parent"]
    for code, parent in zip(grids["code"], grids["parent_code"], strict=True):
        assert code.startswith(parent) and code[len(parent) :].isdigit(), (code, parent)
    expected = 35 * 60 if from_file else int(buildings()["households"].sum())
    assert grids["households"].sum() == expected
    assert result.plan.units["households"].sum() == expected


def _add_buildings(folder: Path, spots: list[tuple[float, float, int]]) -> None:
    """Add SYNTHETIC 10 m buildings at (x, y) metres from the area's corner to its buildings."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    from geogrid.io import geojson
    from tests.grids_area import UTM_50N, X0, Y0

    path = folder / "buildings.geojson"
    old = gpd.read_file(path)
    new = gpd.GeoDataFrame(
        {
            "id": [f"way/{9000 + i}" for i in range(len(spots))],
            "building": "apartments",
            "households": [h for _, _, h in spots],
            "households_source": "survey",
        },
        geometry=[shapely.box(X0 + x - 5, Y0 + y - 5, X0 + x + 5, Y0 + y + 5) for x, y, _ in spots],
        crs=UTM_50N,
    ).to_crs(old.crs)
    both = gpd.GeoDataFrame(pd.concat([old, new], ignore_index=True), crs=old.crs)
    geojson.write_layer(both, path, "buildings", history=False)


def test_a_block_over_the_max_is_split_by_building_and_the_preview_accepted(area: Path) -> None:
    """New buildings put one block over the max: the rebalance cuts it by building (pieces in the
    saved units, grids contiguous, codes kept), says so, and the accepted preview is the same."""
    S.generate(area, seed=0, author="setup", restarts=1)
    before = versions.load_version(area)[1]
    _add_buildings(area, [(15, 85, 110), (50, 85, 110), (85, 85, 110), (85, 50, 110)])
    preview = S.rebalance(area, dry_run=True, time_limit_s=20)
    result = preview.result
    assert len(result.split) == 1, result.reasons
    ((unit, parts),) = result.split.items()
    assert len(parts) >= 4 and unit not in result.plan.units.index
    assert any(f"unit {unit} (" in n and "cut by building" in n for n in result.split_notes)
    assert any(f"split: unit {unit}" in line for line in result.summary())
    assert set(before["code"]) <= set(result.plan.grids["code"]) | set(result.retired)
    assert not [p for p in preview.problems if "contiguous" in str(p) or "gap" in str(p)]
    saved = S.accept_rebalance(area, result.moves, area_tag=preview.area_tag, author="王芳")
    assert saved.plan.units["grid"].to_dict() == result.plan.units["grid"].to_dict()
