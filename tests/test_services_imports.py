"""Importing an office's own files into a SYNTHETIC area: good rows kept, bad ones named, re-runs
idempotent."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geogrid.errors import CRSError, InputError
from geogrid.io import versions
from geogrid.io.workspace import Workspace
from geogrid.services import grids as grid_service
from geogrid.services import imports as I
from tests import grids_area
from tests import office_files as O


@pytest.fixture
def area(tmp_path: Path) -> Path:
    return grids_area.make_area(tmp_path / "area", with_communities=True)


def _register_mapping(
    tmp_path: Path,
    coordinates: str = "gcj02",
    x: str = "坐标/经度",
    y: str = "坐标/纬度",
    extra: str = 'sheet = "户籍"',
) -> Path:
    text = O.REGISTER_TOML.format(coordinates=coordinates, extra=extra, x=x, y=y)
    return O.write_text(tmp_path / "register.toml", text)


# --------------------------------------------------------------------------- households


def test_households_from_excel_gcj02(area: Path, tmp_path: Path) -> None:
    """An Excel register in GCJ-02 sums into every building; a re-run writes nothing."""
    rows = O.register_rows("gcj02")
    xlsx = O.write_register_xlsx(tmp_path / "户籍.xlsx", rows)
    mapping = _register_mapping(tmp_path)
    report = I.import_households(area, xlsx, mapping)
    assert len(report.rejects) == 0 and report.written is not None
    buildings = Workspace(area).read_layer("buildings")
    assert set(buildings["households_source"]) == {"register"}
    assert int(buildings["households"].sum()) == int(rows["户数"].sum())
    history = list((area / "history" / "buildings").glob("*.geojson"))
    again = I.import_households(area, xlsx, mapping)
    assert again.written is None
    assert list((area / "history" / "buildings").glob("*.geojson")) == history
    assert report.rejects_path is not None and report.rejects_path.exists()


def test_households_by_building_id_gbk_csv(area: Path, tmp_path: Path) -> None:
    """A GBK CSV naming buildings by id: unknown ids are rejected with row and reason."""
    rows = pd.DataFrame(
        {
            "楼栋编码": ["way/1000", "way/1000", "way/1001", "way/9999"],
            "户数": ["10", "5", "7", "3"],
        }
    )
    csv = O.write_gbk_csv(tmp_path / "楼栋.csv", rows)
    mapping = O.write_text(tmp_path / "m.toml", O.BY_ID_TOML.format(encoding="auto"))
    report = I.import_households(area, csv, mapping)
    buildings = Workspace(area).read_layer("buildings").set_index("id")
    assert buildings.loc["way/1000", "households"] == 15
    assert buildings.loc["way/1001", "households"] == 7
    assert list(report.rejects.table["row"]) == [5]
    assert "way/9999" in report.rejects.table["detail"].iloc[0]
    written = pd.read_csv(report.rejects_path, encoding="utf-8-sig")
    assert list(written.columns) == ["source", "row", "id", "reason", "detail"]


def test_households_unmatched_points(area: Path, tmp_path: Path) -> None:
    """With --unmatched points a row in the park becomes a 4 m point unit, once, on re-runs too."""
    rows = O.register_rows("wgs84", n=2)
    park = grids_area.units_frame([(3, 2, 0)]).geometry.iloc[0].centroid
    rows.loc[len(rows)] = ["P-1", "公园管理处", 4, round(park.x, 7), round(park.y, 7)]
    csv = tmp_path / "r.csv"
    rows.to_csv(csv, index=False)
    mapping = _register_mapping(tmp_path, "wgs84", "经度", "纬度", "")
    rejected = I.import_households(area, csv, mapping)
    assert list(rejected.rejects.table["reason"]) == ["no_building"]
    assert "--unmatched points" in rejected.rejects.table["detail"].iloc[0]
    I.import_households(area, csv, mapping, unmatched="points")
    again = I.import_households(area, csv, mapping, unmatched="points")
    assert again.written is None
    buildings = Workspace(area).read_layer("buildings")
    points = buildings[buildings["building"] == "register_point"]
    assert len(points) == 1 and points["households"].iloc[0] == 4


def test_households_reimport_replaces_its_point_units(area: Path, tmp_path: Path) -> None:
    """A corrected register replaces the point units of the first import: a row that now lies
    near another address's old unit does not overwrite it (a Shanghai register imported as
    WGS-84 first, then corrected, lost 111 households and kept 16 units where they were)."""
    import geopandas as gpd

    park = grids_area.units_frame([(3, 2, 0)]).to_crs(grids_area.UTM_50N).geometry.iloc[0]
    x, y = park.centroid.x, park.centroid.y

    def at(dx_m: float) -> tuple[float, float]:
        point = gpd.GeoSeries(gpd.points_from_xy([x + dx_m], [y]), crs=grids_area.UTM_50N)
        lonlat = point.to_crs("EPSG:4326").iloc[0]
        return round(lonlat.x, 7), round(lonlat.y, 7)

    mapping = _register_mapping(tmp_path, "wgs84", "经度", "纬度", "")
    csv = tmp_path / "r.csv"

    def register(p1_m: float, p2_m: float) -> None:
        rows = pd.DataFrame(
            [["P-1", "一号", 4, *at(p1_m)], ["P-2", "二号", 6, *at(p2_m)]],
            columns=["地址编码", "标准地址", "户数", "经度", "纬度"],
        )
        rows.to_csv(csv, index=False)
        I.import_households(area, csv, mapping, unmatched="points")

    register(-40.0, 0.0)  # the first file
    register(5.0, 40.0)  # corrected: P-1 now 5 m from P-2's old unit
    buildings = Workspace(area).read_layer("buildings")
    points = buildings[buildings["building"] == "register_point"].to_crs(grids_area.UTM_50N)
    assert sorted(points["households"]) == [4, 6]
    where = dict(zip(points["name"], points.geometry.centroid.x - x, strict=True))
    assert where == {"一号": pytest.approx(5.0, abs=0.5), "二号": pytest.approx(40.0, abs=0.5)}


def _swapped_csv(tmp_path: Path) -> Path:
    rows = O.register_rows("wgs84", n=6)
    rows.loc[2, ["经度", "纬度"]] = rows.loc[2, ["纬度", "经度"]].to_numpy()
    path = tmp_path / "r.csv"
    rows.to_csv(path, index=False)
    return path


def _dup_csv(tmp_path: Path) -> Path:
    rows = O.register_rows("wgs84", n=4)
    rows.loc[3, "地址编码"] = rows.loc[0, "地址编码"]
    path = tmp_path / "r.csv"
    rows.to_csv(path, index=False)
    return path


def _gcj_csv(tmp_path: Path) -> Path:
    path = tmp_path / "r.csv"
    O.register_rows("gcj02").to_csv(path, index=False)
    return path


def _gbk_as_utf8(tmp_path: Path) -> Path:
    return O.write_gbk_csv(tmp_path / "r.csv", O.register_rows("wgs84", n=3))


def _empty_sheet(tmp_path: Path) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "户籍"
    path = tmp_path / "r.xlsx"
    book.save(path)
    return path


HOUSEHOLD_BAD = [
    # case, file maker, mapping args, error fragment (None: rows rejected, good kept), reason
    (
        "swapped lat/lon row",
        _swapped_csv,
        ("wgs84", "经度", "纬度", ""),
        None,
        "swapped_coordinates",
    ),
    ("duplicate ids", _dup_csv, ("wgs84", "经度", "纬度", ""), None, "duplicate_id"),
    (
        "gcj02 given as wgs84",
        _gcj_csv,
        ("wgs84", "经度", "纬度", ""),
        "look like GCJ-02 (Amap/Tencent), not WGS-84",
        None,
    ),
    (
        "wrong encoding",
        _gbk_as_utf8,
        ("wgs84", "经度", "纬度", 'encoding = "utf-8"'),
        'encoding = "gbk"',
        None,
    ),
    ("empty sheet", _empty_sheet, ("wgs84", "经度", "纬度", ""), "is empty", None),
    (
        "merged header read as one row",
        lambda p: O.write_register_xlsx(p / "r.xlsx", O.register_rows(n=3)),
        ("wgs84", "经度", "纬度", 'sheet = "户籍"\nheader_rows = 1\nskip_rows = 1'),
        "header_rows = 2",
        None,
    ),
]


@pytest.mark.parametrize(
    ("case", "make", "margs", "fragment", "reason"),
    HOUSEHOLD_BAD,
    ids=[b[0] for b in HOUSEHOLD_BAD],
)
def test_households_bad_input(
    area: Path, tmp_path: Path, case, make, margs, fragment, reason
) -> None:
    """Bad register files: a clear error naming the file and the fix, or the bad rows rejected."""
    path = make(tmp_path)
    mapping = _register_mapping(tmp_path, *margs)
    if fragment is not None:
        with pytest.raises(InputError) as err:
            I.import_households(area, path, mapping)
        assert fragment in str(err.value) and path.name in str(err.value), str(err.value)
        return
    report = I.import_households(area, path, mapping)
    assert reason in set(report.rejects.table["reason"])
    assert report.kept > 0 and report.written is not None


# --------------------------------------------------------------------------- grids


def _grids_mapping(tmp_path: Path, extra: str = "") -> Path:
    return O.write_text(tmp_path / "grids.toml", O.GRIDS_TOML.format(extra=extra))


def test_grids_zip_saved_as_imported_version(area: Path, tmp_path: Path) -> None:
    """A zipped GK-zone Shapefile becomes version "imported", editable; a re-run saves nothing."""
    shp = O.write_shapefile(tmp_path / "shp", O.grid_cells(), O.GK_ZONE_39)
    z = O.zip_shapefile(shp, tmp_path / "grids.zip")
    mapping = _grids_mapping(tmp_path)
    result = I.import_grids(area, z, mapping)
    assert result.version is not None and result.version.message == "imported"
    grids = Workspace(area).read_layer("grids")
    assert list(grids["worker"]) == ["网格员1", "网格员2", "网格员3"]
    assert set(grids["parent_code"]) == {"110108001001", "110108001002"}
    assert not [p for p in result.problems if p.kind in ("gap", "overlap")]
    assert I.import_grids(area, z, mapping).version is None
    edited = grid_service.edit(area, "split", codes=[grids["code"].iloc[0]], author="测试")
    assert len(edited.plan.grids) == 4
    assert len(versions.list_versions(area)[0]) == 2


def test_grids_repair_slivers_reported(area: Path, tmp_path: Path) -> None:
    """Hand-drawn slivers (1 m overlap) are refused, then repaired with --repair-slivers-m2."""
    cells = O.grid_cells()
    cells.loc[0, "geometry"] = (
        cells.loc[0, "geometry"].buffer(1, join_style="mitre").intersection(grids_area.outline())
    )
    shp = O.write_shapefile(tmp_path / "shp", cells)
    mapping = _grids_mapping(tmp_path)
    result = I.import_grids(area, shp, mapping, repair_slivers_m2=1000)
    assert any(m.kind == "overlap" for m in result.moves)
    assert any("repaired overlap" in line for line in result.lines())


def _overlapping(tmp_path: Path) -> Path:
    cells = O.grid_cells()
    cells.loc[0, "geometry"] = cells.loc[0, "geometry"].buffer(30, join_style="mitre")
    return O.write_shapefile(tmp_path / "shp", cells)


def _duplicate_codes(tmp_path: Path) -> Path:
    cells = O.grid_cells()
    cells.loc[2, "网格编码"] = cells.loc[1, "网格编码"]
    return O.write_shapefile(tmp_path / "shp", cells)


def _gcj_grids(tmp_path: Path) -> Path:
    import numpy as np
    import shapely

    from geogrid.crs import wgs84_to_gcj02

    cells = O.grid_cells().to_crs("EPSG:4326")
    moved = shapely.transform(
        cells.geometry.to_numpy(), lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1]))
    )
    path = tmp_path / "grids.kml"
    cells.set_geometry(moved).to_file(path, driver="KML")
    return path


GRID_BAD = [
    ("overlaps itself", _overlapping, InputError, "overlaps feature 2"),
    ("duplicate codes", _duplicate_codes, InputError, "also used by feature 2"),
    (
        "no .prj",
        lambda p: O.write_shapefile(p / "shp", O.grid_cells(), prj=False),
        CRSError,
        "has no .prj file",
    ),
    ("gcj02 given as wgs84", _gcj_grids, InputError, "look like GCJ-02"),
]


@pytest.mark.parametrize(
    ("case", "make", "error", "fragment"), GRID_BAD, ids=[b[0] for b in GRID_BAD]
)
def test_grids_bad_input(area: Path, tmp_path: Path, case, make, error, fragment) -> None:
    """A bad grid layer is refused whole, naming the file, the features and the fix; nothing
    saved."""
    path = make(tmp_path)
    with pytest.raises(error) as err:
        I.import_grids(area, path, _grids_mapping(tmp_path))
    assert fragment in str(err.value), str(err.value)
    assert versions.list_versions(area)[1] is None


# ----------------------------------------------------------------------- places, teams, communities


def _places_mapping(tmp_path: Path, coordinates: str) -> Path:
    return O.write_text(tmp_path / "places.toml", O.PLACES_TOML.format(coordinates=coordinates))


@pytest.mark.parametrize("system", ["gcj02", "bd09"])
def test_places_from_china_systems(area: Path, tmp_path: Path, system: str) -> None:
    """Key places in GCJ-02 or BD-09 land on the street nodes they were taken from; re-run
    idempotent."""
    rows = O.places_rows(system)
    path = tmp_path / "places.xlsx"
    rows.to_excel(path, index=False)
    report = I.import_places(area, path, "key_places", _places_mapping(tmp_path, system))
    assert report.kept == 3 and not len(report.rejects)
    layer = Workspace(area).read_layer("key_places")
    nodes, _ = grids_area.street_frames()
    truth = nodes.geometry.iloc[[7, 15, 30]].to_crs(grids_area.UTM_50N).to_numpy()
    got = layer.to_crs(grids_area.UTM_50N).geometry.to_numpy()
    assert max(a.distance(b) for a, b in zip(got, truth, strict=True)) < 1.0
    assert (
        I.import_places(area, path, "key_places", _places_mapping(tmp_path, system)).written is None
    )


def test_places_bad_input(area: Path, tmp_path: Path) -> None:
    """Places: GCJ-02 stated as WGS-84 is refused saying so; an area-layer name is refused."""
    path = tmp_path / "places.csv"
    O.places_rows("gcj02").to_csv(path, index=False)
    with pytest.raises(InputError, match="look like GCJ-02"):
        I.import_places(area, path, "key_places", _places_mapping(tmp_path, "wgs84"))
    with pytest.raises(InputError, match="not one of the area's own layers"):
        I.import_places(area, path, "buildings", _places_mapping(tmp_path, "gcj02"))


def test_teams_with_bases_by_place_name(area: Path, tmp_path: Path) -> None:
    """A roster with bases named by key places gives two teams; an unknown base is a named
    reject."""
    places = tmp_path / "places.xlsx"
    O.places_rows("gcj02").to_excel(places, index=False)
    I.import_places(area, places, "key_places", _places_mapping(tmp_path, "gcj02"))
    roster = O.roster_rows()
    path = tmp_path / "花名册.xlsx"
    roster.to_excel(path, index=False)
    mapping = O.write_text(tmp_path / "teams.toml", O.TEAMS_TOML)
    report = I.import_teams(area, path, mapping)
    teams = Workspace(area).read_layer("teams").set_index("id")
    assert list(teams.index) == ["T1", "T2"] and teams.loc["T1", "leader"] == "张三"
    assert teams.loc["T2", "mode"] == "bike" and teams.loc["T1", "size"] == 3
    assert I.import_teams(area, path, mapping).written is None
    roster.loc[3, "驻点"] = "学院路中学"
    roster.to_excel(path, index=False)
    report = I.import_teams(area, path, mapping)
    assert "unknown_base" in set(report.rejects.table["reason"])


def test_communities_from_shapefile(area: Path, tmp_path: Path) -> None:
    """Street (街道) polygons with 9-digit codes become 12-digit grid parents."""
    comms = grids_area.communities().rename(columns={"code": "CODE", "name": "NAME"})
    comms["CODE"] = ["110108001", "110108002"]
    shp = O.write_shapefile(tmp_path / "c", comms, O.GK_117E, stem="街道")
    mapping = O.write_text(tmp_path / "c.toml", O.COMMUNITIES_TOML)
    report = I.import_communities(area, shp, mapping)
    layer = Workspace(area).read_layer("communities")
    assert list(layer["code"]) == ["110108001000", "110108002000"] and report.written is not None
    assert I.import_communities(area, shp, mapping).written is None


def test_an_area_of_a_store_is_imported_into_through_the_store(tmp_path: Path) -> None:
    """A StoredArea (what the web and the CLI with GEOGRID_STORE pass) is imported into through
    its store: places land in the database's layer, the report names it, a re-run is
    unchanged. Needs GEOGRID_TEST_DB (skips without)."""
    from geogrid.store.base import StoredArea
    from tests.store_commands import twins

    pair = twins(grids_area.make_area(tmp_path / "area"), tmp_path)
    rows = O.places_rows("gcj02")
    path = tmp_path / "places.xlsx"
    rows.to_excel(path, index=False)
    where = StoredArea(pair.store, pair.name)
    report = I.import_places(where, path, "key_places", _places_mapping(tmp_path, "gcj02"))
    assert report.kept == 3 and f"layers/key_places.geojson of area {pair.name}" in str(
        report.written
    )
    assert len(pair.store.read_layer(pair.name, "key_places")) == 3
    again = I.import_places(where, path, "key_places", _places_mapping(tmp_path, "gcj02"))
    assert again.written is None


def _write_between(monkeypatch: pytest.MonkeyPatch, area: Path, layer: str, frame) -> None:
    """Make another import write ``frame`` as ``layer`` right after the first read of it (the
    read sees the layer as it was; the write is from a stale revision)."""
    from geogrid.store.access import AreaAccess

    read = AreaAccess.read_layer
    done: list[bool] = []

    def read_then_other_write(self, name, *, required=False):
        found = read(self, name, required=required)
        if name == layer and not done:
            done.append(True)
            Workspace(area).write_layer(layer, frame, author="王五", message="the other import")
        return found

    monkeypatch.setattr(AreaAccess, "read_layer", read_then_other_write)


def test_a_layer_written_meanwhile_is_merged_again_or_a_conflict(
    area: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Places written by another import between our read and our write: the merge by id is
    made again from their layer (theirs and ours both kept). Communities (replaced whole):
    the one-line conflict naming who wrote them, theirs left as they are."""
    import geopandas as gpd
    import shapely

    from geogrid.errors import ConflictError

    point = shapely.Point(Workspace(area).read_layer("boundary").geometry.iloc[0].centroid)
    theirs = gpd.GeoDataFrame(
        {"id": ["X1"], "name": ["他们的"], "kind": "school"}, geometry=[point], crs="EPSG:4326"
    )
    _write_between(monkeypatch, area, "key_places", theirs)
    path = tmp_path / "places.xlsx"
    O.places_rows("gcj02").to_excel(path, index=False)
    report = I.import_places(area, path, "key_places", _places_mapping(tmp_path, "gcj02"))
    layer = Workspace(area).read_layer("key_places")
    assert report.written is not None and "X1" in set(layer["id"]) and len(layer) == 4
    communities = Workspace(area).read_layer("communities")
    _write_between(monkeypatch, area, "communities", communities.iloc[:1])
    comms = grids_area.communities().rename(columns={"code": "CODE", "name": "NAME"})
    comms["CODE"] = ["110108001", "110108002"]
    shp = O.write_shapefile(tmp_path / "c", comms, O.GK_117E, stem="街道")
    mapping = O.write_text(tmp_path / "c.toml", O.COMMUNITIES_TOML)
    with pytest.raises(ConflictError, match=r"communities changed .*王五.*the other import") as err:
        I.import_communities(area, shp, mapping)
    assert "\n" not in str(err.value)
    assert len(Workspace(area).read_layer("communities")) == 1
