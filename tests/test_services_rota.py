"""The demo's week from the example config: a rota that passes check_rota, every night's plan
passing check_plan, the files of the week and of each night, the teams layer's roster nights,
and clear errors for a week that cannot be met."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from geogrid.errors import InfeasibleError, InputError
from geogrid.io.workspace import Workspace, read_area
from geogrid.planning.plan import check_plan
from geogrid.planning.rota import check_rota, rota_fairness
from geogrid.services.demo import build_demo
from geogrid.services.rota import plan_week, planned_weeks, read_week, team_nights, week_file

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "data" / "config" / "rota.example.toml"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "helsinki-demo"
    build_demo(out)
    return out


@pytest.fixture(scope="module")
def week(demo: Path):  # type: ignore[no-untyped-def]
    return plan_week(demo, "2026-W50", EXAMPLE, time_limit_s=5, night_time_limit_s=1)


def test_demo_week_is_checked_and_fair(week) -> None:  # type: ignore[no-untyped-def]
    """The rota passes check_rota; the school post is kept every school day by the morning
    team and never at the weekend; every night's plan passes check_plan and serves every stop."""
    problem, rota = week.problem, week.rota
    assert check_rota(problem, rota) == []
    school = [i for i, d in enumerate(problem.duties) if d.kind == "school"]
    assert len(school) == 1
    days = sorted(n.day for n in rota.nights if school[0] in n.stops)
    assert days == [0, 1, 2, 3, 4]
    assert {problem.base.teams[n.team].id for n in rota.nights if school[0] in n.stops} == {
        "team-3"
    }
    assert len(week.nights) == 7
    for night in week.nights:
        assert check_plan(night.problem, night.plan) == []
        assert not night.plan.skipped
    fair = rota_fairness(problem, rota)
    assert all(ld.nights <= 6 for ld in fair.teams)  # max_nights_per_team = 6 in the example
    # Friday and Saturday shifts of the evening teams come from [[rota.shifts]]
    assert problem.shifts[4][0] == (19 * 3600, 22 * 3600 + 1800)


def test_demo_week_files(demo: Path, week, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """rota.json/.csv/.pdf and one PDF per team for the week; each night's plan files where the
    patrol page finds them; the district PDF renders to a landscape page."""
    ws = Workspace(demo)
    folder = ws.rota_dir("2026-W50")
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["rota.csv", "rota.json", "rota.pdf", "team-1.pdf", "team-2.pdf", "team-3.pdf"]
    document = read_week(demo, "2026-W50")
    assert document is not None and document["week"] == "2026-W50"
    assert document["days"][0]["date"] == "2026-12-07"
    assert all(d["planned"] for d in document["days"])
    assert planned_weeks(demo) == ["2026-W50"]
    assert week_file(demo, "2026-W50", "rota.pdf") == folder / "rota.pdf"
    assert week_file(demo, "2026-W50", "nope.pdf") is None
    with pytest.raises(InputError, match="not a path"):
        week_file(demo, "2026-W50", "../rota.pdf")
    night = ws.plans_dir("2026-12-07")
    summary = json.loads((night / "plan.json").read_text(encoding="utf-8"))
    assert summary["rota_week"] == "2026-W50" and summary["skipped"] == []
    assert (night / "route_sheets.pdf").exists() and (night / "team-3.gpx").exists()
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) not installed")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "30", str(folder / "rota.pdf"), str(tmp_path / "rota")],
        check=True,
    )
    assert list(tmp_path.glob("rota*.png"))


def test_roster_nights_from_the_teams_layer(demo: Path, tmp_path: Path) -> None:
    """A team's `nights` limits its nights; a roster that leaves a school day without the
    morning team is an error naming the school post and the date."""
    area = tmp_path / "area"
    shutil.copytree(demo, area)
    ws = Workspace(area)
    teams = ws.read_layer("teams", required=True)
    assert teams is not None
    teams["nights"] = ["Mon,Wed,Fri", None, "Mon-Thu"]
    ws.write_layer("teams", teams, author="test", message="roster")
    assert team_nights(read_area(area, with_network=False).teams)["team-1"] == frozenset({0, 2, 4})
    with pytest.raises(InfeasibleError) as err:
        plan_week(area, "2026-W50", EXAMPLE, time_limit_s=5, night_time_limit_s=1)
    text = "\n".join(err.value.reasons)
    assert "school post" in text and "on Fri 2026-12-11 (school day)" in text
    assert "team-3 is not on the roster on Fri" in text


def test_bad_roster_and_config_are_named(demo: Path, tmp_path: Path) -> None:
    """A roster word that is no weekday names the team; a bad calendar date names the key."""
    area = tmp_path / "area"
    shutil.copytree(demo, area)
    ws = Workspace(area)
    teams = ws.read_layer("teams", required=True)
    assert teams is not None
    teams["nights"] = ["Mon,Someday", None, None]
    ws.write_layer("teams", teams, author="test", message="roster")
    with pytest.raises(InputError, match="team team-1 nights: 'Someday' is not a weekday"):
        plan_week(area, "2026-W50", EXAMPLE)
    config = tmp_path / "bad.toml"
    config.write_text(
        '[rota.calendar]\nholidays = ["2026-13-01"]\n[[rota.shifts]]\ndays = ["Fri"]\n'
        'start = "19:00"\nend = "23:00"\nteams = ["team-9"]\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError) as err:
        plan_week(demo, "2026-W50", config)
    assert "holidays[1]: '2026-13-01' is not a date" in str(err.value)
    with pytest.raises(InputError, match="ISO week"):
        plan_week(demo, "2026-50", EXAMPLE)
