"""The store protocol: ONE conformance suite, run on both backends (folder and PostGIS).

Every test gets its own copy of a small synthetic area (tests/store_db.py) in
the backend of the parameter; the PostGIS runs skip with the reason when no
test database is there (GEOGRID_TEST_DB, set by scripts/test.sh).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from store_db import area_copy, make_template, unique_name

from geogrid.errors import ConflictError, InputError
from geogrid.store.base import (
    HEAD,
    PatrolLog,
    PlanDocument,
    StoredArea,
    UserRecord,
    area_store,
    command_area,
    folder_of,
    is_db_url,
    open_store,
    utc_time,
)
from geogrid.store.folder import FolderStore, covering_grid

BACKENDS = ["folder", "postgis"]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory):
    return make_template(tmp_path_factory.mktemp("store") / "template")


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, template, tmp_path):
    return area_copy(template, request.param, tmp_path)


def incidents_in(
    grids: gpd.GeoDataFrame, n: int = 12, start: str = "2024-01-20"
) -> gpd.GeoDataFrame:
    """N SYNTHETIC incidents at the centres of the grids, one every 10 days from ``start``."""
    points = [grids.geometry.iloc[i % len(grids)].representative_point() for i in range(n)]
    return gpd.GeoDataFrame(
        {
            "id": [f"S{i:03d}" for i in range(n)],
            "time": [
                pd.Timestamp(start, tz="Asia/Shanghai") + pd.Timedelta(days=10 * i)
                for i in range(n)
            ],
            "category": "theft",
            "synthetic": True,
        },
        geometry=points,
        crs="EPSG:4326",
    )


def test_area_reads_the_same_in_every_backend(store, template) -> None:
    """read_area gives the template's manifest and layers (same rows, codes, households)."""
    s, name = store
    area = s.read_area(name, with_network=True)
    ref = FolderStore(template.parent).read_area(template.name)
    assert area.manifest == ref.manifest
    assert list(area.grids["code"]) == list(ref.grids["code"])
    assert area.buildings["households"].tolist() == ref.buildings["households"].tolist()
    assert len(area.edges) == len(ref.edges) and area.nodes.index.name == "node_id"
    assert area.communities is not None and area.incidents is None
    assert shapely.equals_exact(
        area.boundary.geometry.iloc[0], ref.boundary.geometry.iloc[0], 1e-12
    )
    assert s.read_manifest(name) == ref.manifest and name in s.list_areas()


def test_layers_write_read_and_list(store) -> None:
    """A key-location layer written is listed and read back; a bad one is refused whole."""
    s, name = store
    grids = s.read_layer(name, "grids")
    schools = gpd.GeoDataFrame(
        {"id": ["s1", "s2"], "name": ["一小", "二小"], "kind": "school"},
        geometry=list(grids.geometry.iloc[:2].representative_point()),
        crs="EPSG:4326",
    )
    s.write_layer(name, "schools", schools, author="t", message="schools")
    assert s.layer_names(name) == ["schools"]
    back = s.read_layer(name, "schools")
    assert back["name"].tolist() == ["一小", "二小"]
    assert s.read_layer(name, "police") is None
    bad = schools.assign(name=[None, "x"])
    with pytest.raises(InputError):
        s.write_layer(name, "schools", bad.set_geometry([None, None]), author="t", message="bad")
    assert s.read_layer(name, "schools")["name"].tolist() == ["一小", "二小"]


def test_a_replaced_layer_is_kept_in_the_history(store) -> None:
    """Each write that replaces a layer keeps who replaced it, when and why, oldest first; the
    first write of a layer replaces nothing."""
    s, name = store
    grids = s.read_layer(name, "grids")
    schools = gpd.GeoDataFrame(
        {"id": ["s1"], "name": ["一小"], "kind": "school"},
        geometry=[grids.geometry.iloc[0].representative_point()],
        crs="EPSG:4326",
    )
    s.write_layer(name, "schools", schools, author="li", message="first")
    assert s.layer_history(name, "schools") == []
    s.write_layer(name, "schools", schools.assign(name="二小"), author="wang", message="renamed")
    s.write_layer(name, "schools", schools, author="li", message="back")
    history = s.layer_history(name, "schools")
    assert [(h["author"], h["message"]) for h in history] == [("wang", "renamed"), ("li", "back")]
    assert all(h["layer"] == "schools" and h["replaced_at"].endswith("Z") for h in history)
    assert s.layer_history(name, "police") == []


