"""From the demo area and a TOML config to checked plans, files and coverage figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from geogrid.errors import InputError
from geogrid.io.workspace import read_area
from geogrid.planning.config import PatrolConfig
from geogrid.planning.plan import check_plan
from geogrid.services.demo import build_demo
from geogrid.services.patrol import (
    area_hotspots,
    area_stops,
    coverage_report,
    plan_area,
    read_patrol_config,
    site_posts,
)

DATA = Path(__file__).parent / "data" / "patrol"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "helsinki-demo"
    build_demo(out)
    return out


def test_plan_area_writes_checked_plan(demo: Path, tmp_path: Path) -> None:
    """Three teams get routes that pass check_plan; GeoJSON, GPX, PDF and summary are written."""
    area = read_area(demo, with_network=False)
    assert area.incidents is not None
    spots = area_hotspots(area, top=8)
    run = plan_area(demo, DATA / "small.toml", tmp_path, hotspots=spots)
    assert check_plan(run.problem, run.plan) == []
    assert len(run.plan.routes) == 3 and run.plan.prize > 0
    names = sorted(p.name for p in run.paths)
    assert names == [
        "plan.geojson",
        "plan.json",
        "route_sheets.pdf",
        "team-1.gpx",
        "team-2.gpx",
        "team-3.gpx",
    ]
    kinds = {run.problem.stops[i].kind for i in run.plan.visited()}
    assert "hotspot" in kinds
    # the morning team is the one at the school (window 07:30-07:40)
    for route in run.plan.routes:
        for v in route.visits:
            if run.problem.stops[v.stop].kind == "school":
                assert run.problem.teams[route.team].id == "team-3"


def test_config_problems_are_listed(tmp_path: Path) -> None:
    """A bad config names every problem; a missing file and bad TOML are clear."""
    with pytest.raises(InputError) as err:
        read_patrol_config(DATA / "bad.toml")
    assert "windw" in str(err.value) and "two times" in str(err.value)
    with pytest.raises(InputError, match="no such config"):
        read_patrol_config(tmp_path / "none.toml")
    (tmp_path / "x.toml").write_text("[[places]\n")
    with pytest.raises(InputError, match="not valid TOML"):
        read_patrol_config(tmp_path / "x.toml")


def test_config_defaults_and_file_key_problem_lines(tmp_path: Path) -> None:
    """No file gives the declared defaults; each problem line names the file and the key."""
    assert read_patrol_config(None) == PatrolConfig()
    path = tmp_path / "patrol.toml"
    path.write_text('[[places]]\nlayer = "schools"\nprize = "high"\n', encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_patrol_config(path)
    (line,) = err.value.problems
    assert line.startswith(f"{path}: places[1] (layer 'schools').prize: ")


def test_unknown_layer_is_named(demo: Path) -> None:
    """A config naming a layer the area lacks lists the layers it has."""
    area = read_area(demo, with_network=False)
    with pytest.raises(InputError, match=r"has no layer 'kindergartens'.*schools"):
        area_stops(area, PatrolConfig.from_dict({"places": [{"layer": "kindergartens"}]}))


def test_coverage_report_and_posts(demo: Path, tmp_path: Path) -> None:
    """Coverage shares grow with minutes; siting posts keeps the existing one and covers more."""
    areas, shares = coverage_report(demo, "police", (1, 5), out_path=tmp_path / "areas.geojson")
    assert (tmp_path / "areas.geojson").exists() and len(areas) == 2
    inc = [r["share"] for r in shares if r["demand"] == "incidents"]
    assert 0 <= inc[0] <= inc[1] <= 1
    posts = site_posts(demo, 2, minutes=3, time_limit_s=5)
    assert list(posts["new"]) == [False, True, True]
    before = next(r for r in coverage_report(demo, "police", (3,))[1] if r["demand"] == "incidents")
    assert posts["covered_share"].iloc[0] > before["share"]


def test_hotspots_from_the_areas_incidents_have_findable_names(demo: Path) -> None:
    """area_hotspots ranks the incidents (Gi*) and names each spot by rank and nearest street."""
    area = read_area(demo)
    spots = area_hotspots(area, top=5)
    assert list(spots["rank"]) == [1, 2, 3, 4, 5]
    assert (spots["p_fdr"] <= 0.05).all()
    assert all(
        name.startswith(f"热点{r} · ") for name, r in zip(spots["name"], spots["rank"], strict=True)
    )
    config = PatrolConfig.from_dict({"hotspots": {"from_incidents": True, "top": 5}})
    stops = area_stops(area, config)
    assert [s.name for s in stops if s.kind == "hotspot"][:5] == list(spots["name"])


def test_a_missing_hotspot_file_of_the_config_says_how_to_give_one(demo: Path) -> None:
    """A [hotspots] file the area lacks (e.g. an area in a database, which has no folder) is an
    error naming the file and the two ways out, not a read of some other folder."""
    area = read_area(demo, with_network=False)
    config = PatrolConfig.from_dict({"hotspots": {"file": "not-here.geojson"}})
    with pytest.raises(InputError, match=r"not-here\.geojson: no such hot-spot file") as err:
        area_stops(area, config)
    assert "--hotspots FILE" in str(err.value) and "from_incidents" in str(err.value)


def test_area_config_of_an_area_in_the_database(tmp_path: Path) -> None:
    """An area in PostGIS plans with its own patrol.toml (pushed with it, byte for byte): a
    given config path wins, a missing one gives the defaults, bad TOML names the area."""
    from store_db import area_copy, make_template

    from geogrid.services.patrol import PATROL_TOML, area_config
    from geogrid.store.base import StoredArea

    template = make_template(tmp_path / "template")
    (template / PATROL_TOML).write_text("[solver]\ntime_limit_s = 3.5\n", encoding="utf-8")
    store, name = area_copy(template, "postgis", tmp_path)
    where = StoredArea(store, name)
    assert store.read_area_file(name, PATROL_TOML) == (template / PATROL_TOML).read_bytes()
    assert area_config(where, None).solver.time_limit_s == 3.5
    given = tmp_path / "given.toml"
    given.write_text("[solver]\ntime_limit_s = 2.0\n", encoding="utf-8")
    assert area_config(where, given).solver.time_limit_s == 2.0
    store.update_area_file(name, PATROL_TOML, lambda _old: b"[solver\n")
    with pytest.raises(InputError, match=f"area {name} \\(database\\): patrol.toml"):
        area_config(where, None)
    store.update_area_file(name, PATROL_TOML, lambda _old: None)
    assert area_config(where, None) == PatrolConfig()
