"""Tests for geogrid.io.workspace: manifests and loading whole areas."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from pathlib import Path

import geopandas as gpd
import pytest

from geogrid.errors import InputError
from geogrid.io.atomic import write_json_atomic
from geogrid.io.workspace import Workspace, read_area, read_manifest
from geogrid.services.area import BoundaryChoice, build_area

MINI = Path(__file__).parent / "data" / "osm_area" / "mini_haidian.osm"


def test_missing_manifest_says_how_to_fix(tmp_path: Path):
    """A folder without area.json says to build the area first."""
    with pytest.raises(InputError, match="build the area first"):
        read_manifest(tmp_path)


def test_malformed_and_incomplete_manifests(tmp_path: Path):
    """Broken JSON names the line; a manifest without metric_crs is refused."""
    (tmp_path / "area.json").write_text('{"name": "x",\n  oops}', encoding="utf-8")
    with pytest.raises(InputError, match="line 2"):
        read_manifest(tmp_path)
    write_json_atomic(tmp_path / "area.json", {"name": "x", "sources": []})
    with pytest.raises(InputError, match="metric_crs"):
        read_manifest(tmp_path)


def test_json_written_atomically_keeps_chinese(tmp_path: Path):
    """write_json_atomic leaves no temp file and keeps non-ASCII text readable."""
    write_json_atomic(tmp_path / "a" / "area.json", {"name": "海淀"})
    text = (tmp_path / "a" / "area.json").read_text(encoding="utf-8")
    assert "海淀" in text
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["area.json"]


def test_read_area_lists_problems_of_every_layer(tmp_path: Path):
    """A damaged area reports each broken file by name, not just the first."""
    out = tmp_path / "mini"
    build_area(MINI, out, name="mini", boundary=BoundaryChoice(admin="矿业大学社区居委会"))
    (out / "grids.geojson").write_text("{ not json", encoding="utf-8")
    (out / "buildings.geojson").unlink()
    with pytest.raises(InputError) as info:
        read_area(out)
    text = str(info.value)
    assert "grids.geojson" in text
    assert "buildings.geojson" in text


def test_read_area_without_network(tmp_path: Path):
    """with_network=False skips the street layers."""
    out = tmp_path / "mini"
    build_area(MINI, out, name="mini", boundary=BoundaryChoice(admin="矿业大学社区居委会"))
    area = read_area(out, with_network=False)
    assert area.nodes is None and area.edges is None
    assert json.loads((out / "area.json").read_text(encoding="utf-8"))["name"] == area.name


# ----------------------------------------------------------------------------- Workspace


def _folder_state(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) with the hash of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_workspace_names_every_file_of_the_area(tmp_path: Path):
    """Workspace gives the path of every file of the area folder, under the folder."""
    ws = Workspace(tmp_path / "a")
    paths = [
        ws.manifest_path,
        ws.boundary_path,
        ws.grids_path,
        ws.communities_path,
        ws.buildings_path,
        ws.layers_dir,
        ws.layer_path("schools"),
        ws.incidents_path,
        ws.teams_path,
        ws.nodes_path,
        ws.edges_path,
        ws.history_dir,
        ws.grid_versions_dir,
        ws.versions_index_path,
        ws.version_grids_path(3),
        ws.version_units_path(3),
        ws.plans_dir(),
        ws.plans_dir("2026-05-01"),
        ws.web_plans_dir,
        ws.patrol_config_path,
        ws.lock_path,
    ]
    assert all(p.is_relative_to(ws.path) for p in paths)
    assert len(set(paths)) == len(paths)
    assert (
        ws.manifest_path.name == "area.json" and ws.layer_path("schools").name == "schools.geojson"
    )
    assert ws.plans_dir("2026-05-01").name == "2026-05-01"
    assert ws.layer_file("teams") == ws.teams_path and ws.layer_file("schools") == ws.layer_path(
        "schools"
    )
    assert not ws.exists()


def test_write_layer_is_validated_atomic_and_keeps_history(tmp_path: Path):
    """write_layer refuses a bad frame, writes nothing half, and keeps the replaced file."""
    out = tmp_path / "mini"
    build_area(MINI, out, name="mini", boundary=BoundaryChoice(admin="矿业大学社区居委会"))
    ws = Workspace(out)
    area = ws.read(with_network=False)
    teams = gpd.GeoDataFrame(
        {"id": ["t1"], "name": ["一队"], "mode": ["walk"]},
        geometry=[area.boundary.geometry.iloc[0].representative_point()],
        crs="EPSG:4326",
    )
    ws.write_layer("teams", teams, author="王芳", message="first team")
    assert ws.read(with_network=False).teams is not None
    before = ws.teams_path.read_bytes()
    with pytest.raises(InputError, match="nothing was written"):
        ws.write_layer("teams", teams.assign(mode="rocket"), author="王芳", message="bad")
    assert ws.teams_path.read_bytes() == before
    ws.write_layer("teams", teams.assign(name="二队"), author="李明", message="renamed")
    sidecars = sorted((ws.history_dir / "teams").glob("*.json"))
    assert any(json.loads(p.read_text(encoding="utf-8"))["message"] == "renamed" for p in sidecars)
    ws.write_layer("playgrounds", area.layers[next(iter(area.layers))], author="a", message="m")
    assert "playgrounds" in ws.read(with_network=False).layers
    assert not list(out.rglob("*.tmp"))


def test_lock_is_reentrant_and_excludes_other_threads(tmp_path: Path):
    """The area lock can be taken again by its holder; another thread waits for it."""
    ws = Workspace(tmp_path / "a")
    order: list[str] = []

    def other() -> None:
        with Workspace(tmp_path / "a").lock():
            order.append("other")

    with ws.lock(), ws.lock():
        thread = threading.Thread(target=other)
        thread.start()
        time.sleep(0.3)
        order.append("holder")
    thread.join()
    assert order == ["holder", "other"]
    assert ws.lock_path.exists()


def test_reading_never_writes_and_the_tag_follows_writes(tmp_path: Path, monkeypatch):
    """Reading an area (even one with a grid save cut short) changes no file; a write changes
    the version tag, a read does not."""
    from geogrid import grids as G
    from geogrid.io import versions
    from tests.grids_area import UTM_50N, make_area, units_frame

    def _plan(households: int = 400) -> G.GridPlan:
        return G.build_grids(units_frame([(0, 0, households), (1, 0, 400)]), UTM_50N, seed=0)

    folder = make_area(tmp_path / "area")
    ws = Workspace(folder)
    versions.save_version(folder, _plan().grids, _plan().units, author="王芳", message="first")

    def killed(*args, **kwargs):
        raise OSError("killed mid-save")

    monkeypatch.setattr(versions, "_write_live", killed)
    with pytest.raises(OSError):
        versions.save_version(
            folder, _plan(300).grids, _plan(300).units, author="李明", message="2"
        )
    monkeypatch.undo()
    before, tag = _folder_state(folder), ws.version_tag()
    area = read_area(folder)
    ws.read(with_network=False)
    read_manifest(folder)
    assert _folder_state(folder) == before and ws.version_tag() == tag
    assert len(area.grids) == len(_plan().grids)  # the last complete live file, as it is
    ws.write_layer("grids", area.grids, author="王芳", message="rewrite")
    assert ws.version_tag() != tag
