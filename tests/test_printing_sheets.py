"""Route sheets: a PDF that renders, embeds its CJK font, shows the Chinese stop names, each team's
share of the work and, on the overview page, every skipped stop with the reason."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from pathlib import Path

import pytest

from geogrid.errors import InputError
from geogrid.network import StreetNetwork
from geogrid.planning.plan import plan_frames
from geogrid.planning.problem import Stop, Team, build_problem
from geogrid.planning.solve import solve_patrol
from geogrid.printing.fonts import register_cjk_font
from geogrid.printing.sheets import render_route_sheets
from tests.patrol_area import grid_lonlat, street_grid

NAMES = ["学院路小学", "五道口菜市场", "清华东路西口站"]
SKIPPED = "早市门口"


@pytest.fixture(scope="module")
def sheets() -> tuple:
    """The problem, plan, routes frame and streets of two teams on a street grid; one stop's window
    (an early market, 16:40) closes before either shift starts."""
    nodes, edges, crs = street_grid(6)
    network = StreetNetwork.from_frames(nodes, edges, crs)
    teams = [
        Team(
            "t1",
            name="平安志愿者第1队",
            leader="孙队长",
            size=3,
            shift_start_s=68400,
            shift_end_s=72000,
            base=grid_lonlat(0, 0),
        ),
        Team(
            "t2",
            name="平安志愿者第2队",
            leader="周队长",
            shift_start_s=68400,
            shift_end_s=72000,
            base=grid_lonlat(5, 5),
        ),
    ]
    cells = [(1, 2), (3, 1), (4, 4)]
    stops = [
        Stop(
            f"s{i}",
            name=n,
            kind="school" if i == 0 else "hotspot",
            point=grid_lonlat(*c),
            dwell_s=600,
            notes="注意安全",
        )
        for i, (n, c) in enumerate(zip(NAMES, cells, strict=True))
    ]
    stops.append(
        Stop(
            "early",
            name=SKIPPED,
            kind="marketplace",
            point=grid_lonlat(2, 2),
            window_s=(60000, 60300),
        )
    )
    problem = build_problem(network, teams, stops)
    plan = solve_patrol(problem, time_limit_s=1, solution_limit=30, polish=False)
    _, routes = plan_frames(problem, plan, network)
    return problem, plan, routes, edges, crs


@pytest.fixture(scope="module")
def pdf(sheets: tuple) -> bytes:
    problem, plan, routes, edges, crs = sheets
    return render_route_sheets(problem, plan, routes, edges, crs, date="2026-11-22")


def test_pdf_is_a4_pages_one_per_team(pdf: bytes) -> None:
    """The PDF starts with the PDF header and has a page per team and the overview."""
    assert pdf.startswith(b"%PDF")
    assert b"/Count 3" in pdf


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "sheets.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (pdftotext)")
def test_overview_lists_shares_and_skipped_stops_with_reasons(
    sheets: tuple, pdf: bytes, tmp_path: Path
) -> None:
    """Each sheet shows the team's minutes on patrol and work share; the overview page lists every
    team's share and the skipped stop with its reason; a single team's sheet has no overview."""
    text = _text(pdf, tmp_path)
    assert text.count("On patrol") >= 2 and "Work" in text and "volunteers" in text
    assert "Overview" in text and "Skipped stops (1)" in text
    assert (
        SKIPPED in text
        and "时窗内赶不到" in text
        and "window unreachable from the base in time" in text
    )
    problem, plan, routes, edges, crs = sheets
    one = dataclasses.replace(plan, routes=plan.routes[:1])
    alone = _text(render_route_sheets(problem, one, routes, edges, crs), tmp_path)
    assert "Overview" not in alone and "平安志愿者第1队" in alone


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils (pdftoppm)")
def test_pdf_renders_and_shows_chinese(pdf: bytes, tmp_path: Path) -> None:
    """Pdftoppm renders every page; pdftotext finds the Chinese stop and team names."""
    path = tmp_path / "sheets.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(path), str(tmp_path / "p")], check=True)
    pngs = sorted(tmp_path.glob("p-*.png"))
    assert len(pngs) == 3 and all(p.stat().st_size > 5000 for p in pngs)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    for name in [*NAMES, "平安志愿者第1队", "孙队长"]:
        assert name in text
    fonts = subprocess.run(
        ["pdffonts", str(path)], check=True, capture_output=True, text=True
    ).stdout
    assert "yes" in fonts.splitlines()[-1]  # embedded


def test_missing_font_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without any CJK font file the error says which Debian package to install."""
    import geogrid.printing.fonts as printing

    monkeypatch.setattr(printing.pdfmetrics, "getRegisteredFontNames", list)
    with pytest.raises(InputError, match="fonts-wqy-microhei"):
        register_cjk_font(("/nonexistent/font.ttc",))
