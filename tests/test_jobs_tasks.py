"""geogrid.jobs.tasks: task functions of plain data, registered by name; the patrol plan task
on a tiny area, in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jobs_area import TEAMS, make_patrol_area

from geogrid.errors import InputError
from geogrid.jobs import tasks as T


def test_registry_names_only_task_functions() -> None:
    """Every registered task is found by name; closures and other functions have none."""
    assert {
        "patrol.plan_shift",
        "rota.plan_week",
        "grids.rebalance",
        "incidents.import",
        "probe",
    } <= set(T.TASKS)
    for name, fn in T.TASKS.items():
        assert T.task_name(fn) == name
    assert T.task_name(lambda progress: None) is None and T.task_name(json.dumps) is None


@pytest.mark.parametrize(
    ("teams", "per_part", "groups"),
    [
        (["c", "a", "b"], 1, [["a"], ["b"], ["c"]]),
        (["a", "b", "c", "a"], 2, [["a", "b"], ["c"]]),
        (["a"], 5, [["a"]]),
    ],
)
def test_team_groups(teams: list[str], per_part: int, groups: list[list[str]]) -> None:
    """Teams split into sorted parts of at most per_part, each team once."""
    assert T.team_groups(teams, per_part) == groups


def test_team_groups_refuse_empty_parts() -> None:
    with pytest.raises(InputError, match="at least 1"):
        T.team_groups(["a"], 0)


def test_plan_shift_task_writes_files_and_returns_a_small_result(tmp_path: Path) -> None:
    """The task plans one team from plain data, reports progress up to 1, and returns paths
    and a summary that JSON carries."""
    folder, config = make_patrol_area(tmp_path / "area")
    seen: list[tuple[float, str]] = []
    result = T.plan_shift(
        lambda f, m: seen.append((f, m)), str(folder), "2026-05-01", str(config), 1.0, ["team-b"]
    )
    assert json.loads(json.dumps(result)) == result
    assert result["teams"] == ["team-b"] and result["visited"] > 0
    assert {Path(p).name for p in result["files"]} == {
        "team-b.pdf",
        "team-b.gpx",
        "plan.json",
        "plan.geojson",
    }
    assert seen[0][1].startswith("reading") and seen[-1] == (1.0, "plan ready")
    assert "team-a" not in json.dumps(result) and TEAMS[1] == "team-b"


def test_probe_fails_as_asked() -> None:
    """The probe ends with the given message, or an internal error."""
    assert T.probe(lambda f, m: None, 2, 0.0) == {"steps": 2}
    with pytest.raises(InputError, match="locked"):
        T.probe(lambda f, m: None, 1, 0.0, "grid locked")
    with pytest.raises(RuntimeError):
        T.probe(lambda f, m: None, 1, 0.0, "", True)


def test_plan_shift_task_on_an_area_in_the_database(tmp_path: Path) -> None:
    """Given a store URL, the task plans the area of that name in the database: the plan goes
    to the store (no folder is written), each team's route sheet is a file of the plan, and
    two team parts planned one after the other both stay in the day's plan."""
    from store_db import db_url, unique_name

    from geogrid.store.folder import FolderStore
    from geogrid.store.postgis import PostgisStore
    from geogrid.store.transfer import copy_area

    folder, config = make_patrol_area(tmp_path / "area")
    url, name = db_url(), unique_name("jobs")
    store = PostgisStore(url)
    copy_area(FolderStore(folder.parent), folder.name, store, name)
    day = "2026-05-01"
    for part in (["team-a"], ["team-b"]):
        result = T.plan_shift(lambda f, m: None, name, day, str(config), 1.0, part, url)
        assert json.loads(json.dumps(result)) == result
        assert result["files"] == [f"{part[0]}.pdf"]
    plan = store.read_plan(name, day)
    assert plan is not None and plan.summary["planned_teams"] == ["team-b"]
    teams = {f["properties"]["team"] for f in plan.geojson["features"]}
    assert teams == {"team-a", "team-b"}
    assert (store.read_plan_file(name, day, "team-a.pdf") or b"").startswith(b"%PDF")
    assert not (folder / "plans" / "web" / day).exists()


def test_a_celery_worker_plans_a_group_in_the_database(tmp_path: Path) -> None:
    """On a real Celery worker (redis-server and celery; skips saying why without them): the
    web's group of team parts, each given the area's name and the store URL, all land in the
    day's plan in PostGIS; nothing is written to a folder."""
    from jobs_worker import Worker, new_queue, redis_url
    from store_db import db_url, unique_name

    from geogrid.jobs.celery import CeleryRunner
    from geogrid.store.folder import FolderStore
    from geogrid.store.postgis import PostgisStore
    from geogrid.store.transfer import copy_area

    url, name = db_url(), unique_name("celery")
    broker, queue = redis_url(), new_queue()
    folder, config = make_patrol_area(tmp_path / "area")
    store = PostgisStore(url)
    copy_area(FolderStore(folder.parent), folder.name, store, name)
    day = "2026-05-02"
    worker = Worker(broker, queue, tmp_path)
    try:
        runner = CeleryRunner(broker, queue=queue)
        parts = [(name, day, str(config), 1.0, group, url) for group in T.team_groups(TEAMS, 2)]
        job = runner.submit_group("patrol", "wang", T.plan_shift, parts)
        done = runner.wait(job.id, 240)
    finally:
        worker.stop()
    assert done.state == "done", done.error
    plan = store.read_plan(name, day)
    assert plan is not None
    assert {f["properties"]["team"] for f in plan.geojson["features"]} == set(TEAMS)
    assert not (folder / "plans" / "web").exists()
