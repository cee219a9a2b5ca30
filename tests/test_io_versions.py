"""geogrid.io.versions: saved grid versions with author/time/message, undo, units, tables."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from geogrid import grids as G
from geogrid.errors import InputError
from geogrid.io import versions
from tests.grids_area import UTM_50N, make_area, units_frame


@pytest.fixture
def area(tmp_path: Path) -> Path:
    """A synthetic area workspace."""
    return make_area(tmp_path / "area")


def _plan(households: int = 400) -> G.GridPlan:
    return G.build_grids(units_frame([(0, 0, households), (1, 0, 400)]), UTM_50N, seed=0)


def test_save_list_load_and_undo(area: Path) -> None:
    """Two saves make v1 -> v2; undo makes v1 current again and rewrites grids.geojson."""
    first = versions.save_version(
        area, _plan().grids, _plan().units, author="王芳", message="first"
    )
    second_plan = G.merge_grids(_plan(), list(_plan().grids["code"]))
    second = versions.save_version(
        area, second_plan.grids, second_plan.units, author="李明", message="merge"
    )
    saved, head = versions.list_versions(area)
    assert [v.id for v in saved] == [1, 2] and head == 2 and second.parent == first.id
    assert saved[1].author == "李明" and saved[1].time.endswith("Z")
    _, grids, units = versions.load_version(area)
    assert len(grids) == 1 and units is not None and len(units) == 2
    back = versions.undo(area, "王芳")
    assert back.id == 1
    live = json.loads((area / "grids.geojson").read_text(encoding="utf-8"))
    assert len(live["features"]) == 2
    sidecars = sorted((area / "history" / "grids").glob("*.json"))
    assert any("undo v0002" in (json.loads(p.read_text())["message"] or "") for p in sidecars)
    with pytest.raises(InputError, match="nothing to undo"):
        versions.undo(area, "王芳")


def test_no_versions_says_how_to_make_one(area: Path) -> None:
    """Loading before any save names the command that generates grids."""
    with pytest.raises(InputError, match="geogrid grids build"):
        versions.load_version(area)


def test_author_is_required(area: Path) -> None:
    """A save without an author is refused."""
    with pytest.raises(InputError, match="author"):
        versions.save_version(area, _plan().grids, None, author=" ", message="x")


def test_units_round_trip(tmp_path: Path) -> None:
    """Units written and read back keep ids, grid codes, households and locks."""
    plan = _plan()
    path = tmp_path / "units.geojson"
    versions.write_units(plan.units, path)
    back = versions.read_units(path)
    assert list(back.index) == list(plan.units.index)
    assert list(back["grid"]) == list(plan.units["grid"])
    assert list(back["households"]) == list(plan.units["households"])


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("name,households\na,3\n", "needs a header with id"),
        ("id,households\na,-1\nb,x\n", "row 2"),
    ],
)
def test_household_table_errors(tmp_path: Path, text: str, fragment: str) -> None:
    """Bad household tables name the problem and the row."""
    path = tmp_path / "hh.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=fragment):
        versions.read_household_table(path)


def test_household_table_accepts_building_id_and_bom(tmp_path: Path) -> None:
    """building_id is read as id; a UTF-8 BOM is fine."""
    path = tmp_path / "hh.csv"
    path.write_bytes("\ufeffbuilding_id,households,population\nway/1,12,30\n".encode())
    table = versions.read_household_table(path)
    assert table.loc[0, "id"] == "way/1" and table.loc[0, "households"] == 12


def test_write_report_csv_and_json(tmp_path: Path) -> None:
    """The report is written as CSV with a header and as a JSON list of records."""
    report = pd.DataFrame({"code": ["a"], "households": [3], "worker": [None]})
    versions.write_report(report, tmp_path / "r.csv", tmp_path / "r.json")
    assert (tmp_path / "r.csv").read_text().splitlines()[0] == "code,households,worker"
    assert json.loads((tmp_path / "r.json").read_text()) == [
        {"code": "a", "households": 3, "worker": None}
    ]


def test_save_killed_after_the_index_is_repaired_by_sync_live(area: Path, monkeypatch):
    """A save cut short after the version is recorded leaves no stale live grids behind."""
    from geogrid.services.grids import repair_interrupted_save

    versions.save_version(area, _plan().grids, _plan().units, author="王芳", message="first")
    live_before = (area / "grids.geojson").read_bytes()
    merged = G.merge_grids(_plan(), list(_plan().grids["code"]))

    def killed(*args, **kwargs):
        raise OSError("server killed mid-save")

    monkeypatch.setattr(versions, "_write_live", killed)
    with pytest.raises(OSError):
        versions.save_version(area, merged.grids, merged.units, author="李明", message="merge")
    monkeypatch.undo()
    assert (area / "grids.geojson").read_bytes() == live_before  # stale, not half-written
    assert versions.sync_live(area) is True
    head = versions.list_versions(area)[1]
    saved = (area / "grid_versions" / f"v{head:04d}" / "grids.geojson").read_bytes()
    assert (area / "grids.geojson").read_bytes() == saved
    assert versions.sync_live(area) is False
    assert repair_interrupted_save(area) is False  # idempotent


def _save_many(folder: str, author: str, n: int, grids, units) -> None:
    for i in range(n):
        versions.save_version(folder, grids, units, author=author, message=f"{author} {i}")


def test_saves_from_threads_and_processes_never_share_a_version(area: Path) -> None:
    """A CLI edit and web saves at once (two processes, two threads) get distinct, consecutive
    version ids; each is made from the one before; nothing is lost; the live file is the head."""
    import multiprocessing
    import threading

    plan = _plan()
    ctx = multiprocessing.get_context("fork")
    procs = [
        ctx.Process(target=_save_many, args=(str(area), f"cli{n}", 3, plan.grids, plan.units))
        for n in range(2)
    ]
    for p in procs:
        p.start()
    threads = [
        threading.Thread(target=_save_many, args=(area, f"web{n}", 3, plan.grids, plan.units))
        for n in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    saved, head = versions.list_versions(area)
    assert [v.id for v in saved] == list(range(1, 13)) and head == 12
    assert [v.parent for v in saved] == [None, *range(1, 12)]
    assert sorted(v.message for v in saved) == sorted(
        f"{who}{n} {i}" for who in ("cli", "web") for n in range(2) for i in range(3)
    )
    assert all((area / "grid_versions" / v.folder / "grids.geojson").exists() for v in saved)
    assert (area / "grids.geojson").read_bytes() == (
        area / "grid_versions" / "v0012" / "grids.geojson"
    ).read_bytes()


def test_save_takes_the_area_lock(area: Path) -> None:
    """While another thread holds the area lock, a save waits for it."""
    import threading
    import time

    from geogrid.io.workspace import Workspace

    done: list[int] = []

    def save() -> None:
        done.append(versions.save_version(area, _plan().grids, None, author="王芳", message="x").id)

    with Workspace(area).lock():
        thread = threading.Thread(target=save)
        thread.start()
        time.sleep(0.5)
        assert done == [] and versions.list_versions(area)[1] is None
    thread.join()
    assert done == [1]