def test_write_layers_is_all_or_nothing(store) -> None:
    """Several layers and the manifest written at once; one layer breaking its spec writes
    none of them and leaves the version tag."""
    s, name = store
    grids = s.read_layer(name, "grids")
    point = grids.geometry.iloc[0].representative_point()
    schools = gpd.GeoDataFrame(
        {"id": ["s1"], "name": ["一小"], "kind": "school"}, geometry=[point], crs="EPSG:4326"
    )
    police = schools.assign(id=["p1"], name=["派出所"], kind="police")
    manifest = {**s.read_manifest(name), "description": "written with its layers"}
    s.write_layers(name, {"schools": schools, "police": police}, author="t", message="two",
                   manifest=manifest)  # fmt: skip
    assert s.layer_names(name) == ["police", "schools"]
    assert s.read_manifest(name)["description"] == "written with its layers"
    tag = s.version_tag(name)
    bad = police.assign(name=[None]).set_geometry([None])
    with pytest.raises(InputError):
        s.write_layers(
            name,
            {"schools": schools.assign(name="三小"), "police": bad},
            author="t",
            message="bad",
            manifest={**manifest, "description": "x"},
        )
    assert s.read_layer(name, "schools")["name"].tolist() == ["一小"]
    assert s.read_manifest(name)["description"] == "written with its layers"
    assert s.version_tag(name) == tag


def test_save_version_records_author_message_parent(store) -> None:
    """A save becomes current, made from the previous head, with author, message and meta."""
    s, name = store
    saved, head = s.list_versions(name)
    assert head == 1 and [v.id for v in saved] == [1]
    version, grids, units = s.load_version(name)
    assert units is not None and set(units["grid"]) == set(grids["code"])
    grids.loc[grids.index[0], "name"] = "改名"
    new = s.save_version(
        name, grids, units, author="Wang Li", message="rename", meta={"k": 1}, parent=version.id
    )
    assert (new.id, new.parent, new.author, new.message, new.meta) == (
        2,
        1,
        "Wang Li",
        "rename",
        {"k": 1},
    )
    assert s.list_versions(name)[1] == 2
    _, back, back_units = s.load_version(name)
    assert back["name"].iloc[0] == "改名" and list(back["code"]) == list(grids["code"])
    assert back_units.index.equals(units.index)
    assert s.read_area(name, with_network=False).grids["name"].iloc[0] == "改名"
    assert s.load_version(name, 1)[1]["code"].tolist() == grids["code"].tolist()


def test_stale_parent_is_a_conflict_and_saves_nothing(store) -> None:
    """Saving from a version that is no longer current raises ConflictError naming who saved."""
    s, name = store
    v1, grids, units = s.load_version(name)
    s.save_version(name, grids, units, author="Li", message="first", parent=v1.id)
    with pytest.raises(ConflictError, match="Li saved v0002"):
        s.save_version(name, grids, units, author="Zhao", message="second", parent=v1.id)
    assert [v.id for v in s.list_versions(name)[0]] == [1, 2]
    assert s.save_version(name, grids, None, author="Zhao", message="on top", parent=HEAD).id == 3


