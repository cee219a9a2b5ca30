"""`geogrid plan`, `geogrid coverage` and `geogrid posts` on the demo area."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from geogrid.cli import main
from geogrid.services.demo import build_demo

DATA = Path(__file__).parent / "data" / "patrol"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "helsinki-demo"
    build_demo(out)
    return out


def test_plan_command_writes_sheets_and_gpx(demo: Path, tmp_path: Path) -> None:
    """One command gives route sheets and a GPX per team."""
    result = CliRunner().invoke(
        main,
        [
            "plan",
            str(demo),
            "--config",
            str(DATA / "small.toml"),
            "--out",
            str(tmp_path),
            "--time-limit",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "team-3" in result.output
    assert (tmp_path / "route_sheets.pdf").exists() and len(list(tmp_path.glob("*.gpx"))) == 3


def test_plan_command_prints_shares_and_skipped_stops_with_reasons(
    demo: Path, tmp_path: Path
) -> None:
    """Each team's line shows its minutes on patrol and its share of the work against its
    volunteers; a stop whose window closes before any shift is printed as skipped, with the
    reason."""
    config = tmp_path / "night.toml"
    config.write_text(
        (DATA / "small.toml").read_text(encoding="utf-8")
        + '\n[[places]]\nlayer = "police"\nprize = 5\ndwell_min = 5\nwindow = ["03:00", "03:10"]\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        main,
        [
            "plan",
            str(demo),
            "--config",
            str(config),
            "--out",
            str(tmp_path / "out"),
            "--time-limit",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    team_lines = [line for line in result.output.splitlines() if line.startswith("team-")]
    assert len(team_lines) == 3 and all(
        "on patrol" in line and "volunteers" in line for line in team_lines
    )
    assert (
        "skipped" in result.output and "window unreachable from the base in time" in result.output
    )


def test_plan_command_bad_config_exits_1(demo: Path) -> None:
    """A bad config prints the problems, no traceback, exit code 1."""
    result = CliRunner().invoke(main, ["plan", str(demo), "--config", str(DATA / "bad.toml")])
    assert result.exit_code == 1 and "windw" in result.output and "Traceback" not in result.output


def test_coverage_and_posts_commands(demo: Path, tmp_path: Path) -> None:
    """Coverage prints shares per minute; posts prints the chosen sites and the share."""
    result = CliRunner().invoke(main, ["coverage", str(demo), "--minutes", "1,3"])
    assert result.exit_code == 0, result.output
    assert "incidents" in result.output and "%" in result.output
    result = CliRunner().invoke(
        main,
        [
            "posts",
            str(demo),
            "-k",
            "1",
            "--time-limit",
            "5",
            "--out",
            str(tmp_path / "posts.geojson"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "new" in result.output and (tmp_path / "posts.geojson").exists()
    result = CliRunner().invoke(main, ["coverage", str(demo), "--minutes", "x"])
    assert result.exit_code == 2


@pytest.fixture
def roads_area(tmp_path: Path) -> Path:
    """An area on an office road layer (EPSG:4549) with two police posts, and a school 900 m
    south of the streets."""
    from geogrid.services.area import BoundaryChoice, RoadsChoice, build_area
    from tests.roads_layer import POSTS, X0, Y0, add_layer, write_boundary, write_roads

    out = tmp_path / "hz"
    build_area(
        None, out, name="hz", roads=RoadsChoice(write_roads(tmp_path / "office")),
        boundary=BoundaryChoice(geojson_path=write_boundary(tmp_path)), timezone="Asia/Shanghai",
    )  # fmt: skip
    add_layer(out, "police", POSTS)
    add_layer(
        out, "schools", [("s1", "实验小学", X0 + 100, Y0 + 150), ("s2", "远郊小学", X0, Y0 - 900)]
    )
    return out


def test_coverage_far_points_name_their_layer_and_the_option(roads_area: Path) -> None:
    """Points too far from the streets are named with their layer, id and name, and the message
    points to --max-snap-m, which lets them in."""
    result = CliRunner().invoke(main, ["coverage", str(roads_area), "--minutes", "3"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "layer 'key locations': 1 point(s) are more than 500 m" in result.output
    assert "s2 (远郊小学, schools)" in result.output
    assert "--max-snap-m" in result.output
    result = CliRunner().invoke(
        main, ["coverage", str(roads_area), "--minutes", "3", "--max-snap-m", "1500"]
    )
    assert result.exit_code == 0, result.output
    assert "key locations" in result.output


def test_posts_far_existing_post_names_its_layer(roads_area: Path) -> None:
    """posts: a post far from the streets is named with its layer; --max-snap-m lets it in."""
    from tests.roads_layer import POSTS, X0, Y0, add_layer

    add_layer(roads_area, "schools", [("s1", "实验小学", X0 + 100, Y0 + 150)])
    add_layer(roads_area, "police", [*POSTS, ("p3", "江边警务室", X0 + 1000, Y0)])
    args = ["posts", str(roads_area), "-k", "1", "--demand", "key locations", "--time-limit", "2"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and "Traceback" not in result.output
    # the demand 'key locations' holds every layer, so the post is named with its own layer
    assert "layer 'key locations': 1 point(s)" in result.output
    assert "p3 (江边警务室, police)" in result.output
    result = CliRunner().invoke(main, [*args, "--max-snap-m", "1000"])
    assert result.exit_code == 0, result.output


# ------------------------------------------------------------- GEOGRID_STORE=postgresql://...


@pytest.fixture
def pushed(demo: Path, tmp_path: Path) -> tuple[str, str, Path]:
    """(database URL, area name, a folder copy of the same area): the demo pushed into the
    test database under a name of its own; skips without GEOGRID_TEST_DB."""
    import shutil

    from store_db import db_url, unique_name

    from geogrid.store.folder import FolderStore
    from geogrid.store.postgis import PostgisStore
    from geogrid.store.transfer import copy_area

    url, name = db_url(), unique_name("plan")
    copy_area(FolderStore(demo.parent), demo.name, PostgisStore(url), name)
    folder = tmp_path / "folder" / name
    shutil.copytree(demo, folder, ignore=shutil.ignore_patterns(".lock"))
    return url, name, folder


def _without_times(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k != "solve_s"}


def test_plan_with_geogrid_store_plans_the_area_in_the_database(
    pushed: tuple[str, str, Path], tmp_path: Path
) -> None:
    """With GEOGRID_STORE naming the database, `geogrid plan AREA` on a path with no folder
    plans the database's area of that name: the same plan as the folder gives (plan.json and
    plan.geojson), kept in the database (Store.read_plan, route sheets as the document
    plans/route_sheets.pdf); nothing is written where the path points."""
    import json

    from geogrid.store.postgis import PostgisStore

    url, name, folder = pushed
    args = ["--config", str(DATA / "small.toml"), "--time-limit", "1", "--workers", "1"]
    on_folder = CliRunner().invoke(main, ["plan", str(folder), *args])
    assert on_folder.exit_code == 0, on_folder.output
    nowhere = tmp_path / "no-folder" / name
    result = CliRunner().invoke(main, ["plan", str(nowhere), *args], env={"GEOGRID_STORE": url})
    assert result.exit_code == 0, result.output
    assert not nowhere.parent.exists()
    assert f"saved plans/route_sheets.pdf in area {name} (database)" in result.output
    store = PostgisStore(url)
    stored = store.read_plan(name)
    assert stored is not None and stored.summary is not None
    summary = json.loads((folder / "plans" / "plan.json").read_text(encoding="utf-8"))
    assert _without_times(stored.summary) == _without_times(summary)
    geojson = json.loads((folder / "plans" / "plan.geojson").read_text(encoding="utf-8"))
    assert stored.geojson == geojson
    pdf = store.read_area_file(name, "plans/route_sheets.pdf")
    assert pdf is not None and pdf.startswith(b"%PDF")
    # the same lines about the teams as on the folder
    teams = [line for line in result.output.splitlines() if line.startswith("team-")]
    assert teams == [t for t in on_folder.output.splitlines() if t.startswith("team-")] != []


def test_plan_with_geogrid_store_and_out_writes_the_files_there(
    pushed: tuple[str, str, Path], tmp_path: Path
) -> None:
    """--out still writes the files to that local folder (GPX, sheets, plan.json) from the
    database's area; the database keeps no command-line plan then."""
    from geogrid.store.postgis import PostgisStore

    url, name, _folder = pushed
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        ["plan", str(tmp_path / name), "--config", str(DATA / "small.toml"), "--out", str(out),
         "--time-limit", "1", "--workers", "1"],
        env={"GEOGRID_STORE": url},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (out / "route_sheets.pdf").exists() and len(list(out.glob("*.gpx"))) == 3
    assert f"wrote {out / 'plan.json'}" in result.output
    assert PostgisStore(url).read_plan(name) is None


