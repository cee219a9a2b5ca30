"""Copies between stores: folder -> PostGIS -> folder gives back byte-identical files.

Needs PostgreSQL + PostGIS (GEOGRID_TEST_DB, started by scripts/test.sh) for the
round trips; skips otherwise.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from incidents_area import make_incidents_area
from store_db import db_url, make_template, unique_name
from test_store_base import incidents_in

from geogrid.errors import InputError
from geogrid.store.base import PatrolLog, PlanDocument
from geogrid.store.folder import FolderStore
from geogrid.store.transfer import pull, push


def _files(folder: Path) -> dict[str, bytes]:
    """Every file of an area folder but its lock and the history of replaced layers."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".lock" and "history" not in p.relative_to(folder).parts
    }


@pytest.fixture(scope="module")
def busy_area(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic grids area with two more versions, an undo, incidents, a key-location
    layer, teams, plans and a patrol log."""
    folder = make_template(tmp_path_factory.mktemp("transfer") / "busy")
    store, name = FolderStore(folder.parent), folder.name
    _, grids, units = store.load_version(name)
    store.save_version(name, grids.assign(worker="王"), units, author="Li", message="workers")
    store.save_version(name, grids.assign(worker="赵"), None, author="Zhao", message="hand-drawn")
    store.undo(name, "Zhao")
    store.add_incidents(name, incidents_in(grids, n=20))
    points = grids.geometry.iloc[:2].representative_point()
    import geopandas as gpd

    store.write_layer(
        name,
        "schools",
        gpd.GeoDataFrame(
            {"id": ["s1", "s2"], "name": ["一小", "二小"], "kind": "school"},
            geometry=list(points),
            crs="EPSG:4326",
        ),
        author="t",
        message="schools",
    )
    store.write_layer(
        name,
        "teams",
        gpd.GeoDataFrame(
            {"id": ["T1"], "mode": ["walk"]}, geometry=list(points[:1]), crs="EPSG:4326"
        ),
        author="t",
        message="teams",
    )
    store.save_plan(
        name,
        PlanDocument("2024-06-01", {"teams": 1}, {"type": "FeatureCollection", "features": []}),
    )
    store.add_patrol_log(name, PatrolLog("2024-06-01", "T1", ("王", "李"), 5, 4, 3.5, 2.0))
    for doc, text in [
        ("staff/roster.json", '{"schema": "geogrid-roster/1", "people": [], "名": "甲"}\n'),
        ("staff/history/staffing-20240601T000000000000Z.json", "{}\n"),
        ("staffing.toml", "# SYNTHETIC rules\n"),
    ]:
        store.update_area_file(name, doc, lambda _old, t=text: t.encode("utf-8"))
    return folder


def test_round_trip_gives_byte_identical_files(busy_area: Path, tmp_path: Path) -> None:
    """Push then pull writes the same bytes for every layer, grid version, the version
    index, the manifest, plans, the patrol log and the staff documents."""
    url = db_url()
    name = push(busy_area, url, unique_name())
    out = pull(url, name, tmp_path / "back")
    before, after = _files(busy_area), _files(out)
    assert sorted(after) == sorted(before)
    assert [k for k in before if before[k] != after[k]] == []
    assert "grid_versions/v0003/units.geojson" not in after  # saved without units
    assert "staff/roster.json" in after and "staffing.toml" in after
    history = "staff/history/staffing-20240601T000000000000Z.json"
    assert (out / history).read_bytes() == (busy_area / history).read_bytes()


def test_round_trip_of_the_incidents_fixture(tmp_path: Path) -> None:
    """The incidents test area (no buildings, 500 incidents over 13 months) comes back
    byte for byte; pushing twice replaces the area instead of doubling it."""
    url = db_url()
    folder = make_incidents_area(tmp_path / unique_name())
    push(folder, url)
    name = push(folder, url)
    out = pull(url, name, tmp_path / "back")
    assert _files(out) == _files(folder)


def test_bad_targets_are_refused(busy_area: Path, tmp_path: Path) -> None:
    """Pulling into a folder that holds files, pushing a folder that is no area, or a URL
    that is no database: clear errors, nothing written."""
    url = db_url()
    taken = tmp_path / "taken"
    shutil.copytree(busy_area, taken)
    name = push(busy_area, url, unique_name())
    with pytest.raises(InputError, match="not empty"):
        pull(url, name, taken)
    with pytest.raises(InputError, match="no area here"):
        push(tmp_path, url)
    with pytest.raises(InputError, match="PostgreSQL URL"):
        push(busy_area, str(tmp_path))
    with pytest.raises(InputError, match="no such area"):
        pull(url, unique_name("missing"), tmp_path / "nothing")


def _history(folder: Path) -> dict[str, bytes]:
    """The files of the area's ``history/`` (replaced layers and their sidecars)."""
    root = folder / "history"
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_layer_history_goes_both_ways_and_a_push_again_keeps_the_databases(
    busy_area: Path, tmp_path: Path
) -> None:
    """The folder's history/ (replaced grids and schools with their sidecars) is pushed and
    pulled back byte for byte; a layer written in the database and incidents corrected there
    (only the old records kept, marked partial) stay when the folder is pushed again (the
    database's history is appended to, not replaced), and come out with the pull."""
    import json

    import geopandas as gpd

    from geogrid.store.base import open_store

    url = db_url()
    folder = tmp_path / unique_name()
    shutil.copytree(busy_area, folder, ignore=shutil.ignore_patterns(".lock"))
    local = FolderStore(folder.parent)
    schools = local.read_layer(folder.name, "schools")
    local.write_layer(folder.name, "schools", schools.assign(name=["三小", "四小"]),
                      author="赵", message="renamed")  # fmt: skip
    before = _history(folder)
    assert any(k.startswith("grids/") for k in before)
    assert any(k.startswith("schools/") for k in before)
    name = push(folder, url)
    assert _history(pull(url, name, tmp_path / "back")) == before
    db = open_store(url)
    assert db.layer_history(name, "schools")[0]["message"] == "renamed"
    db.write_layer(name, "schools", schools, author="钱", message="in the database",
                   expected=db.layer_revision(name, "schools"))  # fmt: skip
    stored = db.incidents_with_ids(name, ["S001"])
    assert isinstance(stored, gpd.GeoDataFrame) and len(stored) == 1
    fixed = stored.assign(category="fraud")
    db.update_incidents(name, fixed.iloc[:0], fixed, author="孙", message="fix S001")
    push(folder, url, name)
    messages = [h["message"] for h in db.layer_history(name, "schools")]
    assert messages == ["renamed", "in the database"]
    assert [h["message"] for h in db.layer_history(name, "incidents")] == ["fix S001"]
    after = _history(pull(url, name, tmp_path / "again"))
    assert {k: v for k, v in after.items() if k in before} == before
    added = sorted(set(after) - set(before))
    assert [k.split("/")[0] for k in added] == ["incidents"] * 2 + ["schools"] * 2
    sidecar = json.loads(after[next(k for k in added if k.startswith("incidents/") and
                                    k.endswith(".json"))])  # fmt: skip
    assert sidecar["partial"] is True and sidecar["author"] == "孙"
    copy = json.loads(after[next(k for k in added if k.endswith(".geojson") and
                                 k.startswith("incidents/"))])  # fmt: skip
    assert [f["properties"]["id"] for f in copy["features"]] == ["S001"]
    assert copy["features"][0]["properties"]["category"] == "theft"