def test_undo_goes_back_and_keeps_history(store) -> None:
    """Undo makes the parent current, keeps every version, and refuses a stale parent."""
    s, name = store
    _v1, grids, units = s.load_version(name)
    changed = grids.assign(worker="张三")
    s.save_version(name, changed, units, author="Li", message="workers", parent=1)
    with pytest.raises(ConflictError):
        s.undo(name, "Zhao", parent=1)
    back = s.undo(name, "Zhao", parent=2)
    assert back.id == 1 and s.list_versions(name)[1] == 1
    assert [v.id for v in s.list_versions(name)[0]] == [1, 2]
    assert (
        "worker" not in s.read_layer(name, "grids").columns
        or s.read_layer(name, "grids")["worker"].isna().all()
    )
    with pytest.raises(InputError, match="nothing to undo"):
        s.undo(name, "Zhao")
    assert [(u["version"], u["author"]) for u in s.list_undos(name)] == [(2, "Zhao")]


def test_version_tag_changes_with_every_write_and_only_then(store) -> None:
    """The version tag stays while the area is only read, and changes with a grid save, an
    undo, a layer write, new incidents, a plan and a patrol log (what the web's area cache
    relies on)."""
    s, name = store
    tags = [s.version_tag(name)]
    s.read_area(name)
    s.list_versions(name)
    assert s.version_tag(name) == tags[-1]
    _v1, grids, units = s.load_version(name)

    def wrote(what: str) -> None:
        tag = s.version_tag(name)
        assert tag not in tags, f"{what} did not change the version tag"
        tags.append(tag)

    s.save_version(name, grids.assign(worker="张三"), units, author="Li", message="w", parent=1)
    wrote("a grid save")
    s.undo(name, "Zhao", parent=2)
    wrote("an undo")
    schools = gpd.GeoDataFrame(
        {"id": ["s1"], "name": ["一小"], "kind": "school"},
        geometry=list(grids.geometry.iloc[:1].representative_point()),
        crs="EPSG:4326",
    )
    s.write_layer(name, "schools", schools, author="t", message="schools")
    wrote("a layer write")
    s.add_incidents(name, incidents_in(grids, n=3), author="t")
    wrote("new incidents")
    if not isinstance(s, FolderStore):  # the folder's tag covers its layers and grid
        # versions; its pages read plans and logs from their own files
        s.save_plan(name, PlanDocument(day="2024-06-01", summary={}, geojson={}))
        wrote("a plan")
        s.add_patrol_log(name, PatrolLog("2024-06-01", "team-1", ("a",), 3, 2, 1.5, 2.0))
        wrote("a patrol log")
    assert s.version_tag(name) == tags[-1]


def test_incidents_get_their_grid_and_follow_new_grids(store) -> None:
    """Incidents are added once by id, each with the current grid covering it, re-assigned
    when a new grid version is saved; the time window selects by time."""
    s, name = store
    _, grids, units = s.load_version(name)
    incidents = incidents_in(grids)
    assert s.add_incidents(name, incidents, author="t") == (12, 12)
    assert s.add_incidents(name, incidents.iloc[:3], author="t") == (0, 12)
    read = s.read_incidents(name)
    assert read["id"].tolist() == incidents["id"].tolist()
    assert read["grid"].tolist() == covering_grid(read, grids)
    assert read["grid"].notna().all()
    renamed = grids.assign(code=[f"N{i:03d}" for i in range(len(grids))])
    renamed_units = units.assign(
        grid=units["grid"].map(dict(zip(grids["code"], renamed["code"], strict=True)))
    )
    s.save_version(name, renamed, renamed_units, author="t", message="recode", parent=1)
    assert s.read_incidents(name)["grid"].str.startswith("N").all()
    window = s.read_incidents(name, start="2024-02-01", end="2024-03-01T00:00:00+08:00")
    times = pd.to_datetime(window["time"], format="ISO8601", utc=True)
    assert len(window) == 3 and (times >= utc_time("2024-02-01")).all()
    assert (
        s.read_area(name, with_network=False).incidents["id"].tolist() == incidents["id"].tolist()
    )


