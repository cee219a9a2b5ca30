"""geogrid.store.access: one area read and written the same way in a folder or the database.

Run on both backends (the PostGIS runs skip with the reason when GEOGRID_TEST_DB is unset).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from store_db import area_copy, db_url, make_template, unique_name

from geogrid.errors import InputError
from geogrid.io.workspace import Workspace
from geogrid.store.access import AreaAccess, missing_area, shown_store
from geogrid.store.base import StoredArea
from geogrid.store.folder import FolderStore

BACKENDS = ["folder", "postgis"]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template(tmp_path_factory.mktemp("access") / "template")


@pytest.fixture(params=BACKENDS)
def access(request: pytest.FixtureRequest, template: Path, tmp_path: Path) -> AreaAccess:
    store, name = area_copy(template, request.param, tmp_path)
    return AreaAccess.of(StoredArea(store, name))


def test_reads_and_writes_go_to_the_area_of_its_store(access: AreaAccess) -> None:
    """Manifest, area and layers read as the store has them; a written layer reads back, the
    version tag changes, and where it went is the file or the database's layer."""
    s, name = access.store, access.name
    assert access.in_database == (not isinstance(s, FolderStore))
    assert access.read_manifest() == s.read_manifest(name)
    assert len(access.read().grids) == len(s.read_area(name).grids)
    assert access.layer_names() == s.layer_names(name)
    grids = access.read_layer("grids", required=True)
    assert grids is not None
    tag = s.version_tag(name)
    with access.lock():
        places = grids.iloc[:2][["geometry"]].assign(id=["a", "b"], name="甲", kind="school")
        where = access.write_layer("key_places", places, author="li", message="two")
    assert "key_places" in str(where) and s.version_tag(name) != tag
    back = access.read_layer("key_places")
    assert back is not None and list(back["id"]) == ["a", "b"]
    assert "key_places" in access.layer_names()
    assert access.ref == (access.folder.path if access.folder else StoredArea(s, name))


def test_a_required_layer_missing_names_it(access: AreaAccess) -> None:
    """A required layer the area lacks is an InputError naming its file."""
    with pytest.raises(InputError, match=r"teams\.geojson"):
        access.read_layer("teams", required=True)
    assert access.read_layer("teams") is None


def test_an_area_missing_from_the_database_is_one_line(tmp_path: Path, monkeypatch) -> None:
    """With GEOGRID_STORE an area the database lacks is refused at once: one line naming the
    area and the database without its password, and how to put it there."""
    url = db_url()
    monkeypatch.setenv("GEOGRID_STORE", url)
    absent = unique_name("absent")
    with pytest.raises(InputError) as err:
        AreaAccess.of(tmp_path / absent)
    text = str(err.value)
    assert "\n" not in text and absent in text and "no such area" in text
    assert "127.0.0.1" in text and ":geogrid_test@" not in text
    assert "geogrid store push" in text and "area build" in text


def test_a_folder_is_the_workspace_as_before(tmp_path: Path, monkeypatch) -> None:
    """Without GEOGRID_STORE a path (or a Workspace) is its folder, read and written as
    before; a missing one says so as Workspace does."""
    monkeypatch.delenv("GEOGRID_STORE", raising=False)
    access = AreaAccess.of(tmp_path / "demo")
    assert access.folder is not None and access.folder.path == tmp_path / "demo"
    assert not access.in_database and access.where() == str(tmp_path / "demo")
    assert access.layer_where("grids") == str(Workspace(tmp_path / "demo").grids_path)
    given = Workspace(tmp_path / "demo")
    assert AreaAccess.of(given).folder is given
    with pytest.raises(InputError):
        access.read_manifest()


def test_shown_store_hides_the_password() -> None:
    """A database in a message is its URL without the password; a folder store its repr."""
    from geogrid.store.postgis import PostgisStore

    shown = shown_store(PostgisStore("postgresql://u:secret@127.0.0.1:1/db"))
    assert "secret" not in shown and "127.0.0.1:1/db" in shown
    assert "FolderStore" in shown_store(FolderStore("/tmp/x"))
    assert "no such area" in str(missing_area(FolderStore("/tmp/x"), "demo"))
