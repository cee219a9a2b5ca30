"""Tests for geogrid.io.synthetic_office: the synthetic office files written and imported."""

from __future__ import annotations

from pathlib import Path

from geogrid.incidents import count_cases
from geogrid.io.synthetic_office import write_office_files
from geogrid.io.workspace import Workspace
from geogrid.services import imports
from geogrid.services import incidents as service
from geogrid.services.area import build_area
from geogrid.synthetic_office import office_files

OSM = Path(__file__).parent / "data" / "osm_area" / "mini_haidian.osm"


def test_written_files_import_through_their_mappings(tmp_path):
    """The register, the zipped GBK shapefile, places, roster and the GBK incidents import
    with their mapping files and nothing is rejected; the grids become version 1 with
    the office's codes; incidents keep one record per offence and count cases."""
    build_area(OSM, tmp_path / "area", name="合成示例区", admin_code="110108")
    area = Workspace(tmp_path / "area").read()
    files = office_files(
        area.boundary, area.buildings, area.nodes, area.metric_crs, seed=2, grid_cells=2
    )
    paths = write_office_files(files, tmp_path / "office")
    assert all(p.name.startswith("synthetic_") for p in paths.values())
    folder = tmp_path / "area"
    households = imports.import_households(folder, paths["households"], paths["households_mapping"])
    assert households.kept == households.rows > 0
    grids = imports.import_grids(folder, paths["grids"], paths["grids_mapping"])
    assert "v0001" in " ".join(grids.lines())
    places = imports.import_places(folder, paths["places"], "key_places", paths["places_mapping"])
    assert places.kept == places.rows == 3
    teams = imports.import_teams(folder, paths["teams"], paths["teams_mapping"])
    assert teams.kept == teams.rows == 5
    report = service.import_file(paths["incidents"], paths["incidents_mapping"], area_dir=folder)
    assert report.result.rejects.empty
    layer = service.load(area_dir=folder).incidents
    assert count_cases(layer) < len(layer)
    assert (
        layer["synthetic"].eq(True).all()
    )  # labelled synthetic on the way in, so on the public map too
    read = Workspace(folder).read()
    assert set(read.grids["code"]) == set(files.grids["网格编码"])
