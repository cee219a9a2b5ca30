"""Tests for geogrid.synthetic_office: seeded, labelled synthetic office files of an area."""

from __future__ import annotations

from pathlib import Path

import pytest

from geogrid.io.workspace import Workspace
from geogrid.services.area import build_area
from geogrid.synthetic_office import LABEL, gauss_kruger_crs, office_files

OSM = Path(__file__).parent / "data" / "osm_area" / "mini_haidian.osm"


@pytest.fixture(scope="module")
def area(tmp_path_factory):
    folder = tmp_path_factory.mktemp("office") / "area"
    build_area(OSM, folder, name="合成示例区", admin_code="110108")
    return Workspace(folder).read()


def test_office_files_are_seeded_labelled_and_have_several_offences_per_case(area):
    """Same seed, same files; grids carry office codes in a Gauss-Kruger zone (117E for
    Haidian); every place, grid and incident row says synthetic; some case numbers
    repeat with another category, never the same one."""
    one = office_files(area.boundary, area.buildings, area.nodes, area.metric_crs, seed=1)
    two = office_files(area.boundary, area.buildings, area.nodes, area.metric_crs, seed=1)
    assert one.incidents.equals(two.incidents) and one.register.equals(two.register)
    assert one.grids_crs == gauss_kruger_crs(116.35) == "EPSG:4548"
    assert one.grids["网格编码"].str.match(r"^110108001001\d{3}$").all()
    assert (one.grids["备注"] == LABEL).all() and (one.places["备注"] == LABEL).all()
    assert (one.incidents["说明"] == LABEL).all()
    cases = one.incidents.groupby("案件编号")["案由"]
    assert (cases.size() > 1).any() and (cases.nunique() == cases.size()).all()
    assert gauss_kruger_crs(24.9) is None