def test_teams_are_a_layer(store) -> None:
    """Teams are written and read back like any layer (id, mode, base point)."""
    s, name = store
    grids = s.read_layer(name, "grids")
    teams = gpd.GeoDataFrame(
        {"id": ["T1", "T2"], "mode": ["walk", "bike"], "name": ["一队", "二队"]},
        geometry=list(grids.geometry.iloc[:2].representative_point()),
        crs="EPSG:4326",
    )
    s.write_layer(name, "teams", teams, author="t", message="teams")
    assert s.read_layer(name, "teams")["id"].tolist() == ["T1", "T2"]
    assert s.read_area(name, with_network=False).teams["mode"].tolist() == ["walk", "bike"]


def test_plans_logs_and_users(store) -> None:
    """Plans (per day), the patrol log (in order, by date) and user accounts come back as saved."""
    s, name = store
    plan = PlanDocument(
        day="2024-06-01",
        summary={"teams": 2, "名": "早班"},
        geojson={"type": "FeatureCollection", "features": []},
    )
    s.save_plan(name, plan)
    s.save_plan(
        name,
        PlanDocument(
            day=None, summary={"cli": True}, geojson={"type": "FeatureCollection", "features": []}
        ),
    )
    assert s.plan_days(name) == ["2024-06-01"]
    assert s.read_plan(name, "2024-06-01") == plan
    assert s.read_plan(name).summary == {"cli": True} and s.read_plan(name, "2024-06-02") is None
    logs = [
        PatrolLog("2024-06-01", "T1", ("王", "李"), 8, 7, 5.5, 2.0),
        PatrolLog("2024-06-02", "=T2", (), 6, 6, 3.25, 1.5),
    ]
    for log in logs:
        s.add_patrol_log(name, log)
    assert s.patrol_logs(name) == logs
    assert s.patrol_logs(name, start="2024-06-02") == logs[1:]
    user = UserRecord(
        unique_name("u"), "planner", "scrypt:x", team="T1", created="2024-06-01T00:00:00+00:00"
    )
    s.put_user(user)
    s.put_user(UserRecord(user.username, "admin", "scrypt:y", session_gen=2))
    got = s.get_user(user.username)
    assert got is not None and (got.role, got.password_hash, got.session_gen) == (
        "admin",
        "scrypt:y",
        2,
    )
    assert (
        user.username in [u.username for u in s.list_users()]
        and s.get_user("nobody-at-all") is None
    )


def test_plan_files(store) -> None:
    """A file of a shift's plan (a PDF, a track) comes back byte for byte, is replaced,
    removed with None, and a name with a folder in it is refused."""
    s, name = store
    assert s.read_plan_file(name, "2024-06-01", "T1.pdf") is None
    s.save_plan_file(name, "2024-06-01", "T1.pdf", b"%PDF-1 \x00\xff")
    before = s.version_tag(name)
    s.save_plan_file(name, "2024-06-01", "T1.pdf", b"%PDF-2")
    assert s.read_plan_file(name, "2024-06-01", "T1.pdf") == b"%PDF-2"
    assert isinstance(s, FolderStore) or s.version_tag(name) != before
    assert s.read_plan_file(name, "2024-06-02", "T1.pdf") is None
    s.save_plan_file(name, "2024-06-01", "T1.pdf", None)
    assert s.read_plan_file(name, "2024-06-01", "T1.pdf") is None
    if isinstance(s, FolderStore):
        with pytest.raises(InputError, match="not a path"):
            s.save_plan_file(name, "2024-06-01", "../x.pdf", b"x")


def test_update_plan_merges_under_the_lock(store) -> None:
    """update_plan hands the day's plan (None at first) to the change and stores its answer."""
    s, name = store

    def add(team: str):
        def change(old: PlanDocument | None) -> PlanDocument:
            teams = [] if old is None else old.summary["teams"]
            return PlanDocument("2024-06-03", {"teams": [*teams, team]}, {"features": []})

        return change

    s.update_plan(name, "2024-06-03", add("T1"))
    assert s.update_plan(name, "2024-06-03", add("T2")).summary == {"teams": ["T1", "T2"]}
    assert s.read_plan(name, "2024-06-03").summary == {"teams": ["T1", "T2"]}


