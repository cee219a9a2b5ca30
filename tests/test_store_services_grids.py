"""services.grids through the store: with GEOGRID_STORE set, grids are read, saved, listed and
undone in the database. Needs PostgreSQL + PostGIS (GEOGRID_TEST_DB); skips otherwise.
"""

from __future__ import annotations

import pytest
from store_db import area_copy, make_template


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory):
    return make_template(tmp_path_factory.mktemp("services") / "template")


def test_services_follow_geogrid_store(template, tmp_path, monkeypatch) -> None:
    """With GEOGRID_STORE set to the database, services.grids reads the area, edits, lists
    and undoes grid versions there (the folder named is only the area's name)."""
    from geogrid.services import grids as S

    store, name = area_copy(template, "postgis", tmp_path)
    monkeypatch.setenv("GEOGRID_STORE", store.url)
    nowhere = tmp_path / "nowhere" / name
    code = S.load_plan(nowhere).grids["code"].iloc[0]
    result = S.edit(nowhere, "worker", author="Li", codes=[code], worker="王")
    assert result.version is not None and result.version.id == 2
    assert store.list_versions(name)[1] == 2 and not nowhere.exists()
    assert S.undo(nowhere, "Li").id == 1
    assert S.validate(nowhere, require_worker=False) is not None
