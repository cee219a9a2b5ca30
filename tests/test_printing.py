"""Route sheets: a PDF that renders, embeds its CJK font and shows the Chinese stop names."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from geogrid.errors import InputError
from geogrid.network import StreetNetwork
from geogrid.planning.plan import plan_frames
from geogrid.planning.problem import Stop, Team, build_problem
from geogrid.planning.solve import solve_patrol
from geogrid.printing import register_cjk_font, render_route_sheets
from tests.patrol_area import grid_lonlat, street_grid

NAMES = ["学院路小学", "五道口菜市场", "清华东路西口站"]


@pytest.fixture(scope="module")
def pdf() -> bytes:
    nodes, edges, crs = street_grid(6)
    network = StreetNetwork.from_frames(nodes, edges, crs)
    teams = [
        Team("t1", name="平安志愿者第1队", leader="孙队长", size=3, shift_start_s=68400, shift_end_s=72000, base=grid_lonlat(0, 0)),
        Team("t2", name="平安志愿者第2队", leader="周队长", shift_start_s=68400, shift_end_s=72000, base=grid_lonlat(5, 5)),
    ]
    cells = [(1, 2), (3, 1), (4, 4)]
    stops = [
        Stop(f"s{i}", name=n, kind="school" if i == 0 else "hotspot", point=grid_lonlat(*c), dwell_s=600, notes="注意安全")
        for i, (n, c) in enumerate(zip(NAMES, cells, strict=True))
    ]
    problem = build_problem(network, teams, stops)
    plan = solve_patrol(problem, time_limit_s=1, solution_limit=30, polish=False)
    _, routes = plan_frames(problem, plan, network)
    return render_route_sheets(problem, plan, routes, edges, crs, date="2026-11-22")


def test_pdf_is_a4_pages_one_per_team(pdf: bytes) -> None:
    """The PDF starts with the PDF header and has a page per team."""
    assert pdf.startswith(b"%PDF")
    assert pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 2 or b"/Count 2" in pdf


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils (pdftoppm)")
def test_pdf_renders_and_shows_chinese(pdf: bytes, tmp_path: Path) -> None:
    """pdftoppm renders every page; pdftotext finds the Chinese stop and team names."""
    path = tmp_path / "sheets.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(path), str(tmp_path / "p")], check=True)
    pngs = sorted(tmp_path.glob("p-*.png"))
    assert len(pngs) == 2 and all(p.stat().st_size > 5000 for p in pngs)
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    for name in [*NAMES, "平安志愿者第1队", "孙队长"]:
        assert name in text
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    assert "yes" in fonts.splitlines()[-1]  # embedded


def test_missing_font_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without any CJK font file the error says which Debian package to install."""
    import geogrid.printing as printing

    monkeypatch.setattr(printing.pdfmetrics, "getRegisteredFontNames", lambda: [])
    with pytest.raises(InputError, match="fonts-wqy-microhei"):
        register_cjk_font(("/nonexistent/font.ttc",))
