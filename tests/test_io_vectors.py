"""Reading an office's map files: Shapefiles (plain, zipped, .cpg or not), GeoPackage, KML, any
CRS."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geogrid.crs import wgs84_to_gcj02
from geogrid.errors import CRSError, InputError
from geogrid.io.vectors import crs_hint, read_vectors
from tests import office_files as O


def _expected() -> gpd.GeoDataFrame:
    return O.grid_cells().to_crs("EPSG:4326")


def test_shapefile_gauss_kruger_with_cpg(tmp_path: Path) -> None:
    """A GBK Shapefile in CGCS2000 GK 117E with .cpg reads back in WGS-84 with its Chinese names."""
    shp = O.write_shapefile(tmp_path / "shp", O.grid_cells(), O.GK_117E)
    got = read_vectors(shp)
    assert got.crs == "EPSG:4548"
    assert list(got.frame["网格名称"]) == ["第1网格", "第2网格", "第3网格"]
    assert list(got.frame.index) == [1, 2, 3]
    assert np.allclose(got.frame.total_bounds, _expected().total_bounds, atol=1e-7)


def test_zipped_shapefile_with_zone_prefix(tmp_path: Path) -> None:
    """A zipped Shapefile in GK zone 39 (EPSG:4527, zone number in the eastings) reads in place."""
    shp = O.write_shapefile(tmp_path / "shp", O.grid_cells(), O.GK_ZONE_39)
    z = O.zip_shapefile(shp, tmp_path / "grids.zip")
    got = read_vectors(z)
    assert got.name == "grids.zip/grids/网格.shp"
    assert list(got.frame["网格员"]) == ["网格员1", "网格员2", "网格员3"]
    assert np.allclose(got.frame.total_bounds, _expected().total_bounds, atol=1e-7)


def test_shapefile_without_cpg_gbk_detected(tmp_path: Path) -> None:
    """Without a .cpg the .dbf bytes are checked: GBK text is read as GBK (and noted)."""
    shp = O.write_shapefile(tmp_path / "shp", O.grid_cells(), O.GK_117E, cpg=False)
    got = read_vectors(shp)
    assert got.frame["网格名称"].iloc[0] == "第1网格"
    assert any("GBK" in n for n in got.notes)


def test_gcj02_stated_is_converted(tmp_path: Path) -> None:
    """A GeoJSON whose lon/lat are GCJ-02 (stated) lands on the WGS-84 place."""
    cells = _expected()

    def shift(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1]))

    gcj = cells.set_geometry(shapely.transform(cells.geometry.to_numpy(), shift))
    path = tmp_path / "g.geojson"
    gcj.to_file(path, driver="GeoJSON")
    got = read_vectors(path, coordinates="gcj02")
    assert np.allclose(got.frame.total_bounds, cells.total_bounds, atol=1e-6)


def test_kml_and_gpkg(tmp_path: Path) -> None:
    """KML (always lon/lat) and a one-layer GeoPackage read like any other file."""
    cells = _expected()
    cells.to_file(tmp_path / "g.kml", driver="KML")
    cells.to_file(tmp_path / "g.gpkg", layer="grids", driver="GPKG")
    for name in ("g.kml", "g.gpkg"):
        got = read_vectors(tmp_path / name)
        assert len(got.frame) == 3
        assert np.allclose(got.frame.total_bounds, cells.total_bounds, atol=1e-6)


def _two_layers(path: Path) -> Path:
    cells = _expected()
    cells.to_file(path, layer="a", driver="GPKG")
    cells.to_file(path, layer="b", driver="GPKG")
    return path


BAD = [
    (
        "no .prj",
        lambda p: O.write_shapefile(p / "s", O.grid_cells(), O.GK_117E, prj=False),
        {},
        CRSError,
        "has no .prj file",
    ),
    (
        "no .prj hint",
        lambda p: O.write_shapefile(p / "s", O.grid_cells(), O.GK_117E, prj=False),
        {},
        CRSError,
        "EPSG:4534-4554",
    ),
    (
        "stated crs contradicts .prj",
        lambda p: O.write_shapefile(p / "s", O.grid_cells(), O.GK_117E),
        {"coordinates": "EPSG:4549"},
        CRSError,
        "the file says",
    ),
    (
        "gcj02 stated for projected file",
        lambda p: O.write_shapefile(p / "s", O.grid_cells(), O.GK_117E),
        {"coordinates": "gcj02"},
        CRSError,
        "(lon/lat) but the file is in",
    ),
    (
        "two layers",
        lambda p: _two_layers(p / "two.gpkg"),
        {},
        InputError,
        "say which with [source] layer",
    ),
    (
        "not a zip",
        lambda p: O.write_text(p / "x.zip", "nope"),
        {},
        InputError,
        "not a readable zip",
    ),
    (
        "unknown suffix",
        lambda p: O.write_text(p / "x.dwg", "nope"),
        {},
        InputError,
        "cannot read .dwg",
    ),
]


@pytest.mark.parametrize(
    ("case", "make", "kwargs", "error", "fragment"), BAD, ids=[b[0] for b in BAD]
)
def test_bad_vector_files(tmp_path: Path, case, make, kwargs, error, fragment) -> None:
    """Each bad map file is an error naming the file and what to state or fix."""
    path = make(tmp_path)
    with pytest.raises(error) as err:
        read_vectors(path, **kwargs)
    assert fragment in str(err.value), str(err.value)


def test_no_prj_read_when_stated(tmp_path: Path) -> None:
    """A Shapefile without .prj reads when the mapping states its EPSG code."""
    shp = O.write_shapefile(tmp_path / "s", O.grid_cells(), O.GK_117E, prj=False)
    got = read_vectors(shp, coordinates="EPSG:4548")
    assert np.allclose(got.frame.total_bounds, _expected().total_bounds, atol=1e-7)


def test_crs_hint_reads_the_numbers() -> None:
    """Hints: lon/lat, GK with zone prefix (zone 39 -> EPSG:4527), GK without prefix."""
    assert "longitude/latitude" in crs_hint((116.3, 39.9, 116.4, 40.0))
    assert "EPSG:4527" in crs_hint((39_440_000.0, 4_425_000.0, 39_441_000.0, 4_426_000.0))
    assert "EPSG:4534-4554" in crs_hint((440_000.0, 4_425_000.0, 441_000.0, 4_426_000.0))
