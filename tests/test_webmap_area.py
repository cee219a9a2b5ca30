"""webmap.area: the one area cache of an app, keyed by the area's version tag.

A folder area is read once while it does not change, whatever the page or
API route; any write of the area (a grid save from the CLI or the planner)
is seen at the next request.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from geogrid.io import workspace
from geogrid.services import grids as S
from geogrid.store.folder import FolderStore
from tests.grids_area import make_area
from webmap import create_app
from webmap.area import area_cache

ROUTES = [
    "/api/area",
    "/api/boundary.geojson",
    "/api/streets.geojson",
    "/api/places.geojson",
    "/api/aggregates/months",
    "/",
]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    area = make_area(tmp_path / "area")
    S.generate(area, seed=0, author="setup", restarts=1)
    return area


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every read of an area folder by the app (through its folder store)."""
    calls: list[str] = []
    real = FolderStore.read_area

    def counting(self, name, **kwargs):
        calls.append(str(self.root / name))
        return real(self, name, **kwargs)

    monkeypatch.setattr(FolderStore, "read_area", counting)
    return calls


def _app(folder: Path) -> Flask:
    return create_app({"AREA_PATH": str(folder), "TESTING": True, "SECRET_KEY": "test"})


def test_an_unchanged_area_is_read_once_for_every_route(folder: Path, reads: list[str]) -> None:
    """Many requests on many routes read the folder once; the statistics are built once."""
    app = _app(folder)
    client = app.test_client()
    for _ in range(2):
        for route in ROUTES:
            assert client.get(route).status_code == 200, route
    assert reads == [str(folder)] and area_cache(app).reads == 1


def test_a_saved_grid_version_is_seen_on_the_next_request(folder: Path, reads: list[str]) -> None:
    """A grid edit saved outside the app (the CLI) shows at once; derived answers are rebuilt."""
    app = _app(folder)
    client = app.test_client()
    before = client.get("/api/area").get_json()["counts"]["grids"]
    places = len(client.get("/api/places.geojson").get_json()["features"])
    biggest = S.load_plan(folder).grids.sort_values("units")["code"].iloc[-1]
    S.edit(folder, "split", author="李明", codes=[biggest])
    assert client.get("/api/area").get_json()["counts"]["grids"] == before + 1
    assert len(client.get("/api/places.geojson").get_json()["features"]) == places + 1
    assert area_cache(app).reads == 2  # (the edit itself read the area once more)
    n = len(reads)
    client.get("/api/area")
    assert len(reads) == n and area_cache(app).reads == 2


def test_the_version_tag_changes_with_writes_only(folder: Path) -> None:
    """Reading leaves the tag alone; saving a grid version changes it."""
    ws = workspace.Workspace(folder)
    tag = ws.version_tag()
    ws.read()
    assert ws.version_tag() == tag
    S.edit(folder, "lock", author="王芳", codes=[S.load_plan(folder).grids["code"].iloc[0]])
    assert ws.version_tag() != tag


def test_a_configured_area_is_served_as_it_is(folder: Path, reads: list[str]) -> None:
    """AREA in the config (tests) wins over AREA_PATH and is never read from disk."""
    area = workspace.Workspace(folder).read()
    reads.clear()
    app = create_app({"AREA": area, "AREA_PATH": "nowhere", "TESTING": True})
    assert app.test_client().get("/api/area").get_json()["name"] == area.name
    assert reads == []


def test_the_store_comes_from_the_config_or_geogrid_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No setting: the AREA_PATH folder. GEOGRID_STORE (a database URL) or STORE: that store,
    the area named AREA_NAME or after the folder; a GEOGRID_STORE that is no URL is ignored,
    as the CLI ignores it. Nothing connects to the database until a request needs it."""
    from geogrid.store.postgis import PostgisStore
    from webmap.area import area_ref, in_database

    url = "postgresql://nobody@127.0.0.1:1/none"
    monkeypatch.delenv("GEOGRID_STORE", raising=False)
    app = create_app({"AREA_PATH": str(tmp_path / "haidian"), "TESTING": True})
    where = area_ref(app)
    assert isinstance(where.store, FolderStore) and where.store.root == tmp_path
    assert where.name == "haidian" and not in_database(app)
    monkeypatch.setenv("GEOGRID_STORE", "/not/a/url")
    assert isinstance(area_ref(app).store, FolderStore)
    monkeypatch.setenv("GEOGRID_STORE", url)
    where = area_ref(app)
    assert isinstance(where.store, PostgisStore) and where.name == "haidian" and in_database(app)
    app.config["AREA_NAME"] = "haidian-2026"
    assert area_ref(app).name == "haidian-2026"
    app.config["STORE"] = str(tmp_path / "areas")
    where = area_ref(app)
    assert isinstance(where.store, FolderStore) and where.store.root == tmp_path / "areas"
    assert where.name == "haidian-2026" and not in_database(app)
