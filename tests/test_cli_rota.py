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