def test_coverage_and_posts_with_geogrid_store_read_the_database(
    pushed: tuple[str, str, Path], tmp_path: Path
) -> None:
    """Coverage and posts on the database's area print what they print on its folder (the
    same shares, the same sites)."""
    url, name, folder = pushed
    env = {"GEOGRID_STORE": url}
    nowhere = str(tmp_path / "no-folder" / name)
    for args in (["coverage", "--minutes", "1,3"], ["posts", "-k", "1", "--time-limit", "2"]):
        here = CliRunner().invoke(main, [args[0], str(folder), *args[1:]])
        there = CliRunner().invoke(main, [args[0], nowhere, *args[1:]], env=env)
        assert here.exit_code == 0 and there.exit_code == 0, there.output
        # whether the solver proved the posts optimal in its time depends on the machine's load
        proof = " (proven optimal)"
        assert there.output.replace(proof, "") == here.output.replace(proof, "")
    assert not (tmp_path / "no-folder").exists()


def test_an_area_missing_from_the_database_is_one_line(tmp_path: Path) -> None:
    """A command on an area the database lacks: one line naming the area and the database
    (no password) and how to push it; exit code 1."""
    from urllib.parse import urlsplit

    from store_db import db_url, unique_name

    url, name = db_url(), unique_name("missing")
    for command in (["plan"], ["coverage"], ["posts"]):
        result = CliRunner().invoke(
            main, [*command, str(tmp_path / name)], env={"GEOGRID_STORE": url}
        )
        assert result.exit_code == 1 and "Traceback" not in result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1, result.output
        assert f"{name}: no such area in the database" in lines[0]
        assert "geogrid store push" in lines[0]
        parts = urlsplit(url)
        assert str(parts.hostname) in lines[0]
        if parts.password:
            assert f":{parts.password}@" not in lines[0] and ":***@" in lines[0]
