"""``geogrid rota``: the week's summary and files from the command line; bad input is a
message and exit code 1, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from geogrid.cli import main
from geogrid.services.demo import build_demo

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "data" / "config" / "rota.example.toml"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "helsinki-demo"
    build_demo(out)
    return out


def test_rota_command_plans_the_week(demo: Path) -> None:
    """The command prints the week, a line per day and team, and the files it wrote."""
    result = CliRunner().invoke(
        main,
        [
            "rota",
            str(demo),
            "--week",
            "2026-W50",
            "--config",
            str(EXAMPLE),
            "--time-limit",
            "5",
            "--night-time-limit",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "week 2026-W50 (2026-12-07 - 2026-12-13)" in result.output
    assert "Sat 2026-12-12 (weekend)" in result.output
    assert "team-3 平安志愿者第3队: 5 nights" in result.output
    assert (
        "rota/2026-W50/rota.pdf" in result.output
        and "web/2026-12-07/route_sheets.pdf" in result.output
    )


def test_rota_command_errors_are_messages(demo: Path) -> None:
    """A bad week and an impossible week are one clear message and exit code 1."""
    bad = CliRunner().invoke(main, ["rota", str(demo), "--week", "next"])
    assert bad.exit_code == 1 and "ISO week like 2026-W50" in bad.output
    assert "Traceback" not in bad.output
    strict = demo.parent / "strict.toml"
    strict.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace(
            "max_nights_per_team = 6", "max_nights_per_team = 1"
        ),
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        main,
        ["rota", str(demo), "--week", "2026-W50", "--config", str(strict), "--time-limit", "5"],
    )
    assert result.exit_code == 1 and "cannot hold every stop's nights" in result.output


def test_rota_command_with_geogrid_store_plans_the_database_area(
    demo: Path, tmp_path: Path
) -> None:
    """With GEOGRID_STORE naming the database, `geogrid rota AREA` on a path with no folder
    plans the week of the database's area of that name: the same rota.json and nights' plans
    as on its folder, kept in the database (the rota as the document
    plans/rota/<week>/rota.json with its PDFs, each night with Store.save_plan and its route
    sheets); nothing is written where the path points."""
    import json
    import re
    import shutil

    from store_db import db_url, unique_name

    from geogrid.store.folder import FolderStore
    from geogrid.store.postgis import PostgisStore
    from geogrid.store.transfer import copy_area

    url, name = db_url(), unique_name("rota")
    store = PostgisStore(url)
    copy_area(FolderStore(demo.parent), demo.name, store, name)
    folder = tmp_path / "folder" / name
    shutil.copytree(demo, folder, ignore=shutil.ignore_patterns(".lock", "plans"))
    args = ["--week", "2026-W50", "--config", str(EXAMPLE), "--time-limit", "5",
            "--night-time-limit", "1"]  # fmt: skip
    here = CliRunner().invoke(main, ["rota", str(folder), *args])
    assert here.exit_code == 0, here.output
    nowhere = tmp_path / "no-folder" / name
    there = CliRunner().invoke(main, ["rota", str(nowhere), *args], env={"GEOGRID_STORE": url})
    assert there.exit_code == 0, there.output
    assert not nowhere.parent.exists()

    def said(output: str) -> list[str]:
        """What the command printed but the files and the solver's seconds."""
        return [
            re.sub(r" in [0-9.]+ s\b", "", line)
            for line in output.splitlines()
            if not line.startswith(("wrote", "saved"))
        ]

    assert said(there.output) == said(here.output)
    assert f"saved plans/rota/2026-W50/rota.pdf in area {name} (database)" in there.output
    week = folder / "plans" / "rota" / "2026-W50"
    document = store.read_area_file(name, "plans/rota/2026-W50/rota.json")
    assert document is not None

    def timeless(text: str | bytes) -> dict:
        return {k: v for k, v in json.loads(text).items() if k != "solve_s"}

    assert timeless(document) == timeless((week / "rota.json").read_text(encoding="utf-8"))
    for pdf in ("rota.pdf", "team-1.pdf"):
        assert (store.read_area_file(name, f"plans/rota/2026-W50/{pdf}") or b"")[:4] == b"%PDF"
    night = store.read_plan(name, "2026-12-07")
    assert night is not None and "2026-12-07" in store.plan_days(name)
    web = folder / "plans" / "web" / "2026-12-07"
    assert night.geojson == json.loads((web / "plan.geojson").read_text(encoding="utf-8"))
    sheets = store.read_plan_file(name, "2026-12-07", "route_sheets.pdf")
    assert sheets is not None and sheets.startswith(b"%PDF")


def test_rota_command_on_an_area_missing_from_the_database(tmp_path: Path) -> None:
    """One line naming the area and the database, suggesting geogrid store push; exit 1."""
    from store_db import db_url, unique_name

    url, name = db_url(), unique_name("missing")
    result = CliRunner().invoke(
        main, ["rota", str(tmp_path / name), "--week", "2026-W50"], env={"GEOGRID_STORE": url}
    )
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert f"{name}: no such area in the database" in result.output
    assert "geogrid store push" in result.output