def test_area_files(store) -> None:
    """A document of the area (the staff roster...) is changed under the lock, listed by
    folder, removed with None; a path out of the area is refused."""
    s, name = store
    assert s.read_area_file(name, "staff/roster.json") is None
    assert s.update_area_file(name, "staff/roster.json", lambda old: b"{}") == (None, b"{}")
    old, new = s.update_area_file(name, "staff/roster.json", lambda old: (old or b"") + b"\n")
    assert (old, new) == (b"{}", b"{}\n") and s.read_area_file(name, "staff/roster.json") == new
    s.update_area_file(name, "staff/history/a.json", lambda old: b"1")
    assert s.area_file_names(name, "staff/history") == ["staff/history/a.json"]
    assert s.area_file_names(name, "staff") == ["staff/roster.json"]
    s.update_area_file(name, "staff/history/a.json", lambda old: None)
    assert s.area_file_names(name, "staff/history") == []
    if isinstance(s, FolderStore):
        with pytest.raises(InputError, match="inside the area"):
            s.read_area_file(name, "../elsewhere.json")


def test_unknown_area_is_a_clear_error(store) -> None:
    """An area the store does not have is an InputError that says what to do."""
    s, _ = store
    with pytest.raises(InputError):
        s.read_area(unique_name("missing"))


def test_open_store_and_area_store(tmp_path, monkeypatch) -> None:
    """open_store picks the backend from the URL; area_store follows GEOGRID_STORE."""
    assert is_db_url("postgresql://x@h/db") and is_db_url("postgresql+psycopg://h/db")
    assert not is_db_url(tmp_path)
    assert isinstance(open_store(tmp_path), FolderStore)
    monkeypatch.delenv("GEOGRID_STORE", raising=False)
    store, name = area_store(tmp_path / "haidian")
    assert isinstance(store, FolderStore) and store.root == tmp_path and name == "haidian"
    assert folder_of("haidian")[1] == "haidian"
    monkeypatch.setenv("GEOGRID_STORE", "postgresql://nobody@127.0.0.1:1/none")
    store, name = area_store(tmp_path / "haidian")
    assert type(store).__name__ == "PostgisStore" and name == "haidian"
    assert "nobody" in repr(store) and "password" not in repr(store)


def test_command_area_follows_geogrid_store(tmp_path, monkeypatch) -> None:
    """An AREA argument is the folder, or with GEOGRID_STORE the database's area of its name."""
    monkeypatch.delenv("GEOGRID_STORE", raising=False)
    assert command_area(tmp_path / "demo") == tmp_path / "demo"
    monkeypatch.setenv("GEOGRID_STORE", "postgresql://nobody@127.0.0.1:1/none")
    found = command_area("data/geo/demo/")
    assert isinstance(found, StoredArea) and found.name == "demo"
    assert type(found.store).__name__ == "PostgisStore"


def _schools(s, name: str, label: str = "一小") -> gpd.GeoDataFrame:
    grids = s.read_layer(name, "grids")
    return gpd.GeoDataFrame(
        {"id": ["s1"], "name": [label], "kind": "school"},
        geometry=[grids.geometry.iloc[0].representative_point()],
        crs="EPSG:4326",
    )


