"""The folder backend keeps the area folder exactly as geogrid.io writes it.

(Behaviour shared with PostGIS: tests/test_store_base.py.)
"""

from __future__ import annotations

import json

import geopandas as gpd
import shapely
from grids_area import make_area

from geogrid.io import versions
from geogrid.io.workspace import Workspace
from geogrid.store.base import PatrolLog
from geogrid.store.folder import FolderStore, covering_grid


def test_saves_are_the_io_versions_files(tmp_path) -> None:
    """A save through the store writes grid_versions/ and grids.geojson as io.versions does."""
    folder = make_area(tmp_path / "a")
    store = FolderStore(tmp_path)
    grids = gpd.GeoDataFrame(
        {"code": ["G1"], "households": [10]},
        geometry=[shapely.box(116.31, 39.96, 116.32, 39.97)],
        crs="EPSG:4326",
    )
    v = store.save_version("a", grids, None, author="Li", message="hand-drawn", parent=None)
    ws = Workspace(folder)
    index = json.loads(ws.versions_index_path.read_text(encoding="utf-8"))
    assert index["head"] == v.id == 1 and index["versions"][0]["author"] == "Li"
    assert ws.grids_path.read_bytes() == ws.version_grids_path(1).read_bytes()
    assert versions.list_versions(folder)[1] == 1
    assert store.repair("a") is False


def test_patrol_log_is_a_spreadsheet_safe_csv(tmp_path) -> None:
    """The log is patrol_log.csv; formula-like text is quoted in the file and read back as typed."""
    make_area(tmp_path / "a")
    store = FolderStore(tmp_path)
    log = PatrolLog("2024-06-01", "=HYPERLINK(1)", ("@王", "李"), 3, 2, 1.25, 0.5)
    store.add_patrol_log("a", log)
    text = Workspace(tmp_path / "a").patrol_log_path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "date,team,members,planned,done,km,hours"
    assert "'=HYPERLINK(1)" in text
    assert store.patrol_logs("a") == [log]


def test_covering_grid_takes_the_first_grid_in_layer_order() -> None:
    """A point on a shared edge belongs to the first grid; one outside all to none."""
    grids = gpd.GeoDataFrame(
        {"code": ["B", "A"]},
        geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)],
        crs="EPSG:4326",
    )
    points = gpd.GeoDataFrame(
        geometry=[shapely.Point(1, 0.5), shapely.Point(1.5, 0.5), shapely.Point(5, 5)],
        crs="EPSG:4326",
    )
    assert covering_grid(points, grids) == ["B", "A", None]
    assert covering_grid(points, None) == [None, None, None]


def test_areas_are_the_folders_with_a_manifest(tmp_path) -> None:
    """list_areas names the sub-folders that hold an area.json."""
    make_area(tmp_path / "b")
    (tmp_path / "junk").mkdir()
    assert FolderStore(tmp_path).list_areas() == ["b"]
    assert FolderStore(tmp_path / "none").list_areas() == []