def test_a_layer_write_from_a_stale_revision_is_a_conflict(store) -> None:
    """Each write of a layer moves its revision on by one; a write stating a revision that is
    no longer current is a ConflictError naming who wrote it, when and why, and saves
    nothing (write_layers: none of its layers)."""
    s, name = store
    assert s.layer_revision(name, "schools") == 0
    s.write_layer(name, "schools", _schools(s, name), author="li", message="first", expected=0)
    assert s.layer_revision(name, "schools") == 1
    s.write_layer(name, "schools", _schools(s, name, "二小"), author="wang", message="renamed",
                  expected=1)  # fmt: skip
    assert s.layer_revision(name, "schools") == 2
    tag = s.version_tag(name)
    with pytest.raises(ConflictError, match=r"schools changed .*revision 1, now 2.*wang.*renamed"):
        s.write_layer(name, "schools", _schools(s, name, "三小"), author="li", message="stale",
                      expected=1)  # fmt: skip
    with pytest.raises(ConflictError, match="schools"):
        s.write_layers(
            name,
            {"police": _schools(s, name, "派出所"), "schools": _schools(s, name, "三小")},
            author="li",
            message="stale",
            expected={"police": 0, "schools": 1},
        )
    assert s.read_layer(name, "schools")["name"].tolist() == ["二小"]
    assert s.read_layer(name, "police") is None and s.version_tag(name) == tag
    s.write_layer(name, "police", _schools(s, name), author="li", message="new", expected=0)
    with pytest.raises(ConflictError, match="another write made it"):
        s.write_layer(name, "police", _schools(s, name), author="li", message="new", expected=0)
    assert s.layer_revision(name, "police") == 1


def test_update_incidents_adds_and_corrects_in_place(store) -> None:
    """update_incidents appends new records and replaces corrected ones where they stand
    (grid assigned to them), one write of the layer: its revision goes up by one and the
    history keeps the replaced records (a folder the whole file, the database only the
    corrected ones); a stale revision saves nothing."""
    from geogrid.incidents import incidents_to_layer

    s, name = store
    _, grids, _ = s.load_version(name)
    layer = incidents_to_layer(incidents_in(grids, n=6))
    assert s.incidents_with_ids(name, ["S000"]) is None and s.count_incidents(name) == 0
    assert s.update_incidents(name, layer, layer.iloc[:0], author="t", message="six",
                              expected=0) == 6  # fmt: skip
    moved = grids.geometry.iloc[5].representative_point()
    fixed = layer.iloc[[1, 3]].copy()
    fixed["category"] = "fraud"
    fixed = fixed.set_geometry([moved, moved], crs="EPSG:4326")
    extra = incidents_to_layer(incidents_in(grids, n=8)).iloc[6:]
    total = s.update_incidents(name, extra, fixed, author="wang", message="fix", expected=1)
    assert total == 8 == s.count_incidents(name) and s.layer_revision(name, "incidents") == 2
    read = s.read_incidents(name)
    assert read["id"].tolist() == [f"S{i:03d}" for i in range(8)]
    assert read["category"].tolist() == ["theft", "fraud", "theft", "fraud"] + ["theft"] * 4
    assert read["grid"].tolist() == covering_grid(read, grids)
    assert read["grid"].iloc[1] == read["grid"].iloc[3]
    history = s.layer_history(name, "incidents")
    assert [(h["author"], h["message"]) for h in history] == [("wang", "fix")]
    assert s.incidents_with_ids(name, ["S003", "S007", "nope"])["id"].tolist() == ["S003", "S007"]
    with pytest.raises(ConflictError, match=r"incidents changed .*wang"):
        s.update_incidents(name, extra.iloc[:0], layer.iloc[[0]], author="li", message="stale",
                           expected=1)  # fmt: skip
    assert s.read_incidents(name)["category"].tolist() == read["category"].tolist()


def test_adding_incidents_is_a_write_of_the_layer(store) -> None:
    """add_incidents that adds records moves the layer's revision on and is in its history
    as into a folder (the first one makes the layer and replaces nothing)."""
    s, name = store
    _, grids, _ = s.load_version(name)
    incidents = incidents_in(grids, n=8)
    s.add_incidents(name, incidents.iloc[:5], author="li")
    s.add_incidents(name, incidents, author="wang")
    s.add_incidents(name, incidents, author="zhao")  # nothing new: no write
    assert s.layer_revision(name, "incidents") == 2
    history = s.layer_history(name, "incidents")
    assert [(h["author"], h["message"]) for h in history] == [("wang", "import: 3 incidents added")]
